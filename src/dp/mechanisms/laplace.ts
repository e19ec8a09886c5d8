/**
 * The Laplace mechanism over doubles (Dwork, McSherry, Nissim & Smith 2006; Dwork & Roth 2014, Thm 3.6):
 * adding Lap(b) noise to each coordinate of a query with L1 sensitivity D is (D/b)-DP.
 *
 * Floating-point caveat: the noise is computed in doubles (b * Exp(1) with a random sign), and the set of
 * doubles such a sampler can output depends on the true value, which Mironov (2012, "On significance of the
 * least significant bits for differential privacy", CCS) showed can leak the input entirely. Use
 * `granularLaplaceMechanism` (exact discrete sampler on a power-of-two grid) or, for integer queries,
 * `discreteLaplaceMechanism` when the guarantee must hold for the bits actually released.
 */
import { type LaplaceEvent, laplaceEvent } from '../../accounting/index.js';
import { assertPositive, InvalidParameterError, type Rng } from '../../core/index.js';
import { assertOptions, resolveRng, toFiniteVector } from '../_input.js';
import { divideRoundingUp } from '../_numeric.js';
import type { Mechanism, NumericInput } from '../mechanism.js';

/** Options of {@link laplaceMechanism}: give the noise `scale`, or the target `epsilon`. */
export type LaplaceOptions =
  | { readonly l1Sensitivity: number; readonly scale: number; readonly epsilon?: never }
  | { readonly l1Sensitivity: number; readonly epsilon: number; readonly scale?: never };

/** A Laplace mechanism: `release` adds independent Lap(scale) noise to every coordinate. */
export interface LaplaceMechanism extends Mechanism<NumericInput, Float64Array> {
  readonly name: 'laplace';
  readonly event: LaplaceEvent;
  /** The noise scale b (standard deviation b * sqrt(2)). */
  readonly scale: number;
  readonly l1Sensitivity: number;
  /** l1Sensitivity / scale, rounded up: the mechanism is epsilon-DP. */
  readonly epsilon: number;
}

/**
 * Resolves `{ scale }` or `{ epsilon }` against a sensitivity: scale = sensitivity / epsilon rounded up, so
 * sensitivity / scale <= epsilon holds exactly (Dwork & Roth 2014, Thm 3.6). Shared by the Laplace family.
 * @internal
 */
export function resolveLaplaceScale(
  fn: string,
  options: { readonly scale?: number; readonly epsilon?: number },
  sensitivity: number,
): { scale: number; epsilon: number } {
  const hasScale = options.scale !== undefined;
  const hasEpsilon = options.epsilon !== undefined;
  if (hasScale === hasEpsilon) {
    throw new InvalidParameterError({
      fn,
      param: 'scale',
      value: options.scale,
      allowed: 'exactly one of scale or epsilon',
    });
  }
  if (hasScale) {
    assertPositive(fn, 'scale', options.scale);
    return { scale: options.scale, epsilon: divideRoundingUp(sensitivity, options.scale) };
  }
  assertPositive(fn, 'epsilon', options.epsilon);
  const scale = divideRoundingUp(sensitivity, options.epsilon!);
  return { scale, epsilon: divideRoundingUp(sensitivity, scale) };
}

/** b * Exp(1) with a fair random sign: one Lap(b) draw in doubles (kernel). @internal */
export function sampleLaplace(rng: Rng, scale: number): number {
  const magnitude = scale * rng.exponential();
  return (rng.nextUint32() & 1) === 1 ? -magnitude : magnitude;
}

/**
 * The Laplace mechanism: adds Lap(b) to each coordinate; (l1Sensitivity / b)-DP under the neighbouring
 * relation that defines l1Sensitivity (Dwork & Roth 2014, Thm 3.6). Records a `laplace` event.
 *
 * Subject to Mironov's 2012 floating-point attack; prefer {@link granularLaplaceMechanism}.
 * Output released with a seeded rng is not private.
 * @param options.l1Sensitivity max L1 distance of the query between neighbours, finite > 0
 * @param options.scale the noise scale b > 0 (or give `epsilon` > 0 instead; b = l1Sensitivity / epsilon)
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for sensitivity, scale or epsilon not finite > 0,
 *   or both/neither of scale and epsilon
 * @example
 * const mech = laplaceMechanism({ l1Sensitivity: 1, epsilon: 0.5 });
 * mech.release([10, 20]); // Float64Array(2)
 */
export function laplaceMechanism(options: LaplaceOptions): LaplaceMechanism {
  const fn = 'laplaceMechanism';
  assertOptions(fn, options);
  assertPositive(fn, 'l1Sensitivity', options.l1Sensitivity);
  const { scale, epsilon } = resolveLaplaceScale(fn, options, options.l1Sensitivity);
  const event = laplaceEvent({ scale, l1Sensitivity: options.l1Sensitivity });
  return Object.freeze({
    name: 'laplace',
    event,
    scale,
    l1Sensitivity: options.l1Sensitivity,
    epsilon,
    release(input: NumericInput, rng?: Rng): Float64Array {
      const values = toFiniteVector(fn, 'values', input);
      const r = resolveRng(fn, rng);
      for (let i = 0; i < values.length; i++) values[i] += sampleLaplace(r, scale);
      return values;
    },
  });
}
