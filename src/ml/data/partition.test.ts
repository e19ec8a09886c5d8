import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { classCounts, type Dataset } from './dataset.js';
import {
  allocate,
  type DatasetPartition,
  partitionDirichlet,
  partitionIid,
  partitionQuantitySkew,
} from './partition.js';
import { expectInvalidParameter, labelledDataset } from './testing.js';

/** Every source index appears in exactly one part, and each part's examples are those indices. */
function expectDisjointCover(ds: Dataset, partition: DatasetPartition, parts: number): void {
  expect(partition.indices).toHaveLength(parts);
  const seen = new Uint8Array(ds.numExamples);
  partition.indices.forEach((indices, k) => {
    const part = partition.parts[k]!;
    expect(part.numExamples).toBe(indices.length);
    indices.forEach((i, j) => {
      seen[i]!++;
      expect(part.features[2 * j]).toBe(i); // feature 0 is the source index
      expect(part.labels[j]).toBe(ds.labels[i]);
    });
  });
  expect(seen.every((count) => count === 1)).toBe(true);
  expect(partition.parts.reduce((s, p) => s + p.numExamples, 0)).toBe(ds.numExamples);
}

/** Mean total-variation distance between each part's label distribution and the global one (size-weighted). */
function labelSkew(ds: Dataset, partition: DatasetPartition): number {
  const global = classCounts(ds).map((c) => c / ds.numExamples);
  let total = 0;
  for (const part of partition.parts) {
    if (part.numExamples === 0) continue;
    const local = classCounts(part).map((c) => c / part.numExamples);
    const tv = 0.5 * local.reduce((s, p, c) => s + Math.abs(p - global[c]!), 0);
    total += tv * part.numExamples;
  }
  return total / ds.numExamples;
}

const perClass = fc
  .array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 })
  .filter((a) => a.some((n) => n > 0));

describe('properties', () => {
  test.prop([
    perClass,
    fc.integer({ min: 1, max: 8 }),
    fc.double({ min: 0.01, max: 100, noNaN: true }),
    fc.nat(),
  ])('partitionDirichlet is a disjoint cover whose sizes sum to N', (counts, parts, alpha, seed) => {
    const ds = labelledDataset(counts);
    expectDisjointCover(ds, partitionDirichlet(ds, { parts, alpha, rng: seededRng(seed) }), parts);
  });

  test.prop([perClass, fc.integer({ min: 1, max: 8 }), fc.nat()])(
    'partitionIid is a disjoint cover with sizes within one of each other',
    (counts, parts, seed) => {
      const ds = labelledDataset(counts);
      fc.pre(ds.numExamples >= parts);
      const partition = partitionIid(ds, { parts, rng: seededRng(seed) });
      expectDisjointCover(ds, partition, parts);
      const sizes = partition.parts.map((p) => p.numExamples);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    },
  );

  test.prop([
    perClass,
    fc.integer({ min: 1, max: 8 }),
    fc.oneof(
      fc.record({
        kind: fc.constant('dirichlet' as const),
        alpha: fc.double({ min: 0.01, max: 100, noNaN: true }),
      }),
      fc.record({
        kind: fc.constant('power-law' as const),
        exponent: fc.double({ min: 0, max: 4, noNaN: true }),
      }),
    ),
    fc.integer({ min: 0, max: 3 }),
    fc.nat(),
  ])(
    'partitionQuantitySkew is a disjoint cover honouring minPartSize',
    (counts, parts, skew, minPartSize, seed) => {
      const ds = labelledDataset(counts);
      fc.pre(parts * minPartSize <= ds.numExamples);
      const partition = partitionQuantitySkew(ds, { parts, skew, minPartSize, rng: seededRng(seed) });
      expectDisjointCover(ds, partition, parts);
      expect(partition.parts.every((p) => p.numExamples >= minPartSize)).toBe(true);
    },
  );

  test.prop([
    fc.integer({ min: 0, max: 500 }),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }),
  ])('allocate gives non-negative counts summing to n', (n, weights) => {
    const total = weights.reduce((s, w) => s + w, 0);
    fc.pre(total > 0);
    const counts = allocate(
      n,
      weights.map((w) => w / total),
    );
    expect(counts.every((c) => c >= 0)).toBe(true);
    expect(counts.reduce((s, c) => s + c, 0)).toBe(n);
  });

  test.prop([fc.nat()], { numRuns: 15 })(
    'smaller alpha gives more label skew (same data, same seed)',
    (seed) => {
      const ds = labelledDataset(new Array(10).fill(100));
      const skew = (alpha: number) =>
        labelSkew(ds, partitionDirichlet(ds, { parts: 10, alpha, rng: seededRng(seed) }));
      const [small, medium, large] = [skew(0.1), skew(1), skew(100)];
      expect(small).toBeGreaterThan(medium);
      expect(medium).toBeGreaterThan(large);
      expect(small).toBeGreaterThan(0.35); // parts dominated by a few classes (min over 1,500 seeds: 0.48)
      expect(large).toBeLessThan(0.1); // close to IID (max over 1,500 seeds: 0.049)
    },
  );
});

describe('partitionDirichlet', () => {
  const ds = labelledDataset([50, 50, 50, 50]);

  it('is reproducible for a seed and returns ascending indices', () => {
    const a = partitionDirichlet(ds, { parts: 5, alpha: 0.5, rng: seededRng(11) });
    const b = partitionDirichlet(ds, { parts: 5, alpha: 0.5, rng: seededRng(11) });
    expect(b.indices).toEqual(a.indices);
    for (const part of a.indices) expect(Array.from(part)).toEqual([...part].sort((x, y) => x - y));
  });

  it('redraws until every part has minPartSize examples, or says it cannot', () => {
    const partition = partitionDirichlet(ds, { parts: 5, alpha: 0.3, rng: seededRng(2), minPartSize: 10 });
    expect(partition.parts.every((p) => p.numExamples >= 10)).toBe(true);
    const error = expectInvalidParameter(
      () =>
        partitionDirichlet(ds, { parts: 5, alpha: 0.01, rng: seededRng(2), minPartSize: 39, maxAttempts: 5 }),
      'partitionDirichlet',
      'minPartSize',
    );
    expect(error.message).toMatch(/lower minPartSize or raise alpha/);
    expectInvalidParameter(
      () => partitionDirichlet(ds, { parts: 5, alpha: 1, rng: seededRng(2), minPartSize: 41 }),
      'partitionDirichlet',
      'minPartSize',
    );
  });

  it('refuses bad options', () => {
    const rng = seededRng(1);
    expectInvalidParameter(
      () => partitionDirichlet(ds, { parts: 0, alpha: 1, rng }),
      'partitionDirichlet',
      'parts',
    );
    expectInvalidParameter(
      () => partitionDirichlet(ds, { parts: 2, alpha: 0, rng }),
      'partitionDirichlet',
      'alpha',
    );
    expectInvalidParameter(
      () => partitionDirichlet(ds, { parts: 2, alpha: 1, rng, maxAttempts: 0 }),
      'partitionDirichlet',
      'maxAttempts',
    );
  });
});

describe('partitionQuantitySkew and partitionIid', () => {
  const ds = labelledDataset([60, 40]);

  it('sizes parts by a power law, largest first', () => {
    const partition = partitionQuantitySkew(ds, {
      parts: 4,
      skew: { kind: 'power-law', exponent: 1 },
      rng: seededRng(1),
    });
    // weights 1, 1/2, 1/3, 1/4 of 100 (sum 25/12): 48, 24, 16, 12.
    expect(partition.parts.map((p) => p.numExamples)).toEqual([48, 24, 16, 12]);
    const equal = partitionQuantitySkew(ds, {
      parts: 4,
      skew: { kind: 'power-law', exponent: 0 },
      rng: seededRng(1),
    });
    expect(equal.parts.map((p) => p.numExamples)).toEqual([25, 25, 25, 25]);
  });

  it('gives very unequal sizes for a small Dirichlet alpha', () => {
    const partition = partitionQuantitySkew(ds, {
      parts: 5,
      skew: { kind: 'dirichlet', alpha: 0.1 },
      rng: seededRng(4),
    });
    const sizes = partition.parts.map((p) => p.numExamples);
    expect(Math.max(...sizes)).toBeGreaterThan(50);
  });

  it('refuses bad options', () => {
    const rng = seededRng(1);
    const fn = 'partitionQuantitySkew';
    expectInvalidParameter(
      () => partitionQuantitySkew(ds, { parts: 2, skew: { kind: 'dirichlet', alpha: -1 }, rng }),
      fn,
      'skew.alpha',
    );
    expectInvalidParameter(
      () => partitionQuantitySkew(ds, { parts: 2, skew: { kind: 'power-law', exponent: -1 }, rng }),
      fn,
      'skew.exponent',
    );
    expectInvalidParameter(
      () => partitionQuantitySkew(ds, { parts: 2, skew: { kind: 'zipf' } as never, rng }),
      fn,
      'skew',
    );
    expectInvalidParameter(() => partitionIid(ds, { parts: 101, rng }), 'partitionIid', 'minPartSize');
    expectInvalidParameter(() => partitionIid(ds, { parts: 2.5, rng }), 'partitionIid', 'parts');
  });
});
