import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { distance, expectInvalidParameter, update } from '../validation/_testing.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { checkAggregatorSpec, combineUpdates, minimumUpdates } from './aggregate.js';
import { coordinateMedian, trimmedMean } from './coordinate-wise.js';
import { geometricMedian } from './geometric-median.js';
import { krum, krumMinimumUpdates } from './krum.js';
import { normBound, weightedMean } from './mean.js';

const arbUpdates = fc.integer({ min: 1, max: 6 }).chain((length) =>
  fc.array(
    fc.record({
      delta: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -100, max: 100 }), {
        minLength: length,
        maxLength: length,
      }),
      numExamples: fc.integer({ min: 1, max: 1000 }),
    }),
    { minLength: 1, maxLength: 8 },
  ),
);

const toUpdates = (rows: { delta: number[]; numExamples: number }[]): ClientUpdate[] =>
  rows.map((r, k) => update(`n${k}`, r.delta, r.numExamples));

describe('weightedMean', () => {
  test.prop([arbUpdates])('is sum n_i d_i / sum n_i', (rows) => {
    const updates = toUpdates(rows);
    const { delta, used, rejected } = weightedMean(updates);
    const total = rows.reduce((s, r) => s + r.numExamples, 0);
    for (let i = 0; i < delta.length; i++) {
      const expected = rows.reduce((s, r) => s + r.numExamples * Math.fround(r.delta[i]!), 0) / total;
      expect(delta[i]).toBeCloseTo(Math.fround(expected), 4);
    }
    expect(used).toEqual(updates.map((u) => u.nodeId));
    expect(rejected).toEqual([]);
  });

  it('weights every node alike with uniform weighting', () => {
    const updates = [update('a', [0], 1), update('b', [3], 1000)];
    expect(weightedMean(updates, { weighting: 'uniform' }).delta[0]).toBe(1.5);
    expect(weightedMean(updates).delta[0]).toBeCloseTo(3 * (1000 / 1001), 6);
  });

  it('refuses empty or mismatched input', () => {
    expectInvalidParameter(() => weightedMean([]), 'weightedMean', 'updates');
    expectInvalidParameter(
      () => weightedMean([update('a', [1]), update('b', [1, 2])]),
      'weightedMean',
      'updates[1].delta',
    );
    expectInvalidParameter(
      () => weightedMean([update('a', [1], 0)]),
      'weightedMean',
      'updates[0].numExamples',
    );
    expectInvalidParameter(
      () => weightedMean([update('a', [1])], { weighting: 'size' as 'uniform' }),
      'weightedMean',
      'weighting',
    );
  });
});

describe('normBound', () => {
  it('clips each delta to the bound before averaging', () => {
    const updates = [update('a', [30, 40], 1), update('b', [0.3, 0.4], 1)];
    const { delta } = normBound(updates, { maxNorm: 1 });
    // a is scaled to [0.6, 0.8]; b is within the bound
    expect(delta[0]).toBeCloseTo(0.45, 6);
    expect(delta[1]).toBeCloseTo(0.6, 6);
  });

  test.prop([arbUpdates, fc.double({ min: 0.01, max: 50, noNaN: true })])(
    'never moves further than the bound',
    (rows, maxNorm) => {
      const { delta } = normBound(toUpdates(rows), { maxNorm });
      expect(Math.hypot(...delta)).toBeLessThanOrEqual(maxNorm * (1 + 1e-6));
    },
  );

  it('refuses a bound <= 0', () => {
    expectInvalidParameter(() => normBound([update('a', [1])], { maxNorm: 0 }), 'normBound', 'maxNorm');
  });
});

describe('coordinate-wise median and trimmed mean', () => {
  it('takes the median per coordinate (mean of the middle two for even n)', () => {
    const odd = [update('a', [1, 10]), update('b', [2, -5]), update('c', [100, 0])];
    expect(Array.from(coordinateMedian(odd).delta)).toEqual([2, 0]);
    const even = [...odd, update('d', [3, 1])];
    expect(Array.from(coordinateMedian(even).delta)).toEqual([2.5, 0.5]);
  });

  it('drops floor(beta n) values from each side', () => {
    const updates = [1, 2, 3, 4, 1000].map((x, k) => update(`n${k}`, [x]));
    expect(trimmedMean(updates, { beta: 0.2 }).delta[0]).toBe(3);
    expect(trimmedMean(updates, { beta: 0.1 }).delta[0]).toBe(202); // floor(0.5) = 0: nothing trimmed
  });

  test.prop([arbUpdates])(
    'trimmed mean lies between median-ish bounds and equals the mean at beta 0',
    (rows) => {
      const updates = toUpdates(rows);
      const mean = weightedMean(updates, { weighting: 'uniform' }).delta;
      const zero = trimmedMean(updates, { beta: 0 }).delta;
      for (let i = 0; i < mean.length; i++) expect(zero[i]).toBeCloseTo(mean[i]!, 3);
      const med = coordinateMedian(updates).delta;
      for (let i = 0; i < med.length; i++) {
        const column = rows.map((r) => Math.fround(r.delta[i]!));
        expect(med[i]).toBeGreaterThanOrEqual(Math.min(...column));
        expect(med[i]).toBeLessThanOrEqual(Math.max(...column));
      }
    },
  );

  it('refuses beta outside [0, 1/2)', () => {
    for (const beta of [-0.1, 0.5, Number.NaN]) {
      expectInvalidParameter(() => trimmedMean([update('a', [1])], { beta }), 'trimmedMean', 'beta');
    }
  });
});

describe('krum', () => {
  const cluster = [0, 0.1, -0.1, 0.05, -0.05].map((x, k) => update(`h${k}`, [1 + x, 1 - x]));

  it('chooses an update from the honest cluster and reports the others', () => {
    const updates = [...cluster, update('evil', [50, -50])];
    const out = krum(updates, { byzantine: 1 });
    expect(out.used).toHaveLength(1);
    expect(out.used[0]).not.toBe('evil');
    expect(out.rejected.map((r) => r.nodeId)).toContain('evil');
    expect(out.rejected[0]!.reason).toMatch(/^krum: score .* not among the 1 lowest$/);
  });

  it('multi-Krum averages the m best', () => {
    const updates = [...cluster, update('evil', [50, -50])];
    const out = krum(updates, { byzantine: 1, selected: 5 });
    expect(out.used).toEqual(cluster.map((u) => u.nodeId));
    expect(out.delta[0]).toBeCloseTo(1, 5);
  });

  it('needs n > 2f + 2 and m <= n - f', () => {
    expect(krumMinimumUpdates(2)).toBe(7);
    expectInvalidParameter(() => krum(cluster, { byzantine: 2 }), 'krum', 'updates');
    expect(() => krum(cluster, { byzantine: 1 })).not.toThrow();
    expectInvalidParameter(() => krum(cluster, { byzantine: 1, selected: 5 }), 'krum', 'selected');
    expectInvalidParameter(() => krum(cluster, { byzantine: -1 }), 'krum', 'byzantine');
  });
});

describe('geometricMedian', () => {
  it('is the median of collinear points', () => {
    const updates = [0, 1, 2, 10, 100].map((x, k) => update(`n${k}`, [x, 2 * x]));
    const { delta } = geometricMedian(updates, { maxIterations: 200, tolerance: 0 });
    expect(delta[0]).toBeCloseTo(2, 2);
    expect(delta[1]).toBeCloseTo(4, 2);
  });

  test.prop([arbUpdates])('does not do worse than the mean on its objective', (rows) => {
    const updates = toUpdates(rows);
    const objective = (z: ArrayLike<number>) => updates.reduce((s, u) => s + distance(z, u.delta), 0);
    const gm = geometricMedian(updates).delta;
    const mean = weightedMean(updates, { weighting: 'uniform' }).delta;
    expect(objective(gm)).toBeLessThanOrEqual(objective(mean) * (1 + 1e-5) + 1e-4);
  });

  it('refuses bad options', () => {
    const one = [update('a', [1])];
    expectInvalidParameter(() => geometricMedian(one, { smoothing: 0 }), 'geometricMedian', 'smoothing');
    expectInvalidParameter(
      () => geometricMedian(one, { maxIterations: 0 }),
      'geometricMedian',
      'maxIterations',
    );
    expectInvalidParameter(() => geometricMedian(one, { tolerance: -1 }), 'geometricMedian', 'tolerance');
  });
});

describe('aggregator specs', () => {
  it('dispatches every kind', () => {
    const updates = [1, 2, 3, 4, 5, 6, 7].map((x, k) => update(`n${k}`, [x]));
    expect(combineUpdates(updates, { kind: 'mean', weighting: 'uniform' }).delta[0]).toBe(4);
    expect(combineUpdates(updates, { kind: 'median' }).delta[0]).toBe(4);
    expect(combineUpdates(updates, { kind: 'trimmed-mean', beta: 0.3 }).delta[0]).toBe(4);
    // 2, 3 and 4 tie on Krum's score (6); ties go to the earlier update
    expect(combineUpdates(updates, { kind: 'krum', byzantine: 2 }).delta[0]).toBe(2);
    expect(combineUpdates(updates, { kind: 'geometric-median', maxIterations: 100 }).delta[0]).toBeCloseTo(
      4,
      3,
    );
    expect(combineUpdates(updates, { kind: 'norm-bound', maxNorm: 1 }).delta[0]).toBeCloseTo(1, 6);
  });

  it('knows how many updates each needs', () => {
    expect(minimumUpdates({ kind: 'krum', byzantine: 1 })).toBe(5);
    expect(minimumUpdates({ kind: 'median' })).toBe(1);
  });

  it('refuses impossible specs with the field name', () => {
    expectInvalidParameter(
      () => checkAggregatorSpec('fedAvg', { kind: 'trimmed-mean', beta: 0.6 }),
      'fedAvg',
      'aggregator.beta',
    );
    expectInvalidParameter(
      () => checkAggregatorSpec('fedAvg', { kind: 'krum', byzantine: 1.5 }),
      'fedAvg',
      'aggregator.byzantine',
    );
    expectInvalidParameter(
      () => checkAggregatorSpec('fedAvg', { kind: 'norm-bound', maxNorm: -1 }),
      'fedAvg',
      'aggregator.maxNorm',
    );
    expectInvalidParameter(
      () => checkAggregatorSpec('fedAvg', { kind: 'geometric-median', smoothing: 0 }),
      'fedAvg',
      'aggregator.smoothing',
    );
    expectInvalidParameter(
      () => checkAggregatorSpec('fedAvg', { kind: 'average' } as unknown as { kind: 'median' }),
      'fedAvg',
      'aggregator.kind',
    );
  });
});
