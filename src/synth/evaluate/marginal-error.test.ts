import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../_testing.js';
import { marginalCounts } from '../marginals.js';
import { table, uniformTable } from './_tables.js';
import { binomial, marginalErrors, marginalTotalVariation, totalVariation } from './marginal-error.js';

describe('totalVariation', () => {
  it('is 0 for identical and for proportional tables', () => {
    expect(totalVariation([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(totalVariation([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 15);
  });

  it('is 1 for disjoint supports', () => {
    expect(totalVariation([3, 0, 0], [0, 1, 4])).toBe(1);
  });

  it('is half the L1 distance of the normalised tables', () => {
    expect(totalVariation([1, 1], [2, 0])).toBe(0.5);
    expect(totalVariation([1, 1, 2], [0, 2, 2])).toBeCloseTo(0.25, 15);
  });

  it('refuses tables of different lengths and empty totals', () => {
    expectInvalidParameter(() => totalVariation([1], [1, 2]), 'totalVariation', 'q');
    expectInvalidParameter(() => totalVariation([0, 0], [1, 2]), 'totalVariation', 'p');
  });
});

describe('properties', () => {
  const counts = fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 12 });
  test.prop([counts, counts])('TV is in [0, 1] and symmetric', (p, q) => {
    const n = Math.max(p.length, q.length);
    const a = Array.from({ length: n }, (_, i) => p[i] ?? 0);
    const b = Array.from({ length: n }, (_, i) => q[i] ?? 0);
    a[0]! += 1; // totals > 0
    b[n - 1]! += 1;
    const tv = totalVariation(a, b);
    expect(tv).toBeGreaterThanOrEqual(0);
    expect(tv).toBeLessThanOrEqual(1);
    expect(totalVariation(b, a)).toBeCloseTo(tv, 12);
  });

  test.prop([fc.integer({ min: 1, max: 1000 })])(
    'the row-wise marginal TV equals the TV of marginal counts',
    (seed) => {
      const rng = seededRng(seed);
      const a = uniformTable([3, 2, 4], 40, rng);
      const b = uniformTable([3, 2, 4], 25, rng);
      for (const attrs of [['a0'], ['a1', 'a2'], ['a2', 'a0', 'a1']]) {
        expect(marginalTotalVariation(a, b, attrs)).toBeCloseTo(
          totalVariation(marginalCounts(a, attrs), marginalCounts(b, attrs)),
          12,
        );
      }
    },
  );
});

describe('marginalErrors', () => {
  const rng = seededRng(3);
  const real = uniformTable([2, 3, 2, 4, 2], 200, rng);
  const synthetic = uniformTable([2, 3, 2, 4, 2], 150, rng);

  it('evaluates every k-way marginal when there are at most maxMarginals, per attribute and per pair', () => {
    const r = marginalErrors(real, synthetic, seededRng(1));
    expect(r.ways.map((w) => [w.way, w.total, w.evaluated, w.sampled])).toEqual([
      [1, 5, 5, false],
      [2, 10, 10, false],
      [3, 10, 10, false],
    ]);
    expect(r.perAttribute.map((e) => e.attrs)).toEqual([['a0'], ['a1'], ['a2'], ['a3'], ['a4']]);
    expect(r.perPair).toHaveLength(10);
    expect(r.perPair[0]!.attrs).toEqual(['a0', 'a1']);
    expect(r.ways[1]!.mean).toBeCloseTo(r.perPair.reduce((s, e) => s + e.tv, 0) / 10, 12);
    expect(r.ways[2]!.max).toBeGreaterThanOrEqual(r.ways[2]!.median);
  });

  it('samples distinct marginals, seeded, when there are more than maxMarginals', () => {
    const a = marginalErrors(real, synthetic, seededRng(1), { maxMarginals: 4 });
    const b = marginalErrors(real, synthetic, seededRng(1), { maxMarginals: 4 });
    expect(a.ways.map((w) => [w.evaluated, w.sampled])).toEqual([
      [4, true],
      [4, true],
      [4, true],
    ]);
    expect(a).toEqual(b);
  });

  it('is 0 against itself, and reports k beyond the attributes as none evaluated', () => {
    const r = marginalErrors(real, real, seededRng(1), { ways: [1, 6] });
    expect(r.ways[0]!.mean).toBe(0);
    expect(r.ways[1]).toMatchObject({ way: 6, total: 0, evaluated: 0 });
  });

  it('refuses tables over different domains and bad options', () => {
    expectInvalidParameter(
      () => marginalErrors(real, table([2], [[0]]), seededRng(1)),
      'marginalErrors',
      'synthetic',
    );
    expectInvalidParameter(
      () => marginalErrors(real, synthetic, seededRng(1), { ways: [0] }),
      'marginalErrors',
      'ways',
    );
    expectInvalidParameter(
      () => marginalErrors(real, synthetic, seededRng(1), { maxMarginals: 0 }),
      'marginalErrors',
      'maxMarginals',
    );
  });

  it('counts subsets', () => {
    expect([binomial(14, 3), binomial(5, 0), binomial(3, 4)]).toEqual([364, 1, 0]);
  });
});
