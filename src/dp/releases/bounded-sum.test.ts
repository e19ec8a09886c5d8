import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { boundedSumSensitivity, privateBoundedSum } from './bounded-sum.js';
import { gridSum, makeGrid } from './grid.js';

const fn = 'privateBoundedSum';
const bound = fc.double({ min: -1e6, max: 1e6, noNaN: true });

describe('privateBoundedSum', () => {
  it('clamps values to the bounds before summing', () => {
    const sum = privateBoundedSum({ lower: 0, upper: 10, noise: { kind: 'laplace', epsilon: 1e6 } });
    // epsilon 1e6: the grid-unit noise scale is K / 1e6 ~ 0.17 grid steps, so the result is within a few g.
    const { value } = sum.release([5, 20, -4], seededRng(1));
    expect(Math.abs(value - 15)).toBeLessThan(1e-4);
  });

  it('records the grid-unit event and reports the add/remove-one sensitivity max(|lower|, |upper|)', () => {
    const sum = privateBoundedSum({ lower: -2, upper: 8, noise: { kind: 'laplace', epsilon: 1 } });
    expect(sum.sensitivity).toBe(8);
    expect(sum.event).toEqual({
      kind: 'discrete-laplace',
      scale: 8 / sum.granularity,
      l1Sensitivity: 8 / sum.granularity,
    });
  });

  test.prop([
    bound,
    bound,
    fc.array(fc.double({ min: -2e6, max: 2e6, noNaN: true }), { maxLength: 30 }),
    fc.double({ min: -2e6, max: 2e6, noNaN: true }),
  ])(
    'adding one record moves the exact grid sum by at most K, and K g is within g/2 of max(|lower|, |upper|)',
    (a, b, data, extra) => {
      fc.pre(a !== b);
      const lower = Math.min(a, b);
      const upper = Math.max(a, b);
      const grid = makeGrid(lower, upper, 0);
      const before = gridSum('t', grid, Float64Array.from(data));
      const after = gridSum('t', grid, Float64Array.from([...data, extra]));
      expect(Math.abs(after - before)).toBeLessThanOrEqual(grid.sensitivity);
      const declared = boundedSumSensitivity(lower, upper);
      expect(Math.abs(grid.sensitivity * grid.granularity - declared)).toBeLessThanOrEqual(
        grid.granularity / 2,
      );
    },
  );

  it('accepts an empty data set and refuses bad bounds, values and noise', () => {
    const sum = privateBoundedSum({ lower: 0, upper: 1, noise: { kind: 'gaussian', rho: 1 } });
    expect(Number.isFinite(sum.release([], seededRng(2)).value)).toBe(true);
    expectInvalidParameter(
      () => privateBoundedSum({ lower: 1, upper: 1, noise: { kind: 'laplace', epsilon: 1 } }),
      fn,
      'upper',
    );
    expectInvalidParameter(
      () => privateBoundedSum({ lower: 2, upper: 1, noise: { kind: 'laplace', epsilon: 1 } }),
      fn,
      'upper',
    );
    expectInvalidParameter(
      () => privateBoundedSum({ lower: Number.NaN, upper: 1, noise: { kind: 'laplace', epsilon: 1 } }),
      fn,
      'lower',
    );
    expectInvalidParameter(() => sum.release([1, Number.NaN]), fn, 'values[1]');
    expectInvalidParameter(() => sum.release('abc' as never), fn, 'values');
  });
});
