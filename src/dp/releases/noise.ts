/**
 * The noise of the high-level releases, chosen by a privacy target rather than a scale, and always drawn by
 * the exact integer samplers (no floating-point caveat):
 *
 * - `{ kind: 'laplace', epsilon }`: discrete Laplace with scale K / epsilon (rounded up) on an integer query
 *   of L1 sensitivity K: pure epsilon-DP (Ghosh, Roughgarden & Sundararajan 2009).
 * - `{ kind: 'gaussian', rho }`: discrete Gaussian with sigma = K / sqrt(2 rho) (rounded up) on an integer
 *   query of L2 sensitivity K: rho-zCDP (Canonne, Kamath & Steinke 2020, arXiv:2004.00010, Prop. 5; Rényi
 *   divergences of independent coordinates add); for a histogram the event also carries the dimension.
 *
 * Neighbouring relation of every release: add/remove one record (as Opacus and dp_accounting use).
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import { assertPositive, InvalidParameterError, type Rng } from '../../core/index.js';
import { discreteGaussianEvent, discreteLaplaceEvent } from '../_events.js';
import { divideRoundingUp, roundUpUlps } from '../_numeric.js';
import {
  DiscreteGaussianKernel,
  MAX_DISCRETE_SIGMA,
  MIN_DISCRETE_SIGMA,
} from '../samplers/discrete-gaussian.js';
import {
  MAX_DISCRETE_SCALE,
  MIN_DISCRETE_SCALE,
  sampleDiscreteLaplace,
} from '../samplers/discrete-laplace.js';
import { rationalScale } from '../samplers/rational-scale.js';

/** How a release is privatised: pure epsilon-DP (discrete Laplace) or rho-zCDP (discrete Gaussian). */
export type ReleaseNoise =
  | { readonly kind: 'laplace'; readonly epsilon: number }
  | { readonly kind: 'gaussian'; readonly rho: number };

/** Integer noise for one query, with the event it records (internal). */
export interface IntegerNoisePlan {
  readonly event: PrivacyEvent;
  /** One draw of integer noise. */
  sample(rng: Rng): number;
}

/**
 * Checks a {@link ReleaseNoise}. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming `noise.kind`,
 * `noise.epsilon` or `noise.rho`.
 */
export function validateNoise(fn: string, noise: ReleaseNoise): ReleaseNoise {
  if (typeof noise !== 'object' || noise === null) {
    throw new InvalidParameterError({
      fn,
      param: 'noise',
      value: noise,
      allowed: "{ kind: 'laplace', epsilon } or { kind: 'gaussian', rho }",
    });
  }
  if (noise.kind === 'laplace') assertPositive(fn, 'noise.epsilon', noise.epsilon);
  else if (noise.kind === 'gaussian') assertPositive(fn, 'noise.rho', noise.rho);
  else {
    const kind: unknown = (noise as { kind?: unknown }).kind;
    throw new InvalidParameterError({
      fn,
      param: 'noise.kind',
      value: kind,
      allowed: "'laplace' or 'gaussian'",
    });
  }
  return noise;
}

/** The same kind of noise with its budget multiplied by `fraction` (composition splits; fraction in (0, 1]). */
export function scaleBudget(noise: ReleaseNoise, fraction: number): ReleaseNoise {
  // Rounding the share down keeps the sum of the shares <= the whole budget.
  const share = (x: number): number => {
    const y = x * fraction;
    return y - y * 4 * Number.EPSILON;
  };
  return noise.kind === 'laplace'
    ? { kind: 'laplace', epsilon: share(noise.epsilon) }
    : { kind: 'gaussian', rho: share(noise.rho) };
}

/**
 * Integer noise for a query of integer sensitivity K (L1 = K for Laplace; L2 = K for Gaussian) over
 * `dimension` coordinates.
 * @throws {InvalidParameterError} when the implied scale or sigma falls outside [2^-40, 2^40]
 */
export function planIntegerNoise(
  fn: string,
  noise: ReleaseNoise,
  sensitivity: number,
  dimension: number,
): IntegerNoisePlan {
  if (noise.kind === 'laplace') {
    // epsilon = K / b  <=>  b = K / epsilon, rounded up so that K / b <= epsilon exactly.
    const scale = divideRoundingUp(sensitivity, noise.epsilon);
    if (!(scale >= MIN_DISCRETE_SCALE && scale <= MAX_DISCRETE_SCALE)) {
      throw new InvalidParameterError({
        fn,
        param: 'noise.epsilon',
        value: noise.epsilon,
        allowed: `a number with ${sensitivity} / epsilon in [2^-40, 2^40]`,
      });
    }
    const { t, s } = rationalScale(scale);
    return Object.freeze({
      event: discreteLaplaceEvent(fn, scale, sensitivity),
      sample: (rng: Rng) => sampleDiscreteLaplace(rng, t, s),
    });
  }
  // rho = K^2 / (2 sigma^2)  <=>  sigma = K / sqrt(2 rho). sqrt and / each round by <= 2^-53 relative, so
  // three ulps up make sigma >= its exact value.
  const sigma = roundUpUlps(sensitivity / Math.sqrt(2 * noise.rho), 3);
  if (!(sigma >= MIN_DISCRETE_SIGMA && sigma <= MAX_DISCRETE_SIGMA)) {
    throw new InvalidParameterError({
      fn,
      param: 'noise.rho',
      value: noise.rho,
      allowed: `a number with ${sensitivity} / sqrt(2 rho) in [2^-40, 2^40]`,
    });
  }
  const kernel = new DiscreteGaussianKernel(sigma);
  return Object.freeze({
    event: discreteGaussianEvent(fn, sigma, sensitivity, dimension),
    sample: (rng: Rng) => kernel.sample(rng),
  });
}
