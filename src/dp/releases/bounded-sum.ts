/**
 * A private sum of values clamped to declared bounds [lower, upper].
 *
 * Neighbouring relation: add/remove one record. Adding a record with clamped value x changes the sum by x,
 * so the sensitivity is max(|lower|, |upper|) (under replace-one it would be upper - lower). The values are
 * encoded exactly on a power-of-two grid (releases/grid.ts), so the sensitivity actually enforced is the
 * integer K = max(|k(lower)|, |k(upper)|) grid steps, about max(|lower|, |upper|) / g with g ~ 2^-24 of it;
 * the released value is g * (sum of k + Z) with Z exact integer noise of sensitivity K.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import { assertBounds, NumericError, type Rng } from '../../core/index.js';
import { assertOptions, makeRelease, resolveRng, toDataVector } from '../_input.js';
import type { Mechanism, Release } from '../mechanism.js';
import { gridSum, makeGrid } from './grid.js';
import { planIntegerNoise, type ReleaseNoise, validateNoise } from './noise.js';

/** Options of {@link privateBoundedSum}. */
export interface PrivateBoundedSumOptions {
  /** Lower clamping bound, finite. */
  readonly lower: number;
  /** Upper clamping bound, finite and > lower. */
  readonly upper: number;
  /** `{ kind: 'laplace', epsilon }` or `{ kind: 'gaussian', rho }`. */
  readonly noise: ReleaseNoise;
}

/** A private bounded sum. */
export interface PrivateBoundedSum extends Mechanism<ArrayLike<number>, Release<number>> {
  readonly name: 'bounded-sum';
  readonly event: PrivacyEvent;
  readonly lower: number;
  readonly upper: number;
  /** max(|lower|, |upper|): the add/remove-one sensitivity in the values' units. */
  readonly sensitivity: number;
  /** The grid g: the released value is a multiple of it. */
  readonly granularity: number;
}

/**
 * The add/remove-one sensitivity of a sum of values clamped to [lower, upper]: max(|lower|, |upper|).
 * @example boundedSumSensitivity(-1, 3) // 3
 */
export function boundedSumSensitivity(lower: number, upper: number): number {
  return Math.max(Math.abs(lower), Math.abs(upper));
}

/**
 * A private sum of values clamped to [lower, upper]. Records a `discrete-laplace` or `discrete-gaussian`
 * event in grid units (sensitivity K, see the file comment).
 *
 * `release(values, rng?)` clamps each value, sums exactly and adds noise; returns `{ value, event, private }`.
 * @param options.lower finite lower bound
 * @param options.upper finite upper bound > lower
 * @param options.noise the privacy target
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for lower >= upper, non-finite bounds or a bad noise
 *   spec; at release, for a non-array, a non-finite value or more than 2^28 values
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if the noisy sum leaves the exact-integer range (negligible)
 * @example
 * const total = privateBoundedSum({ lower: 0, upper: 100, noise: { kind: 'laplace', epsilon: 1 } });
 * total.release([12, 250, 40]).value; // about 152 (250 is clamped to 100), noise scale ~100
 */
export function privateBoundedSum(options: PrivateBoundedSumOptions): PrivateBoundedSum {
  const fn = 'privateBoundedSum';
  assertOptions(fn, options);
  const { lower, upper } = options;
  assertBounds(fn, lower, upper);
  const noise = validateNoise(fn, options.noise);
  const grid = makeGrid(lower, upper, 0);
  const plan = planIntegerNoise(fn, noise, grid.sensitivity, 1);
  return Object.freeze({
    name: 'bounded-sum',
    event: plan.event,
    lower,
    upper,
    sensitivity: boundedSumSensitivity(lower, upper),
    granularity: grid.granularity,
    release(values: ArrayLike<number>, rng?: Rng): Release<number> {
      const data = toDataVector(fn, 'values', values);
      const sum = gridSum(fn, grid, data);
      const r = resolveRng(fn, rng);
      const noisy = sum + plan.sample(r);
      if (!Number.isSafeInteger(noisy))
        throw new NumericError(`${fn}: noisy sum left the exact-integer range`);
      return makeRelease(noisy * grid.granularity, plan.event, r);
    },
  });
}
