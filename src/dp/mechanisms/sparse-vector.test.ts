import { describe, expect, it } from 'vitest';
import { BudgetExceededError, csprng, seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { sparseVector } from './sparse-vector.js';

const fn = 'sparseVector';

describe('sparseVector', () => {
  it('splits epsilon per Lyu, Su & Li 2017: Lap(D / eps1) threshold, Lap(2 c D / eps2) queries', () => {
    const svt = sparseVector({ epsilon: 1, sensitivity: 1, threshold: 0, maxPositives: 3 });
    expect(svt.thresholdNoiseScale).toBeCloseTo(2, 12); // eps1 = 0.5
    expect(svt.queryNoiseScale).toBeCloseTo(12, 12); // 2 * 3 * 1 / 0.5
    expect(svt.thresholdNoiseScale).toBeGreaterThanOrEqual(2);
    expect(svt.queryNoiseScale).toBeGreaterThanOrEqual(12);
    expect(svt.event).toEqual({ kind: 'pure-dp', epsilon: 1, mechanism: 'sparse-vector' });
    const skewed = sparseVector({ epsilon: 1, sensitivity: 2, threshold: 0, thresholdShare: 0.25 });
    expect(skewed.thresholdNoiseScale).toBeCloseTo(8, 12);
    expect(skewed.queryNoiseScale).toBeCloseTo((2 * 2) / 0.75, 12);
  });

  it('answers far-below queries false and far-above queries true', () => {
    const session = sparseVector({ epsilon: 1, sensitivity: 1, threshold: 100 }).start(seededRng(10));
    for (let i = 0; i < 20; i++) expect(session.test(0)).toBe(false);
    expect(session.test(10_000)).toBe(true);
    expect(session.positives).toBe(1);
  });

  it('refuses to answer after c positive answers', () => {
    const session = sparseVector({ epsilon: 1, sensitivity: 1, threshold: 0, maxPositives: 2 }).start(
      seededRng(11),
    );
    expect(session.test(1e6)).toBe(true);
    expect(session.exhausted).toBe(false);
    expect(session.test(1e6)).toBe(true);
    expect(session.exhausted).toBe(true);
    expect(() => session.test(0)).toThrow(BudgetExceededError);
    expect(() => session.test(0)).toThrow(expect.objectContaining({ code: 'VEIL_BUDGET_EXCEEDED' }));
  });

  it('marks sessions with a seeded rng as not private', () => {
    const svt = sparseVector({ epsilon: 1, sensitivity: 1, threshold: 0 });
    expect(svt.start(seededRng(1)).private).toBe(false);
    expect(svt.start(csprng()).private).toBe(true);
  });

  it('refuses bad parameters and non-finite query values', () => {
    expectInvalidParameter(() => sparseVector({ epsilon: 0, sensitivity: 1, threshold: 0 }), fn, 'epsilon');
    expectInvalidParameter(
      () => sparseVector({ epsilon: 1, sensitivity: 0, threshold: 0 }),
      fn,
      'sensitivity',
    );
    expectInvalidParameter(
      () => sparseVector({ epsilon: 1, sensitivity: 1, threshold: Number.NaN }),
      fn,
      'threshold',
    );
    expectInvalidParameter(
      () => sparseVector({ epsilon: 1, sensitivity: 1, threshold: 0, maxPositives: 0 }),
      fn,
      'maxPositives',
    );
    expectInvalidParameter(
      () => sparseVector({ epsilon: 1, sensitivity: 1, threshold: 0, thresholdShare: 1 }),
      fn,
      'thresholdShare',
    );
    const session = sparseVector({ epsilon: 1, sensitivity: 1, threshold: 0 }).start(seededRng(2));
    expectInvalidParameter(() => session.test(Number.NaN), 'SparseVectorSession.test', 'queryValue');
  });
});
