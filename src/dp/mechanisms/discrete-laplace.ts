/**
 * The discrete Laplace (two-sided geometric) mechanism for integer-valued queries (Ghosh, Roughgarden &
 * Sundararajan 2009; exact sampling by Canonne, Kamath & Steinke 2020, arXiv:2004.00010, Alg. 2).
 *
 * Adding noise with P(z) proportional to exp(-|z| / b) to each coordinate of an integer query whose L1
 * sensitivity is D gives pure (D / b)-DP: the probability ratio of an output z under neighbours x, x' is
 * exp(sum_i (|z_i - f(x')_i| - |z_i - f(x)_i|) / b) <= exp(||f(x) - f(x')||_1 / b) <= exp(D / b) by the
 * triangle inequality (Ghosh, Roughgarden & Sundararajan 2009, the geometric mechanism). The noise is sampled
 * exactly, so the guarantee holds for the integers actually released: no floating-point caveat.
 */
import type { DiscreteLaplaceEvent } from '../../accounting/index.js';
import { assertPositive, InvalidParameterError, type Rng } from '../../core/index.js';
import { discreteLaplaceEvent } from '../_events.js';
import { assertOptions, resolveRng, toIntegerVector } from '../_input.js';
import type { Mechanism, NumericInput } from '../mechanism.js';
import {
  MAX_DISCRETE_SCALE,
  MIN_DISCRETE_SCALE,
  sampleDiscreteLaplace,
} from '../samplers/discrete-laplace.js';
import { rationalScale } from '../samplers/rational-scale.js';
import { resolveLaplaceScale } from './laplace.js';

/** Options of {@link discreteLaplaceMechanism}: give the noise `scale`, or the target `epsilon`. */
export type DiscreteLaplaceOptions =
  | { readonly l1Sensitivity: number; readonly scale: number; readonly epsilon?: never }
  | { readonly l1Sensitivity: number; readonly epsilon: number; readonly scale?: never };

/** A discrete Laplace mechanism over integer vectors. */
export interface DiscreteLaplaceMechanism extends Mechanism<NumericInput, Float64Array> {
  readonly name: 'discrete-laplace';
  readonly event: DiscreteLaplaceEvent;
  /** The scale b: P(z) proportional to exp(-|z| / b). */
  readonly scale: number;
  readonly l1Sensitivity: number;
  /** l1Sensitivity / scale rounded up: the mechanism is epsilon-DP. */
  readonly epsilon: number;
}

/**
 * The discrete Laplace mechanism: adds exact Lap_Z(b) noise to every coordinate of an integer vector.
 * (l1Sensitivity / b)-DP; records a `discrete-laplace` event `{ scale, l1Sensitivity }`.
 *
 * Output released with a seeded rng is not private.
 * @param options.l1Sensitivity max L1 distance between neighbouring integer answers, finite > 0
 * @param options.scale b in [2^-40, 2^40] (or `epsilon` > 0; b = l1Sensitivity / epsilon, rounded up)
 * @returns a frozen mechanism; `release` takes safe integers and returns integers in a Float64Array
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad sensitivity, scale or epsilon (or a scale
 *   outside [2^-40, 2^40]); at release, for values that are not safe integers
 * @example
 * const mech = discreteLaplaceMechanism({ l1Sensitivity: 1, epsilon: 1 });
 * mech.release([120, 7]); // e.g. Float64Array [121, 7]
 */
export function discreteLaplaceMechanism(options: DiscreteLaplaceOptions): DiscreteLaplaceMechanism {
  const fn = 'discreteLaplaceMechanism';
  assertOptions(fn, options);
  assertPositive(fn, 'l1Sensitivity', options.l1Sensitivity);
  const { scale, epsilon } = resolveLaplaceScale(fn, options, options.l1Sensitivity);
  if (scale < MIN_DISCRETE_SCALE || scale > MAX_DISCRETE_SCALE) {
    throw new InvalidParameterError({
      fn,
      param: 'scale',
      value: scale,
      allowed: 'a number in [2^-40, 2^40]',
    });
  }
  const { t, s } = rationalScale(scale);
  const event = discreteLaplaceEvent(fn, scale, options.l1Sensitivity);
  return Object.freeze({
    name: 'discrete-laplace',
    event,
    scale,
    l1Sensitivity: options.l1Sensitivity,
    epsilon,
    release(input: NumericInput, rng?: Rng): Float64Array {
      const values = toIntegerVector(fn, 'values', input);
      const r = resolveRng(fn, rng);
      for (let i = 0; i < values.length; i++) values[i] += sampleDiscreteLaplace(r, t, s);
      return values;
    },
  });
}
