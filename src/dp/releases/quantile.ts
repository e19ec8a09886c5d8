/**
 * A private quantile by the exponential mechanism over the intervals between sorted clamped values
 * (Smith 2011, "Privacy-preserving statistical estimation with optimal convergence rates", STOC, Sec. 3).
 *
 * Values are clamped to [lower, upper] and sorted: z_0 = lower <= z_1 <= ... <= z_n <= z_(n+1) = upper.
 * An output y in [lower, upper] has utility u(y) = -|#{i : x_i < y} - q n|, constant on each interval
 * (z_i, z_(i+1)) where it equals -|i - q n|. The exponential mechanism with base measure the length on
 * [lower, upper] picks interval i with probability proportional to (z_(i+1) - z_i) exp(eps u_i / (2 D)) and
 * then a uniform point in it.
 *
 * Sensitivity under add/remove-one: adding a record raises n by 1 and #{x_i < y} by 0 or 1, so u(y) moves by
 * at most max(q, 1 - q) = D (under replace-one it would be 1). epsilon-DP by McSherry & Talwar 2007 (Dwork &
 * Roth 2014, Thm 3.10); the event is `pure-dp` with mechanism 'quantile'. Sampling is done in log space
 * (samplers/log-weights.ts); the floating-point caveats of the exponential mechanism apply.
 */
import type { PureDpEvent } from '../../accounting/index.js';
import { assertBounds, assertPositive, InvalidParameterError, type Rng } from '../../core/index.js';
import { pureDpEvent } from '../_events.js';
import { assertOptions, makeRelease, resolveRng, toDataVector } from '../_input.js';
import { clamp } from '../_numeric.js';
import type { Mechanism, Release } from '../mechanism.js';
import { sampleFromLogWeights } from '../samplers/log-weights.js';

/** Options of {@link privateQuantile}. */
export interface PrivateQuantileOptions {
  /** Lower clamping bound, finite. */
  readonly lower: number;
  /** Upper clamping bound, finite and > lower. */
  readonly upper: number;
  /** The quantile q in [0, 1] (0.5 for the median). */
  readonly quantile: number;
  /** The privacy parameter, finite > 0. */
  readonly epsilon: number;
}

/** A private quantile. */
export interface PrivateQuantile extends Mechanism<ArrayLike<number>, Release<number>> {
  readonly name: 'quantile';
  readonly event: PureDpEvent;
  readonly quantile: number;
  /** max(q, 1 - q): the utility's add/remove-one sensitivity. */
  readonly utilitySensitivity: number;
}

/**
 * The add/remove-one sensitivity of the quantile utility -|#{x < y} - q n|: max(q, 1 - q).
 * @example quantileUtilitySensitivity(0.5) // 0.5
 */
export function quantileUtilitySensitivity(quantile: number): number {
  return Math.max(quantile, 1 - quantile);
}

/**
 * A private quantile (Smith 2011) of values clamped to [lower, upper]. epsilon-DP under add/remove-one.
 * @param options.lower finite lower bound
 * @param options.upper finite upper bound > lower
 * @param options.quantile q in [0, 1]
 * @param options.epsilon finite > 0
 * @returns a frozen mechanism; `release` returns `{ value, event, private }` with value in [lower, upper]
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bounds, quantile or epsilon; at release, for
 *   a non-array or a non-finite value
 * @example
 * const median = privateQuantile({ lower: 0, upper: 200_000, quantile: 0.5, epsilon: 1 });
 * median.release(incomes).value;
 */
export function privateQuantile(options: PrivateQuantileOptions): PrivateQuantile {
  const fn = 'privateQuantile';
  assertOptions(fn, options);
  const { lower, upper, quantile, epsilon } = options;
  assertBounds(fn, lower, upper);
  if (!Number.isFinite(upper - lower)) {
    throw new InvalidParameterError({
      fn,
      param: 'upper',
      value: upper,
      allowed: 'a number with upper - lower finite',
    });
  }
  if (typeof quantile !== 'number' || !(quantile >= 0 && quantile <= 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'quantile',
      value: quantile,
      allowed: 'a number in [0, 1]',
    });
  }
  assertPositive(fn, 'epsilon', epsilon);
  const utilitySensitivity = quantileUtilitySensitivity(quantile);
  const factor = epsilon / (2 * utilitySensitivity); // McSherry & Talwar 2007: exp(eps u / (2 D))
  const event = pureDpEvent(fn, epsilon, 'quantile');
  return Object.freeze({
    name: 'quantile',
    event,
    quantile,
    utilitySensitivity,
    release(values: ArrayLike<number>, rng?: Rng): Release<number> {
      const data = toDataVector(fn, 'values', values);
      const n = data.length;
      const z = new Float64Array(n + 2);
      z[0] = lower;
      for (let i = 0; i < n; i++) z[i + 1] = clamp(data[i]!, lower, upper);
      z[n + 1] = upper;
      z.subarray(1, n + 1).sort();
      const target = quantile * n;
      const logWeights = new Float64Array(n + 1);
      for (let i = 0; i <= n; i++) {
        const length = z[i + 1]! - z[i]!;
        logWeights[i] =
          length > 0 ? Math.log(length) - factor * Math.abs(i - target) : Number.NEGATIVE_INFINITY;
      }
      const r = resolveRng(fn, rng);
      const i = sampleFromLogWeights(logWeights, r);
      const y = z[i]! + r.uniform() * (z[i + 1]! - z[i]!);
      return makeRelease(clamp(y, z[i]!, z[i + 1]!), event, r);
    },
  });
}
