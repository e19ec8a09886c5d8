import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { privateQuantile, quantileUtilitySensitivity } from './quantile.js';

const fn = 'privateQuantile';

describe('privateQuantile', () => {
  it('records a pure-dp event and uses the add/remove-one utility sensitivity max(q, 1 - q)', () => {
    const median = privateQuantile({ lower: 0, upper: 1, quantile: 0.5, epsilon: 1 });
    expect(median.event).toEqual({ kind: 'pure-dp', epsilon: 1, mechanism: 'quantile' });
    expect(median.utilitySensitivity).toBe(0.5);
    expect(quantileUtilitySensitivity(0.9)).toBe(0.9);
    expect(quantileUtilitySensitivity(0)).toBe(1);
  });

  it('lands near the true quantile with a moderate budget', () => {
    const data = Array.from({ length: 1001 }, (_, i) => i);
    const median = privateQuantile({ lower: 0, upper: 10_000, quantile: 0.5, epsilon: 2 });
    const rng = seededRng(1);
    for (let i = 0; i < 20; i++) expect(Math.abs(median.release(data, rng).value - 500)).toBeLessThan(40);
    const p90 = privateQuantile({ lower: 0, upper: 10_000, quantile: 0.9, epsilon: 2 });
    expect(Math.abs(p90.release(data, rng).value - 900)).toBeLessThan(40);
  });

  test.prop([
    fc.double({ min: -1e3, max: 1e3, noNaN: true }),
    fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
    fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { maxLength: 30 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.integer({ min: 0, max: 1000 }),
  ])('always returns a value within the declared bounds', (lower, width, data, quantile, seed) => {
    const q = privateQuantile({ lower, upper: lower + width, quantile, epsilon: 1 });
    const { value } = q.release(data, seededRng(seed));
    expect(value).toBeGreaterThanOrEqual(lower);
    expect(value).toBeLessThanOrEqual(lower + width);
  });

  it('handles an empty data set and all values clamped to one bound', () => {
    const q = privateQuantile({ lower: 0, upper: 1, quantile: 0.5, epsilon: 1 });
    expect(q.release([], seededRng(2)).value).toBeGreaterThanOrEqual(0);
    expect(q.release([5, 5, 5], seededRng(3)).value).toBeLessThanOrEqual(1);
  });

  it('refuses bad bounds, quantile, epsilon and values', () => {
    expectInvalidParameter(
      () => privateQuantile({ lower: 1, upper: 0, quantile: 0.5, epsilon: 1 }),
      fn,
      'upper',
    );
    expectInvalidParameter(
      () => privateQuantile({ lower: -1e308, upper: 1e308, quantile: 0.5, epsilon: 1 }),
      fn,
      'upper',
    );
    expectInvalidParameter(
      () => privateQuantile({ lower: 0, upper: 1, quantile: 1.5, epsilon: 1 }),
      fn,
      'quantile',
    );
    expectInvalidParameter(
      () => privateQuantile({ lower: 0, upper: 1, quantile: 0.5, epsilon: 0 }),
      fn,
      'epsilon',
    );
    const q = privateQuantile({ lower: 0, upper: 1, quantile: 0.5, epsilon: 1 });
    expectInvalidParameter(() => q.release([Number.NaN]), fn, 'values[0]');
  });
});
