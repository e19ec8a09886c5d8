/**
 * Calibration vs dp_accounting 0.6.0 `mechanism_calibration.calibrate_dp_mechanism` (bracket [0.3, 30],
 * tol 1e-9) and `gaussian_mechanism.get_sigma_gaussian`, run from source on the development machine (file
 * commits in __vectors__/dp-accounting-calibration.json `source`).
 *
 * Veil's noise must meet the target by its own accountant and be at most dp_accounting's plus Veil's tolerance
 * (Veil's RDP and PLD are never looser, so its smallest noise is never larger), and close to it.
 */
import { describe, expect, it } from 'vitest';
import vectors from './__vectors__/dp-accounting-calibration.json' with { type: 'json' };
import { calibrateGaussianSigma } from './analysis/gaussian-dp.js';
import { calibrateNoiseMultiplier } from './calibrate.js';

describe('calibration vs dp_accounting', () => {
  it.each(vectors.calibration.map((r) => [r.accountant, r.q, r.steps, r.target_epsilon, r] as const))(
    '%s, q=%d, %d steps, target %d',
    (_accountant, _q, _steps, _target, r) => {
      const tolerance = 1e-4;
      const ours = calibrateNoiseMultiplier({
        targetEpsilon: r.target_epsilon,
        delta: r.delta,
        sampleRate: r.q,
        steps: r.steps,
        accountant: r.accountant as 'rdp' | 'pld',
        tolerance,
      });
      expect(ours.epsilon).toBeLessThanOrEqual(r.target_epsilon);
      expect(ours.noiseMultiplier).toBeLessThanOrEqual(r.noise_multiplier + tolerance);
      expect(ours.noiseMultiplier).toBeGreaterThan(r.noise_multiplier * 0.995);
    },
  );

  it.each(vectors.analytic_gaussian.rows.map((r) => [r.epsilon, r.delta, r.sigma] as const))(
    'analytic Gaussian sigma for epsilon %d, delta %d',
    (epsilon, delta, sigma) => {
      expect(calibrateGaussianSigma({ epsilon, delta })).toBeCloseTo(sigma, 9);
    },
  );
});
