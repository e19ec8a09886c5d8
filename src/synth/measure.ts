/**
 * The private measurements of synthetic data, each with the privacy event it spends:
 *
 * - a noisy marginal: the Gaussian mechanism on marginal counts (`veil/dp`'s `gaussianMechanism`), L2 sensitivity
 *   1 under add/remove-one-record (one record changes one cell by 1), so sigma gives rho = 1 / (2 sigma^2)
 *   (Bun & Steinke 2016, Prop. 1.6);
 * - a selection: the exponential mechanism over candidate scores, recorded in zCDP through bounded range.
 *
 * Output made with a seeded rng is not private (the caller marks it so).
 */
import { createAccountant, type GaussianEvent, type ZcdpEvent } from '../accounting/index.js';
import {
  assertFiniteArray,
  assertOpenUnit,
  assertPositive,
  InvalidParameterError,
  NumericError,
  type Rng,
} from '../core/index.js';
import { exponentialMechanism, gaussianMechanism } from '../dp/index.js';
import type { Measurement } from './model/index.js';

/**
 * The sigma of a Gaussian measurement of L2 sensitivity 1 that is rho-zCDP: sqrt(1 / (2 rho)), nudged up
 * until 1 / (2 sigma^2) <= rho holds in floating point (fail closed).
 * @param rho the zCDP budget of the measurement, finite > 0
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when rho is not finite > 0
 * @example sigmaForRho(0.5); // 1
 */
export function sigmaForRho(rho: number): number {
  assertPositive('sigmaForRho', 'rho', rho);
  let sigma = Math.sqrt(1 / (2 * rho));
  while (1 / (2 * sigma * sigma) > rho) sigma = nextUp(sigma);
  return sigma;
}

/**
 * The Gaussian mechanism on marginal counts: adds independent N(0, sigma^2) to every cell.
 * @param counts the true counts over `attrs` (left unchanged)
 * @param attrs the marginal's attributes, for the measurement
 * @param sigma noise standard deviation in counts, finite > 0
 * @param rng the randomness (the CSPRNG for private output)
 * @returns the measurement and its event `{ kind: 'gaussian', sigma, l2Sensitivity: 1 }`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad sigma or non-finite counts
 * @example measureMarginal(marginalCounts(data, ['sex']), ['sex'], sigmaForRho(0.1), csprng());
 */
export function measureMarginal(
  counts: Float64Array,
  attrs: readonly string[],
  sigma: number,
  rng: Rng,
): { readonly measurement: Measurement; readonly event: GaussianEvent } {
  assertPositive('measureMarginal', 'sigma', sigma);
  const mechanism = gaussianMechanism({ l2Sensitivity: 1, sigma });
  const values = mechanism.release(counts, rng);
  return { measurement: { attrs: [...attrs], values, sigma }, event: mechanism.event };
}

/**
 * The exponential mechanism: index i with probability proportional to exp(epsilon score_i / (2 sensitivity))
 * (McSherry & Talwar 2007), sampled in log space after subtracting the largest score (`veil/dp`'s sampler:
 * stable for large scores; exact up to ~n^2 2^-53 relative error). It is epsilon-DP and, more tightly,
 * epsilon-bounded-range, hence (epsilon^2 / 8)-zCDP (Cesar & Rogers 2021, "Bounding, Concentrating, and
 * Truncating: Unifying Privacy Loss Composition for Data Analytics", ALT, arXiv:2004.07223), which is the event
 * recorded: `{ kind: 'zcdp', rho: epsilon^2 / 8, mechanism: 'exponential' }`.
 * @param scores candidate scores, finite; higher is better
 * @param options.epsilon finite > 0
 * @param options.sensitivity max change of any score between neighbours, finite > 0
 * @param rng the randomness (the CSPRNG for private output)
 * @returns the selected index and its event
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad epsilon, sensitivity, or empty/non-finite scores
 * @example selectExponential([3, 10, 4], { epsilon: 1, sensitivity: 1 }, csprng()).index; // most likely 1
 */
export function selectExponential(
  scores: ArrayLike<number>,
  options: { readonly epsilon: number; readonly sensitivity: number },
  rng: Rng,
): { readonly index: number; readonly event: ZcdpEvent } {
  const fn = 'selectExponential';
  const { epsilon, sensitivity } = options;
  assertPositive(fn, 'epsilon', epsilon);
  assertPositive(fn, 'sensitivity', sensitivity);
  if (scores.length === 0) {
    throw new InvalidParameterError({ fn, param: 'scores', value: scores, allowed: 'at least one score' });
  }
  assertFiniteArray(fn, 'scores', scores);
  const mechanism = exponentialMechanism({ epsilon, utilitySensitivity: sensitivity });
  const index = mechanism.release(scores, rng);
  // Cesar & Rogers 2021 (arXiv:2004.07223): epsilon-bounded range implies (epsilon^2 / 8)-zCDP.
  return { index, event: { kind: 'zcdp', rho: (epsilon * epsilon) / 8, mechanism: 'exponential' } };
}

/** The next double above a positive finite x. */
function nextUp(x: number): number {
  const buffer = new Float64Array([x]);
  const bits = new BigInt64Array(buffer.buffer);
  bits[0] = bits[0]! + 1n;
  return buffer[0]!;
}

/**
 * The largest rho whose zCDP guarantee the zCDP accountant converts to at most `epsilon` at `delta`: bisection
 * against `createAccountant('zcdp')`, keeping only values the accountant accepts, so the claim made for the
 * returned rho is exactly what the accountant says (never above epsilon).
 * @param epsilon target epsilon, finite > 0
 * @param delta target delta in (0, 1)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad epsilon or delta
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when no rho > 0 fits
 * @example rhoFor(1, 1e-9); // about 0.01497
 */
export function rhoFor(epsilon: number, delta: number): number {
  const fn = 'rhoFor';
  assertPositive(fn, 'epsilon', epsilon);
  assertOpenUnit(fn, 'delta', delta);
  const ok = (rho: number) =>
    createAccountant('zcdp').compose({ kind: 'zcdp', rho }).epsilon({ delta }) <= epsilon;
  let lo = 0;
  let hi = epsilon;
  while (ok(hi)) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) throw new NumericError(`${fn}: no finite upper bracket`, { epsilon, delta });
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  if (!(lo > 0)) throw new NumericError(`${fn}: no rho > 0 meets epsilon ${epsilon} at delta ${delta}`, {});
  return lo;
}
