import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { centredSumSensitivity, privateBoundedMean } from './bounded-mean.js';

const fn = 'privateBoundedMean';

describe('privateBoundedMean', () => {
  it('composes a centred-sum event and a count event, each with half the budget', () => {
    const mean = privateBoundedMean({ lower: 0, upper: 10, noise: { kind: 'laplace', epsilon: 1 } });
    expect(mean.sumSensitivity).toBe(5);
    expect(mean.event.kind).toBe('composed');
    const [sum, count] = (
      mean.event as unknown as { events: Array<{ scale: number; l1Sensitivity: number }> }
    ).events;
    expect(sum!.l1Sensitivity / sum!.scale + count!.l1Sensitivity / count!.scale).toBeLessThanOrEqual(1);
    expect(count).toEqual({ kind: 'discrete-laplace', scale: count!.scale, l1Sensitivity: 1 });
    expect(count!.scale).toBeGreaterThanOrEqual(2);
  });

  it('is accurate with a large budget', () => {
    const mean = privateBoundedMean({ lower: 0, upper: 100, noise: { kind: 'laplace', epsilon: 1e4 } });
    const data = Array.from({ length: 1000 }, (_, i) => i % 100);
    expect(mean.release(data, seededRng(1)).value).toBeCloseTo(49.5, 0);
  });

  test.prop([
    fc.double({ min: -1e3, max: 1e3, noNaN: true }),
    fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
    fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { maxLength: 20 }),
    fc.integer({ min: 0, max: 1000 }),
  ])('always returns a value within the declared bounds', (lower, width, data, seed) => {
    const mean = privateBoundedMean({ lower, upper: lower + width, noise: { kind: 'gaussian', rho: 0.1 } });
    const { value } = mean.release(data, seededRng(seed));
    expect(value).toBeGreaterThanOrEqual(lower);
    expect(value).toBeLessThanOrEqual(lower + width);
  });

  it('uses the centred sensitivity (upper - lower) / 2', () => {
    expect(centredSumSensitivity(-4, 10)).toBe(7);
  });

  it('refuses bad bounds, values and noise', () => {
    expectInvalidParameter(
      () => privateBoundedMean({ lower: 3, upper: 3, noise: { kind: 'laplace', epsilon: 1 } }),
      fn,
      'upper',
    );
    const mean = privateBoundedMean({ lower: 0, upper: 1, noise: { kind: 'laplace', epsilon: 1 } });
    expectInvalidParameter(() => mean.release([Number.NEGATIVE_INFINITY]), fn, 'values[0]');
    expectInvalidParameter(
      () => privateBoundedMean({ lower: 0, upper: 1, noise: { kind: 'gaussian', rho: 0 } }),
      fn,
      'noise.rho',
    );
  });
});
