/**
 * A floating-point-safe Laplace mechanism: the output is an integer multiple of a power-of-two granularity
 * g, and its noise comes from the exact discrete Laplace sampler (the approach of OpenDP's float Laplace;
 * the discretization answers Mironov 2012, "On significance of the least significant bits for differential
 * privacy", CCS, without snapping).
 *
 * Release: k_i = round(x_i / g) (round half up, computed exactly: x_i / g is exact because g = 2^j), then
 * y_i = g * (k_i + Z_i) with Z_i ~ Lap_Z(b / g) exactly. Every released value is exactly g times an integer,
 * so the guarantee holds for the bits actually released.
 *
 * Accounting (docs/mechanisms.md, "granular Laplace"): for neighbours with ||x - x'||_1 <= D,
 * |k_i - k'_i| <= ceil(|x_i - x'_i| / g) because floor(a + c) - floor(a) <= ceil(c); a coordinate that does not
 * change contributes 0, so ||k - k'||_1 <= sum over changed i of ceil(|x_i - x'_i| / g) < D / g + d, hence
 * ||k - k'||_1 <= K = ceil(D / g) + d - 1 for d coordinates (an integer strictly below D/g + d). The
 * discrete Laplace mechanism on k is then (K / (b / g)) = (K g / b)-DP (Ghosh et al. 2009). With `epsilon`
 * given, b = K g / epsilon (rounded up), so the guarantee is exactly epsilon; the price of rounding is
 * (K g - D) / epsilon <= d g / epsilon extra noise scale. The event is `discrete-laplace`
 * `{ scale: b / g, l1Sensitivity: K }`: integer units, as sampled.
 */
import type { DiscreteLaplaceEvent } from '../../accounting/index.js';
import {
  assertInteger,
  assertPositive,
  InvalidParameterError,
  NumericError,
  type Rng,
} from '../../core/index.js';
import { discreteLaplaceEvent } from '../_events.js';
import { assertOptions, resolveRng, toFiniteVector } from '../_input.js';
import { divideRoundingUp, floorLog2, isPowerOfTwo, powerOfTwo, roundHalfUp } from '../_numeric.js';
import type { Mechanism, NumericInput } from '../mechanism.js';
import {
  MAX_DISCRETE_SCALE,
  MIN_DISCRETE_SCALE,
  sampleDiscreteLaplace,
} from '../samplers/discrete-laplace.js';
import { rationalScale } from '../samplers/rational-scale.js';

/** Default granularity: 2^(floor(log2 b) - 20), about a millionth of the noise scale b. */
const DEFAULT_GRANULARITY_BITS = 20;
/** |x / g| must stay below 2^52 so that k and k + Z are exact integers in doubles. */
const MAX_GRID_INDEX = 4503599627370496;

/** Options of {@link granularLaplaceMechanism}. */
export type GranularLaplaceOptions = (
  | { readonly l1Sensitivity: number; readonly scale: number; readonly epsilon?: never }
  | { readonly l1Sensitivity: number; readonly epsilon: number; readonly scale?: never }
) & {
  /** Number of coordinates per release (default 1); it enters the sensitivity after rounding. */
  readonly dimension?: number;
  /** The output grid g, an exact power of two (default 2^(floor(log2 b) - 20)). */
  readonly granularity?: number;
};

/** A granular (floating-point-safe) Laplace mechanism. */
export interface GranularLaplaceMechanism extends Mechanism<NumericInput, Float64Array> {
  readonly name: 'granular-laplace';
  readonly event: DiscreteLaplaceEvent;
  /** The output grid g: every released value is an integer multiple of g. */
  readonly granularity: number;
  /** The noise scale b in the query's units (the noise is g * Lap_Z(b / g)). */
  readonly scale: number;
  readonly l1Sensitivity: number;
  readonly dimension: number;
  /** K = ceil(l1Sensitivity / g) + dimension - 1: the L1 sensitivity on the grid, in grid steps. */
  readonly gridSensitivity: number;
  /** K g / b rounded up: the mechanism is epsilon-DP. */
  readonly epsilon: number;
}

/**
 * The floating-point-safe Laplace mechanism: rounds each coordinate to the grid g = 2^j and adds g times
 * exact discrete Laplace noise. Pure epsilon-DP with epsilon = K g / b, K = ceil(D / g) + d - 1 (see the file
 * comment); records a `discrete-laplace` event `{ scale: b / g, l1Sensitivity: K }`.
 *
 * Output released with a seeded rng is not private.
 * @param options.l1Sensitivity max L1 distance of the query between neighbours, finite > 0
 * @param options.scale noise scale b > 0 in the query's units (or `epsilon` > 0: b = K g / epsilon, rounded up)
 * @param options.dimension vector length d, an integer >= 1 (default 1)
 * @param options.granularity the grid g, a power of two (default 2^(floor(log2 b0) - 20), b0 = D / epsilon or b)
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad sensitivity, scale, epsilon, dimension or
 *   granularity (not a power of two, or b / g outside [2^-40, 2^40]); at release, for non-finite values,
 *   |x| >= 2^52 g, or a length other than `dimension`
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if a noisy value leaves the exact-integer range (negligible)
 * @example
 * const mech = granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 0.5 });
 * mech.release(41.7); // a multiple of mech.granularity (2^-19 here), near 41.7
 */
export function granularLaplaceMechanism(options: GranularLaplaceOptions): GranularLaplaceMechanism {
  const fn = 'granularLaplaceMechanism';
  assertOptions(fn, options);
  const sensitivity = options.l1Sensitivity;
  assertPositive(fn, 'l1Sensitivity', sensitivity);
  const dimension = options.dimension ?? 1;
  assertInteger(fn, 'dimension', dimension, 1);
  const hasScale = options.scale !== undefined;
  if (hasScale === (options.epsilon !== undefined)) {
    throw new InvalidParameterError({
      fn,
      param: 'scale',
      value: options.scale,
      allowed: 'exactly one of scale or epsilon',
    });
  }
  if (hasScale) assertPositive(fn, 'scale', options.scale);
  else assertPositive(fn, 'epsilon', options.epsilon);
  const nominalScale = hasScale ? options.scale! : divideRoundingUp(sensitivity, options.epsilon!);
  let granularity: number;
  if (options.granularity === undefined) {
    granularity = powerOfTwo(Math.max(-1074, floorLog2(nominalScale) - DEFAULT_GRANULARITY_BITS));
  } else {
    granularity = options.granularity;
    if (!isPowerOfTwo(granularity)) {
      throw new InvalidParameterError({
        fn,
        param: 'granularity',
        value: granularity,
        allowed: 'a power of two > 0',
      });
    }
  }
  // K = ceil(D / g) + d - 1 (D / g is exact: g is a power of two).
  const gridSensitivity = Math.ceil(sensitivity / granularity) + dimension - 1;
  if (!Number.isSafeInteger(gridSensitivity)) {
    throw new InvalidParameterError({
      fn,
      param: 'granularity',
      value: granularity,
      allowed: 'a power of two with l1Sensitivity / granularity < 2^52',
    });
  }
  // epsilon = K g / b  <=>  b = K g / epsilon (rounded up so that K g / b <= epsilon exactly).
  const scale = hasScale ? options.scale! : divideRoundingUp(gridSensitivity * granularity, options.epsilon!);
  const gridScale = scale / granularity; // exact
  if (!(gridScale >= MIN_DISCRETE_SCALE && gridScale <= MAX_DISCRETE_SCALE)) {
    throw new InvalidParameterError({
      fn,
      param: 'granularity',
      value: granularity,
      allowed: 'a power of two with scale / granularity in [2^-40, 2^40]',
    });
  }
  const epsilon = divideRoundingUp(gridSensitivity, gridScale);
  const { t, s } = rationalScale(gridScale);
  const event = discreteLaplaceEvent(fn, gridScale, gridSensitivity);
  return Object.freeze({
    name: 'granular-laplace',
    event,
    granularity,
    scale,
    l1Sensitivity: sensitivity,
    dimension,
    gridSensitivity,
    epsilon,
    release(input: NumericInput, rng?: Rng): Float64Array {
      const values = toFiniteVector(fn, 'values', input);
      if (values.length !== dimension) {
        throw new InvalidParameterError({
          fn,
          param: 'values.length',
          value: values.length,
          allowed: `the declared dimension ${dimension}`,
        });
      }
      for (let i = 0; i < values.length; i++) {
        const k = roundHalfUp(values[i]! / granularity);
        if (!(Math.abs(k) < MAX_GRID_INDEX)) {
          throw new InvalidParameterError({
            fn,
            param: `values[${i}]`,
            value: values[i],
            allowed: `a number with |x| < 2^52 * granularity (${granularity})`,
          });
        }
        values[i] = k;
      }
      const r = resolveRng(fn, rng);
      for (let i = 0; i < values.length; i++) {
        const noisy = values[i]! + sampleDiscreteLaplace(r, t, s);
        if (!Number.isSafeInteger(noisy))
          throw new NumericError(`${fn}: noisy value left the exact-integer range`);
        values[i] = noisy * granularity; // exact: scaling by a power of two
      }
      return values;
    },
  });
}
