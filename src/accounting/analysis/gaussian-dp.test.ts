import { describe, expect, it } from 'vitest';
import { calibrateGaussianSigma, gaussianDelta, gaussianEpsilon } from './gaussian-dp.js';

// Reference values: Balle & Wang 2018 Thm. 8 evaluated with mpmath 1.3.0 at 40 digits (ncdf), and the
// smallest sigma found by a 200-step bisection at that precision (computed on the development machine).
const SIGMAS: ReadonlyArray<readonly [number, number, number]> = [
  [0.1, 1e-5, 30.749566131977448],
  [1, 1e-5, 3.7306316348159418],
  [5, 1e-5, 0.89186826495151803],
  [1, 1e-6, 4.2246788893268353],
  [0.5, 1e-3, 4.6101279507281402],
];

describe('analytic Gaussian (Balle & Wang 2018)', () => {
  it.each([
    [1, 1, 0.12693673750664395],
    [3.7, 1, 1.1456087839048875e-5],
    [0.5, 2, 0.33189799877682939],
  ])('delta(sigma=%d, eps=%d) matches mpmath', (s, e, expected) => {
    expect(Math.abs(gaussianDelta(s, e) - expected) / expected).toBeLessThan(1e-12);
  });

  it.each(SIGMAS)(
    'calibrates sigma for (%d, %d) to the mpmath value, never below it',
    (epsilon, delta, expected) => {
      const sigma = calibrateGaussianSigma({ epsilon, delta });
      expect(sigma).toBeGreaterThanOrEqual(expected * (1 - 1e-11));
      expect(Math.abs(sigma - expected) / expected).toBeLessThan(1e-9);
      expect(gaussianDelta(sigma, epsilon)).toBeLessThanOrEqual(delta);
    },
  );

  it('scales with the sensitivity', () => {
    expect(calibrateGaussianSigma({ epsilon: 1, delta: 1e-5, l2Sensitivity: 3 })).toBeCloseTo(
      3 * calibrateGaussianSigma({ epsilon: 1, delta: 1e-5 }),
      9,
    );
  });

  it('classical calibration is the Dwork-Roth formula and needs epsilon < 1', () => {
    expect(calibrateGaussianSigma({ epsilon: 0.5, delta: 1e-5, calibration: 'classical' })).toBeCloseTo(
      Math.sqrt(2 * Math.log(1.25 / 1e-5)) / 0.5,
      12,
    );
    expect(() => calibrateGaussianSigma({ epsilon: 1, delta: 1e-5, calibration: 'classical' })).toThrow(
      /epsilon must be a number in \(0, 1\) for classical calibration/,
    );
  });

  it('analytic is never noisier than classical', () => {
    for (const epsilon of [0.05, 0.3, 0.9]) {
      expect(calibrateGaussianSigma({ epsilon, delta: 1e-5 })).toBeLessThan(
        calibrateGaussianSigma({ epsilon, delta: 1e-5, calibration: 'classical' }),
      );
    }
  });

  it('gaussianEpsilon inverts gaussianDelta', () => {
    const e = gaussianEpsilon(3.7306316348159418, 1e-5);
    expect(e).toBeCloseTo(1, 9);
    expect(gaussianDelta(3.7306316348159418, e)).toBeLessThanOrEqual(1e-5);
  });

  it('refuses out-of-range targets', () => {
    expect(() => calibrateGaussianSigma({ epsilon: 0, delta: 1e-5 })).toThrow(
      'calibrateGaussianSigma: epsilon must be a finite number > 0, got 0',
    );
    expect(() => calibrateGaussianSigma({ epsilon: 1, delta: 1 })).toThrow(
      'calibrateGaussianSigma: delta must be a number in (0, 1), got 1',
    );
    expect(() => calibrateGaussianSigma({ epsilon: 1, delta: 1e-5, l2Sensitivity: -1 })).toThrow(
      /l2Sensitivity/,
    );
  });
});
