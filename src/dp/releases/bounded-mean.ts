/**
 * A private mean of values clamped to declared bounds [lower, upper], as a noisy sum over a noisy count.
 *
 * Neighbouring relation: add/remove one record. The values are centred at c = (lower + upper) / 2 so that the
 * sum's sensitivity is the half-range (upper - lower) / 2 instead of max(|lower|, |upper|); the count's is 1.
 * Budget split (documented, fixed): half to each, i.e. epsilon/2 + epsilon/2 (pure DP composes by addition,
 * Dwork & Roth 2014, Thm 3.14) or rho/2 + rho/2 (zCDP composes by addition, Bun & Steinke 2016, Lemma 2.3).
 * Result: c + g * (sum of k + Z_sum) / max(1, n + Z_count), clamped to [lower, upper] (post-processing).
 * The event is `composed` of the sum's and the count's events.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import { assertBounds, type Rng } from '../../core/index.js';
import { composeEvents } from '../_events.js';
import { assertOptions, makeRelease, resolveRng, toDataVector } from '../_input.js';
import { clamp } from '../_numeric.js';
import type { Mechanism, Release } from '../mechanism.js';
import { gridSum, makeGrid } from './grid.js';
import { planIntegerNoise, type ReleaseNoise, scaleBudget, validateNoise } from './noise.js';

/** Options of {@link privateBoundedMean}. */
export interface PrivateBoundedMeanOptions {
  /** Lower clamping bound, finite. */
  readonly lower: number;
  /** Upper clamping bound, finite and > lower. */
  readonly upper: number;
  /** The whole budget, split half/half between the sum and the count. */
  readonly noise: ReleaseNoise;
}

/** A private bounded mean. */
export interface PrivateBoundedMean extends Mechanism<ArrayLike<number>, Release<number>> {
  readonly name: 'bounded-mean';
  readonly event: PrivacyEvent;
  readonly lower: number;
  readonly upper: number;
  /** (upper - lower) / 2: the add/remove-one sensitivity of the centred sum. */
  readonly sumSensitivity: number;
}

/**
 * The add/remove-one sensitivity of a sum of values clamped to [lower, upper] after centring them at the
 * midpoint: (upper - lower) / 2.
 * @example centredSumSensitivity(0, 10) // 5
 */
export function centredSumSensitivity(lower: number, upper: number): number {
  return upper / 2 - lower / 2;
}

/**
 * A private mean of values clamped to [lower, upper] (noisy centred sum / noisy count, budget split half and
 * half). Records a `composed` event of two discrete-noise events.
 * @param options.lower finite lower bound
 * @param options.upper finite upper bound > lower
 * @param options.noise the whole privacy target
 * @returns a frozen mechanism; `release` returns `{ value, event, private }` with value in [lower, upper]
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bounds or noise; at release, for a
 *   non-array, a non-finite value or more than 2^28 values
 * @example
 * const mean = privateBoundedMean({ lower: 18, upper: 90, noise: { kind: 'gaussian', rho: 0.5 } });
 * mean.release(ages).value;
 */
export function privateBoundedMean(options: PrivateBoundedMeanOptions): PrivateBoundedMean {
  const fn = 'privateBoundedMean';
  assertOptions(fn, options);
  const { lower, upper } = options;
  assertBounds(fn, lower, upper);
  const noise = validateNoise(fn, options.noise);
  const center = lower / 2 + upper / 2;
  const grid = makeGrid(lower, upper, center);
  const half = scaleBudget(noise, 0.5);
  const sumPlan = planIntegerNoise(fn, half, grid.sensitivity, 1);
  const countPlan = planIntegerNoise(fn, half, 1, 1);
  const event = composeEvents([sumPlan.event, countPlan.event]);
  return Object.freeze({
    name: 'bounded-mean',
    event,
    lower,
    upper,
    sumSensitivity: centredSumSensitivity(lower, upper),
    release(values: ArrayLike<number>, rng?: Rng): Release<number> {
      const data = toDataVector(fn, 'values', values);
      const sum = gridSum(fn, grid, data);
      const r = resolveRng(fn, rng);
      const noisySum = (sum + sumPlan.sample(r)) * grid.granularity;
      const noisyCount = data.length + countPlan.sample(r);
      const mean = center + noisySum / Math.max(1, noisyCount);
      return makeRelease(clamp(mean, lower, upper), event, r);
    },
  });
}
