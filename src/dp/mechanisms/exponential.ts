/**
 * The exponential mechanism (McSherry & Talwar 2007; Dwork & Roth 2014, Thm 3.10): given utilities u_i of n
 * candidates whose sensitivity (max change of any u_i between neighbours) is D, select candidate i with
 * probability proportional to exp(epsilon u_i / (2 D)). This is epsilon-DP.
 *
 * When the utility is monotone (between neighbours all utilities move in the same direction, e.g. counts
 * under adding a record) the factor 2 can be dropped: weights exp(epsilon u_i / D) are epsilon-DP
 * (McSherry & Talwar 2007; Dwork & Roth 2014, remark after Thm 3.10).
 *
 * Floating-point caveat: weights are computed in doubles. Sampling is done in log space with relative
 * accuracy ~n^2 2^-53 per outcome (samplers/log-weights.ts), so the ratio bound holds up to a factor
 * 1 + O(n^2 2^-53) and candidates with relative weight below e^-745 are never chosen.
 */
import type { PureDpEvent } from '../../accounting/index.js';
import { assertFiniteArray, assertOneOf, assertPositive, NumericError, type Rng } from '../../core/index.js';
import { pureDpEvent } from '../_events.js';
import { assertOptions, resolveRng } from '../_input.js';
import type { Mechanism } from '../mechanism.js';
import { probabilitiesFromLogWeights, sampleFromLogWeights } from '../samplers/log-weights.js';

/** Whether the utility may move in both directions between neighbours, or only in one. */
export type UtilityMonotonicity = 'general' | 'monotone';

/** Options of {@link exponentialMechanism}. */
export interface ExponentialOptions {
  /** The privacy parameter, finite > 0. */
  readonly epsilon: number;
  /** Max |u_i(x) - u_i(x')| over candidates i and neighbours x, x'; finite > 0. */
  readonly utilitySensitivity: number;
  /** `'general'` (default: weights exp(eps u / 2D)) or `'monotone'` (weights exp(eps u / D)). */
  readonly monotonicity?: UtilityMonotonicity;
}

/** The exponential mechanism over candidates given by their utilities; `release` returns an index. */
export interface ExponentialMechanism extends Mechanism<ArrayLike<number>, number> {
  readonly name: 'exponential';
  readonly event: PureDpEvent;
  readonly epsilon: number;
  readonly utilitySensitivity: number;
  readonly monotonicity: UtilityMonotonicity;
  /** The selection probabilities for these utilities (no randomness; for reports and tests). */
  probabilities(utilities: ArrayLike<number>): Float64Array;
}

/**
 * The exponential mechanism. epsilon-DP; records a `pure-dp` event `{ epsilon, mechanism: 'exponential' }`.
 *
 * `release(utilities, rng?)` returns the selected index in [0, utilities.length). An index chosen with a
 * seeded rng is not private.
 * @param options.epsilon finite > 0
 * @param options.utilitySensitivity finite > 0
 * @param options.monotonicity `'general'` (default) or `'monotone'`
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for epsilon or sensitivity not finite > 0, an unknown
 *   monotonicity; at release, for an empty utility array or a non-finite utility
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when epsilon * utility overflows
 * @example
 * const pick = exponentialMechanism({ epsilon: 1, utilitySensitivity: 1 });
 * pick.release([3, 10, 4]); // most likely 1
 */
export function exponentialMechanism(options: ExponentialOptions): ExponentialMechanism {
  const fn = 'exponentialMechanism';
  assertOptions(fn, options);
  const { epsilon, utilitySensitivity } = options;
  assertPositive(fn, 'epsilon', epsilon);
  assertPositive(fn, 'utilitySensitivity', utilitySensitivity);
  const monotonicity = options.monotonicity ?? 'general';
  assertOneOf(fn, 'monotonicity', monotonicity, ['general', 'monotone'] as const);
  // McSherry & Talwar 2007 / Dwork & Roth Thm 3.10: exp(eps u / (2D)); monotone: exp(eps u / D).
  const factor =
    monotonicity === 'monotone' ? epsilon / utilitySensitivity : epsilon / (2 * utilitySensitivity);
  const logWeights = (utilities: ArrayLike<number>): Float64Array => {
    assertFiniteArray(fn, 'utilities', utilities);
    const out = new Float64Array(utilities.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = factor * utilities[i]!;
      if (!Number.isFinite(out[i]))
        throw new NumericError(`${fn}: epsilon * utility overflowed`, { index: i });
    }
    return out;
  };
  const event = pureDpEvent(fn, epsilon, 'exponential');
  return Object.freeze({
    name: 'exponential',
    event,
    epsilon,
    utilitySensitivity,
    monotonicity,
    probabilities: (utilities: ArrayLike<number>) => probabilitiesFromLogWeights(logWeights(utilities)),
    release(utilities: ArrayLike<number>, rng?: Rng): number {
      const weights = logWeights(utilities);
      return sampleFromLogWeights(weights, resolveRng(fn, rng));
    },
  });
}
