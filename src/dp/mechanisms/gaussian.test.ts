import { describe, expect, it } from 'vitest';
import { calibrateGaussianSigma } from '../../accounting/index.js';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { gaussianMechanism } from './gaussian.js';

const fn = 'gaussianMechanism';
type Options = Parameters<typeof gaussianMechanism>[0];

describe('gaussianMechanism', () => {
  it('records a gaussian event with the given sigma', () => {
    const mech = gaussianMechanism({ l2Sensitivity: 1, sigma: 2.5 });
    expect(mech.event).toEqual({ kind: 'gaussian', sigma: 2.5, l2Sensitivity: 1 });
    expect(Object.isFrozen(mech)).toBe(true);
  });

  it('calibrates sigma analytically by default (Balle & Wang 2018), below the classical sigma', () => {
    const analytic = gaussianMechanism({ l2Sensitivity: 2, epsilon: 0.5, delta: 1e-5 });
    expect(analytic.sigma).toBe(calibrateGaussianSigma({ epsilon: 0.5, delta: 1e-5, l2Sensitivity: 2 }));
    const classical = gaussianMechanism({
      l2Sensitivity: 2,
      epsilon: 0.5,
      delta: 1e-5,
      calibration: 'classical',
    });
    expect(classical.sigma).toBeCloseTo((2 * Math.sqrt(2 * Math.log(1.25 / 1e-5))) / 0.5, 10);
    expect(analytic.sigma).toBeLessThan(classical.sigma);
  });

  it('refuses classical calibration with epsilon >= 1', () => {
    expectInvalidParameter(
      () => gaussianMechanism({ l2Sensitivity: 1, epsilon: 1, delta: 1e-5, calibration: 'classical' }),
      fn,
      'epsilon',
    );
  });

  it('refuses bad sigma, epsilon, delta, sensitivity and calibration', () => {
    expectInvalidParameter(() => gaussianMechanism({ l2Sensitivity: 1, sigma: 0 }), fn, 'sigma');
    expectInvalidParameter(() => gaussianMechanism({ l2Sensitivity: -1, sigma: 1 }), fn, 'l2Sensitivity');
    expectInvalidParameter(
      () => gaussianMechanism({ l2Sensitivity: 1, epsilon: 0, delta: 1e-5 }),
      fn,
      'epsilon',
    );
    expectInvalidParameter(() => gaussianMechanism({ l2Sensitivity: 1, epsilon: 1, delta: 0 }), fn, 'delta');
    expectInvalidParameter(() => gaussianMechanism({ l2Sensitivity: 1, epsilon: 1, delta: 1 }), fn, 'delta');
    const badCalibration = {
      l2Sensitivity: 1,
      epsilon: 1,
      delta: 1e-5,
      calibration: 'tight',
    } as unknown as Options;
    expectInvalidParameter(() => gaussianMechanism(badCalibration), fn, 'calibration');
  });

  it('refuses sigma together with epsilon', () => {
    const both = { l2Sensitivity: 1, sigma: 1, epsilon: 1, delta: 1e-5 } as unknown as Options;
    expectInvalidParameter(() => gaussianMechanism(both), fn, 'epsilon');
  });

  it('returns one noisy value per input', () => {
    const out = gaussianMechanism({ l2Sensitivity: 1, sigma: 1 }).release([1, 2, 3, 4], seededRng(3));
    expect(out).toHaveLength(4);
    expectInvalidParameter(
      () => gaussianMechanism({ l2Sensitivity: 1, sigma: 1 }).release([Number.NaN]),
      fn,
      'values[0]',
    );
  });
});
