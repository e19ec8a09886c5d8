/**
 * Composition theorems for (epsilon, delta) guarantees, for mechanisms known only by their (epsilon, delta).
 * Accountants (RDP, PLD) are tighter whenever the mechanisms are known; these are the textbook baselines.
 */
import { assertInteger, assertNonNegative, assertOpenUnit, InvalidParameterError } from '../../core/index.js';

/** An (epsilon, delta) pair. */
export interface ApproxDp {
  readonly epsilon: number;
  readonly delta: number;
}

/**
 * Basic (sequential) composition: the epsilons add and the deltas add (Dwork & Roth 2014, Thm. 3.16).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a negative epsilon or a delta outside [0, 1).
 */
export function basicComposition(guarantees: readonly ApproxDp[]): ApproxDp {
  let epsilon = 0;
  let delta = 0;
  guarantees.forEach((g, i) => {
    assertNonNegative('basicComposition', `guarantees[${i}].epsilon`, g.epsilon);
    if (typeof g.delta !== 'number' || !(g.delta >= 0 && g.delta < 1)) {
      throw new InvalidParameterError({
        fn: 'basicComposition',
        param: `guarantees[${i}].delta`,
        value: g.delta,
        allowed: 'a number in [0, 1)',
      });
    }
    epsilon += g.epsilon;
    delta += g.delta;
  });
  return { epsilon, delta: Math.min(1, delta) };
}

/** Options of {@link advancedComposition}. */
export interface AdvancedCompositionOptions {
  /** Per-mechanism epsilon (>= 0). */
  readonly epsilon: number;
  /** Per-mechanism delta in [0, 1). */
  readonly delta: number;
  /** Number of mechanisms k >= 1. */
  readonly count: number;
  /** The extra delta' in (0, 1) the theorem spends. */
  readonly deltaPrime: number;
}

/**
 * Advanced composition (Dwork, Rothblum & Vadhan 2010; Dwork & Roth 2014, Thm. 3.20): k-fold adaptive
 * composition of (eps, delta)-DP mechanisms is (eps', k delta + delta')-DP with
 * eps' = eps sqrt(2 k ln(1/delta')) + k eps (e^eps - 1). Returns the smaller of that and basic composition's k eps.
 */
export function advancedComposition(options: AdvancedCompositionOptions): ApproxDp {
  const fn = 'advancedComposition';
  assertNonNegative(fn, 'epsilon', options.epsilon);
  if (typeof options.delta !== 'number' || !(options.delta >= 0 && options.delta < 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'delta',
      value: options.delta,
      allowed: 'a number in [0, 1)',
    });
  }
  assertInteger(fn, 'count', options.count, 1);
  assertOpenUnit(fn, 'deltaPrime', options.deltaPrime);
  const { epsilon: e, count: k, deltaPrime } = options;
  const advanced = e * Math.sqrt(2 * k * Math.log(1 / deltaPrime)) + k * e * Math.expm1(e);
  const basic = k * e;
  if (basic <= advanced) return { epsilon: basic, delta: Math.min(1, k * options.delta) };
  return { epsilon: advanced, delta: Math.min(1, k * options.delta + deltaPrime) };
}
