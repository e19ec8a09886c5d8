import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../validation/_testing.js';
import { type Candidate, expectedSelectionSize, type SelectionSpec, selectNodes } from './select-nodes.js';

const nodes = (n: number, available = (_: number) => true): Candidate[] =>
  Array.from({ length: n }, (_, k) => ({
    nodeId: `node-${String(k).padStart(4, '0')}`,
    numExamples: 100 + k,
    available: available(k),
  }));

const specs: SelectionSpec[] = [
  { kind: 'fraction', fraction: 0.3 },
  { kind: 'poisson', rate: 0.3 },
  { kind: 'weighted', count: 5 },
];

describe('selectNodes', () => {
  test.prop([fc.constantFrom(...specs), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 40 })])(
    'is deterministic for a seed, ignores input order, returns sorted unique available ids',
    (spec, seed, n) => {
      const pool = nodes(n, (k) => k % 4 !== 1);
      const a = selectNodes(pool, spec, 1, seededRng(seed));
      const b = selectNodes([...pool].reverse(), spec, 1, seededRng(seed));
      expect(b).toEqual(a);
      expect([...a].sort()).toEqual(a);
      expect(new Set(a).size).toBe(a.length);
      const available = new Set(pool.filter((c) => c.available).map((c) => c.nodeId));
      expect(a.every((id) => available.has(id))).toBe(true);
    },
  );

  it('fraction: ceil(fraction n) nodes, at least min, never more than available', () => {
    const rng = seededRng(1);
    expect(selectNodes(nodes(25), { kind: 'fraction', fraction: 0.1 }, 0, rng)).toHaveLength(3);
    expect(selectNodes(nodes(25), { kind: 'fraction', fraction: 0.1, min: 5 }, 0, rng)).toHaveLength(5);
    expect(selectNodes(nodes(3), { kind: 'fraction', fraction: 0.1, min: 5 }, 0, rng)).toHaveLength(3);
    expect(
      selectNodes(
        nodes(10, () => false),
        { kind: 'fraction', fraction: 1 },
        0,
        rng,
      ),
    ).toEqual([]);
    expect(expectedSelectionSize({ kind: 'fraction', fraction: 0.1, min: 5 }, 25)).toBe(5);
  });

  it('fraction: every node is equally likely', () => {
    const rng = seededRng(2);
    const pool = nodes(10);
    const counts = new Map<string, number>();
    const rounds = 20_000;
    for (let r = 0; r < rounds; r++) {
      for (const id of selectNodes(pool, { kind: 'fraction', fraction: 0.3 }, r, rng)) {
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    const p = 0.3;
    const sd = Math.sqrt(rounds * p * (1 - p));
    for (const c of pool) expect(Math.abs(counts.get(c.nodeId)! - rounds * p)).toBeLessThan(5 * sd);
  });

  it('poisson: the number selected is Binomial(n, rate), only available nodes take part', () => {
    const rng = seededRng(3);
    const pool = nodes(1000, (k) => k < 800);
    const rounds = 50;
    let total = 0;
    for (let r = 0; r < rounds; r++)
      total += selectNodes(pool, { kind: 'poisson', rate: 0.1 }, r, rng).length;
    const mean = rounds * 800 * 0.1;
    expect(Math.abs(total - mean)).toBeLessThan(5 * Math.sqrt(rounds * 800 * 0.1 * 0.9));
    expect(expectedSelectionSize({ kind: 'poisson', rate: 0.1 }, 800)).toBe(80);
  });

  it('poisson: one exact rng.bernoulli(rate) per available node in id order', () => {
    const pool = nodes(200);
    const picked = selectNodes(pool, { kind: 'poisson', rate: 1 / 3 }, 0, seededRng(5));
    const r = seededRng(5);
    expect(picked).toEqual(pool.filter(() => r.bernoulli(1 / 3)).map((c) => c.nodeId));
  });

  it('weighted: first draw proportional to numExamples, no repeats, zero weight never chosen', () => {
    const rng = seededRng(6);
    const pool: Candidate[] = [1, 2, 3, 4, 0].map((w, k) => ({
      nodeId: `n${k}`,
      numExamples: w,
      available: true,
    }));
    const draws = 20_000;
    const counts = [0, 0, 0, 0, 0];
    for (let r = 0; r < draws; r++) {
      const [id] = selectNodes(pool, { kind: 'weighted', count: 1 }, r, rng);
      counts[Number(id!.slice(1))]!++;
    }
    [1, 2, 3, 4, 0].forEach((w, k) => {
      const p = w / 10;
      expect(Math.abs(counts[k]! - draws * p)).toBeLessThanOrEqual(5 * Math.sqrt(draws * p * (1 - p)));
    });
    const all = selectNodes(pool, { kind: 'weighted', count: 10 }, 0, rng);
    expect(all).toEqual(['n0', 'n1', 'n2', 'n3']);
  });

  it('refuses bad specs and candidate lists', () => {
    const pool = nodes(3);
    const rng = seededRng(1);
    expectInvalidParameter(
      () => selectNodes(pool, { kind: 'fraction', fraction: 0 }, 0, rng),
      'selectNodes',
      'spec.fraction',
    );
    expectInvalidParameter(
      () => selectNodes(pool, { kind: 'fraction', fraction: 0.5, min: 0 }, 0, rng),
      'selectNodes',
      'spec.min',
    );
    expectInvalidParameter(
      () => selectNodes(pool, { kind: 'poisson', rate: 1.5 }, 0, rng),
      'selectNodes',
      'spec.rate',
    );
    expectInvalidParameter(
      () => selectNodes(pool, { kind: 'weighted', count: 0 }, 0, rng),
      'selectNodes',
      'spec.count',
    );
    expectInvalidParameter(
      () => selectNodes(pool, { kind: 'all' } as unknown as SelectionSpec, 0, rng),
      'selectNodes',
      'spec.kind',
    );
    expectInvalidParameter(() => selectNodes(pool, specs[0]!, -1, rng), 'selectNodes', 'round');
    expectInvalidParameter(
      () => selectNodes([...pool, pool[0]!], specs[0]!, 0, rng),
      'selectNodes',
      'candidates[3].nodeId',
    );
    expectInvalidParameter(
      () => selectNodes([{ nodeId: 'a', numExamples: -1, available: true }], specs[0]!, 0, rng),
      'selectNodes',
      'candidates[0].numExamples',
    );
  });
});
