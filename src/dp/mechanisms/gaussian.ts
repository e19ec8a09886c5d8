/**
 * The Gaussian mechanism over doubles: N(0, sigma^2) noise per coordinate on a query of L2 sensitivity D.
 *
 * - `{ sigma }`: the event records sigma and D; accountants derive epsilon for any delta (tightly, via the
 *   analytic formula of Balle & Wang 2018 or by RDP/PLD composition).
 * - `{ epsilon, delta, calibration: 'analytic' }` (default): the smallest sigma that is (epsilon, delta)-DP,
 *   from Balle & Wang 2018 ("Improving the Gaussian Mechanism for Differential Privacy", ICML,
 *   arXiv:1805.06530, Thm 8), computed by `calibrateGaussianSigma` in `veil/accounting` (rounded up).
 * - `{ epsilon, delta, calibration: 'classical' }`: sigma = D sqrt(2 ln(1.25/delta)) / epsilon
 *   (Dwork & Roth 2014, Thm A.1), proven only for epsilon < 1.
 *
 * Floating-point caveat: doubles from a polar-method normal are subject to the same low-order-bit leakage as
 * the float Laplace (Mironov 2012). For integer queries use `discreteGaussianMechanism`.
 */
import { calibrateGaussianSigma, type GaussianEvent, gaussianEvent } from '../../accounting/index.js';
import {
  assertOneOf,
  assertOpenUnit,
  assertPositive,
  InvalidParameterError,
  type Rng,
} from '../../core/index.js';
import { assertOptions, resolveRng, toFiniteVector } from '../_input.js';
import type { Mechanism, NumericInput } from '../mechanism.js';

/** How sigma is derived from (epsilon, delta). */
export type GaussianCalibration = 'analytic' | 'classical';

/** Options of {@link gaussianMechanism}: give `sigma`, or a target `(epsilon, delta)`. */
export type GaussianOptions =
  | {
      readonly l2Sensitivity: number;
      readonly sigma: number;
      readonly epsilon?: never;
      readonly delta?: never;
      readonly calibration?: never;
    }
  | {
      readonly l2Sensitivity: number;
      readonly epsilon: number;
      readonly delta: number;
      /** `'analytic'` (default; Balle & Wang 2018, tight) or `'classical'` (Dwork & Roth, epsilon < 1). */
      readonly calibration?: GaussianCalibration;
      readonly sigma?: never;
    };

/** A Gaussian mechanism: `release` adds independent N(0, sigma^2) noise to every coordinate. */
export interface GaussianMechanism extends Mechanism<NumericInput, Float64Array> {
  readonly name: 'gaussian';
  readonly event: GaussianEvent;
  /** Standard deviation of the noise, in the query's units. */
  readonly sigma: number;
  readonly l2Sensitivity: number;
}

/**
 * The Gaussian mechanism. Records a `gaussian` event `{ sigma, l2Sensitivity }`.
 *
 * Subject to Mironov's 2012 floating-point attack; prefer `discreteGaussianMechanism` for integer queries.
 * Output released with a seeded rng is not private.
 * @param options.l2Sensitivity max L2 distance of the query between neighbours, finite > 0
 * @param options.sigma noise standard deviation > 0 (or give `epsilon` > 0 and `delta` in (0, 1))
 * @param options.calibration `'analytic'` (default) or `'classical'` (requires epsilon < 1)
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad sensitivity, sigma, epsilon, delta or
 *   calibration, both sigma and epsilon, or classical calibration with epsilon >= 1
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if the analytic calibration cannot bracket sigma
 * @example
 * const mech = gaussianMechanism({ l2Sensitivity: 1, epsilon: 1, delta: 1e-5 }); // sigma ~ 3.73
 * mech.release(new Float64Array([0.5, 0.25]));
 */
export function gaussianMechanism(options: GaussianOptions): GaussianMechanism {
  const fn = 'gaussianMechanism';
  assertOptions(fn, options);
  const { l2Sensitivity } = options;
  assertPositive(fn, 'l2Sensitivity', l2Sensitivity);
  let sigma: number;
  if (options.sigma !== undefined) {
    const raw: Readonly<Record<string, unknown>> = options;
    if (raw['epsilon'] !== undefined || raw['delta'] !== undefined) {
      throw new InvalidParameterError({
        fn,
        param: 'epsilon',
        value: raw['epsilon'],
        allowed: 'absent when sigma is given',
      });
    }
    assertPositive(fn, 'sigma', options.sigma);
    sigma = options.sigma;
  } else {
    const { epsilon, delta } = options;
    assertPositive(fn, 'epsilon', epsilon);
    assertOpenUnit(fn, 'delta', delta);
    const calibration: unknown = options.calibration ?? 'analytic';
    assertOneOf(fn, 'calibration', calibration, ['analytic', 'classical'] as const);
    if (calibration === 'classical' && epsilon >= 1) {
      throw new InvalidParameterError({
        fn,
        param: 'epsilon',
        value: epsilon,
        allowed: "a number in (0, 1) for classical calibration (use calibration: 'analytic')",
      });
    }
    // Balle & Wang 2018, Thm 8 (analytic) or Dwork & Roth 2014, Thm A.1 (classical); rounded up there.
    sigma = calibrateGaussianSigma({ epsilon, delta, l2Sensitivity, calibration });
  }
  const event = gaussianEvent({ sigma, l2Sensitivity });
  return Object.freeze({
    name: 'gaussian',
    event,
    sigma,
    l2Sensitivity,
    release(input: NumericInput, rng?: Rng): Float64Array {
      const values = toFiniteVector(fn, 'values', input);
      const r = resolveRng(fn, rng);
      for (let i = 0; i < values.length; i++) values[i] += sigma * r.normal();
      return values;
    },
  });
}
