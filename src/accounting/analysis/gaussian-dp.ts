/**
 * Exact (epsilon, delta) of one Gaussian mechanism and its calibration.
 *
 * - Analytic Gaussian (Balle & Wang 2018, "Improving the Gaussian Mechanism for Differential Privacy",
 *   ICML, arXiv:1805.06530, Theorem 8): adding N(0, sigma^2) to a query of L2 sensitivity D is
 *   (epsilon, delta)-DP iff  Phi(D/(2 sigma) - epsilon sigma/D) - e^epsilon Phi(-D/(2 sigma) - epsilon sigma/D) <= delta.
 *   This is tight, so the calibrated sigma is the smallest possible for the pair.
 * - Classical calibration (Dwork & Roth 2014, Theorem A.1): sigma = D sqrt(2 ln(1.25/delta)) / epsilon, proven
 *   only for epsilon < 1; kept because users compare against it.
 */
import {
  assertOpenUnit,
  assertPositive,
  InvalidParameterError,
  NumericError,
  normalCdf,
  normalLogCdf,
  smallestSatisfying,
} from '../../core/index.js';

/**
 * The exact delta of the Gaussian mechanism at `epsilon` (Balle & Wang 2018, Thm 8), for noise multiplier
 * mu^-1 = sigma / sensitivity. Pass `sigma / l2Sensitivity`.
 */
export function gaussianDelta(noiseMultiplier: number, epsilon: number): number {
  assertPositive('gaussianDelta', 'noiseMultiplier', noiseMultiplier);
  if (typeof epsilon !== 'number' || Number.isNaN(epsilon) || epsilon < 0) {
    throw new InvalidParameterError({
      fn: 'gaussianDelta',
      param: 'epsilon',
      value: epsilon,
      allowed: 'a number >= 0',
    });
  }
  if (epsilon === Number.POSITIVE_INFINITY) return 0;
  const s = noiseMultiplier;
  const a = 1 / (2 * s) - epsilon * s;
  const b = -1 / (2 * s) - epsilon * s;
  const second = Math.exp(epsilon + normalLogCdf(b));
  const delta = normalCdf(a) - second;
  if (Number.isNaN(delta)) throw new NumericError('gaussianDelta: NaN', { noiseMultiplier, epsilon });
  // Cancellation can only produce tiny negatives; clamp at 0 (the true value is >= 0).
  return Math.max(0, delta);
}

/**
 * The smallest epsilon with gaussianDelta(noiseMultiplier, epsilon) <= delta (to within 1e-12 relative, rounded up).
 */
export function gaussianEpsilon(noiseMultiplier: number, delta: number): number {
  assertPositive('gaussianEpsilon', 'noiseMultiplier', noiseMultiplier);
  assertOpenUnit('gaussianEpsilon', 'delta', delta);
  if (gaussianDelta(noiseMultiplier, 0) <= delta) return 0;
  let hi = 1;
  while (gaussianDelta(noiseMultiplier, hi) > delta) {
    hi *= 2;
    if (hi > 1e12) throw new NumericError('gaussianEpsilon: epsilon above 1e12', { noiseMultiplier, delta });
  }
  return smallestSatisfying((e) => gaussianDelta(noiseMultiplier, e) <= delta, 0, hi, {
    tolerance: 1e-12,
    relative: true,
    what: 'epsilon',
  });
}

/** Options of {@link calibrateGaussianSigma}. */
export interface GaussianCalibrationOptions {
  readonly epsilon: number;
  readonly delta: number;
  /** L2 sensitivity of the query (default 1). */
  readonly l2Sensitivity?: number;
  /** `'analytic'` (default, tight, any epsilon) or `'classical'` (Dwork & Roth, epsilon < 1 only). */
  readonly calibration?: 'analytic' | 'classical';
}

/**
 * The standard deviation sigma for an (epsilon, delta)-DP Gaussian mechanism.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for epsilon <= 0, delta outside (0, 1), sensitivity <= 0,
 *   or epsilon >= 1 with classical calibration (its proof needs epsilon < 1).
 * @example calibrateGaussianSigma({ epsilon: 1, delta: 1e-5 }) // about 3.73 (classical would give 4.84)
 */
export function calibrateGaussianSigma(options: GaussianCalibrationOptions): number {
  const fn = 'calibrateGaussianSigma';
  const { epsilon, delta } = options;
  const l2Sensitivity = options.l2Sensitivity ?? 1;
  assertPositive(fn, 'epsilon', epsilon);
  assertOpenUnit(fn, 'delta', delta);
  assertPositive(fn, 'l2Sensitivity', l2Sensitivity);
  const calibration = options.calibration ?? 'analytic';
  if (calibration === 'classical') {
    if (epsilon >= 1) {
      throw new InvalidParameterError({
        fn,
        param: 'epsilon',
        value: epsilon,
        allowed:
          "a number in (0, 1) for classical calibration (use calibration: 'analytic' for larger epsilon)",
      });
    }
    return (l2Sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
  }
  let hi = 1;
  while (gaussianDelta(hi, epsilon) > delta) {
    hi *= 2;
    if (hi > 1e12)
      throw new NumericError(`${fn}: no noise multiplier below 1e12 meets the target`, { epsilon, delta });
  }
  const multiplier = smallestSatisfying((s) => gaussianDelta(s, epsilon) <= delta, hi / 2 ** 40, hi, {
    tolerance: 1e-12,
    relative: true,
    what: 'noise multiplier',
  });
  return multiplier * l2Sensitivity;
}
