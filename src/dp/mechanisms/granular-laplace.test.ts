import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { roundHalfUp } from '../_numeric.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { ksPValue, ksStatistic } from '../testing/stats.js';
import { granularLaplaceMechanism } from './granular-laplace.js';

const fn = 'granularLaplaceMechanism';

describe('granularLaplaceMechanism', () => {
  it('defaults the grid to 2^(floor(log2 b) - 20) and records the grid-unit event', () => {
    const mech = granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 0.5 });
    expect(mech.granularity).toBe(2 ** -19); // b0 = 2, floor(log2 2) - 20 = -19
    expect(mech.gridSensitivity).toBe(2 ** 19); // ceil(1 / 2^-19) + 1 - 1
    expect(mech.scale).toBe(2);
    expect(mech.epsilon).toBe(0.5);
    expect(mech.event).toEqual({ kind: 'discrete-laplace', scale: 2 ** 20, l1Sensitivity: 2 ** 19 });
  });

  it('charges d - 1 extra grid steps for d coordinates and still meets the requested epsilon', () => {
    const mech = granularLaplaceMechanism({
      l1Sensitivity: 1,
      epsilon: 1,
      dimension: 4,
      granularity: 2 ** -10,
    });
    expect(mech.gridSensitivity).toBe(2 ** 10 + 3);
    expect(mech.epsilon).toBeLessThanOrEqual(1);
    expect(mech.scale).toBeGreaterThan(1); // (K g) / epsilon > D / epsilon
  });

  it('with a given scale reports epsilon = K g / b (slightly above D / b)', () => {
    const mech = granularLaplaceMechanism({ l1Sensitivity: 1, scale: 1, dimension: 2, granularity: 2 ** -4 });
    expect(mech.epsilon).toBe((16 + 1) / 16);
  });

  it('releases exact multiples of the granularity', () => {
    const mech = granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 1, dimension: 3 });
    const out = mech.release([0.1, 41.7, -3.3333], seededRng(7));
    for (const y of out) expect(Number.isInteger(y / mech.granularity)).toBe(true);
  });

  it('refuses a granularity that is not a power of two, bad dimensions and huge values', () => {
    expectInvalidParameter(
      () => granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 1, granularity: 0.3 }),
      fn,
      'granularity',
    );
    expectInvalidParameter(
      () => granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 1, dimension: 0 }),
      fn,
      'dimension',
    );
    expectInvalidParameter(() => granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 0 }), fn, 'epsilon');
    const mech = granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 1 });
    expectInvalidParameter(() => mech.release(1e300), fn, 'values[0]');
    expectInvalidParameter(() => mech.release([1, 2]), fn, 'values.length');
  });

  test.prop([
    fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
    fc.integer({ min: -30, max: 2 }),
  ])(
    'the rounded neighbours differ by at most K = ceil(D / g) + d - 1 grid steps in L1',
    (x, direction, exponent) => {
      const g = 2 ** exponent;
      const d = x.length;
      const sensitivity = 0.75;
      let norm = 0;
      for (let i = 0; i < d; i++) norm += Math.abs(direction[i]!);
      fc.pre(norm > 0);
      const neighbour = x.map((v, i) => v + (direction[i]! / norm) * sensitivity * 0.999999);
      let steps = 0;
      for (let i = 0; i < d; i++) steps += Math.abs(roundHalfUp(x[i]! / g) - roundHalfUp(neighbour[i]! / g));
      expect(steps).toBeLessThanOrEqual(Math.ceil(sensitivity / g) + d - 1);
    },
  );
});

describe('granularLaplaceMechanism noise', () => {
  it('is Laplace(b) up to the grid (KS, alpha = 1e-4)', () => {
    const n = 20_000;
    const mech = granularLaplaceMechanism({ l1Sensitivity: 1, scale: 2.5, granularity: 2 ** -16 });
    const rng = seededRng(701);
    const noise = new Float64Array(n);
    for (let i = 0; i < n; i++) noise[i] = mech.release(0, rng)[0]!;
    const cdf = (v: number) => (v < 0 ? 0.5 * Math.exp(v / 2.5) : 1 - 0.5 * Math.exp(-v / 2.5));
    expect(ksPValue(ksStatistic(noise, cdf), n)).toBeGreaterThan(1e-4);
  });
});
