/**
 * Randomized response (Warner 1965) and its k-ary generalisation ("direct encoding" / generalized RR,
 * Wang, Blocki, Li & Jha 2017, "Locally Differentially Private Protocols for Frequency Estimation",
 * USENIX Security, Sec. 4.1).
 *
 * Each person reports their category v in {0..k-1} truthfully with probability p = e^eps / (e^eps + k - 1)
 * and any other given category with probability q = 1 / (e^eps + k - 1). Since p / q = e^eps, each report is
 * epsilon-DP with respect to that person's value (local DP: any two values are neighbours). For k = 2 this is
 * Warner's coin: keep with probability e^eps / (1 + e^eps) (Dwork & Roth 2014, Sec. 3.2).
 *
 * Exact sampling: propose a category uniformly; accept the true one always and any other with probability
 * exp(-eps) (an exact Bernoulli(exp(-eps)) for eps's binary value, CKS20 Alg. 1). The accepted category
 * then has probability proportional to 1 (true) or e^-eps (each other): exactly p and q above, with no
 * floating-point rounding of p. Expected proposals per report: k / (1 + (k - 1) e^-eps) <= min(k, e^eps + 1)
 * (at most 2 for binary RR).
 */
import type { PureDpEvent } from '../../accounting/index.js';
import { assertInteger, assertPositive, InvalidParameterError, type Rng } from '../../core/index.js';
import { pureDpEvent } from '../_events.js';
import { assertOptions, resolveRng } from '../_input.js';
import type { Mechanism } from '../mechanism.js';
import { bernoulliExpOfDouble } from '../samplers/bernoulli.js';

/** Largest epsilon accepted: beyond 700, e^eps overflows the reporting helpers and RR is the identity. */
const MAX_RR_EPSILON = 700;

/** Largest number of categories: the exact sampler costs about min(k, e^eps + 1) proposals per report. */
const MAX_CATEGORIES = 65536;

/** Options of {@link randomizedResponse}. */
export interface RandomizedResponseOptions {
  /** Local privacy parameter of each report, in (0, 700]. */
  readonly epsilon: number;
  /** Number of categories k (integer in [2, 65536]); default 2 (binary: values 0 and 1). */
  readonly categories?: number;
}

/** Randomized response over k categories; `release` randomises each entry independently. */
export interface RandomizedResponseMechanism extends Mechanism<ArrayLike<number>, Float64Array> {
  readonly name: 'randomized-response';
  readonly event: PureDpEvent;
  readonly epsilon: number;
  readonly categories: number;
  /** p = e^eps / (e^eps + k - 1): probability of reporting the true category. */
  readonly keepProbability: number;
  /** q = 1 / (e^eps + k - 1): probability of reporting one given other category. */
  readonly otherProbability: number;
  /**
   * Unbiased frequency estimates from reports: f_v = (c_v / n - q) / (p - q), which may fall outside [0, 1]
   * (Wang et al. 2017, Sec. 4.1). Post-processing: no extra privacy cost.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty array or a report outside [0, k)
   */
  estimateFrequencies(reports: ArrayLike<number>): Float64Array;
}

/**
 * Randomized response: each entry of `release(values)` is one person's category in [0, k), reported with
 * generalized RR. epsilon-DP per report (local DP); records a `pure-dp` event
 * `{ epsilon, mechanism: 'randomized-response' }` for each person's report.
 *
 * Reports produced with a seeded rng are not private.
 * @param options.epsilon in (0, 700]
 * @param options.categories k, an integer in [2, 65536] (default 2)
 * @returns a frozen mechanism; `release` returns a Float64Array of categories (one per input)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for epsilon or categories out of range; at release,
 *   for an empty array or a value that is not an integer in [0, k)
 * @example
 * const rr = randomizedResponse({ epsilon: Math.log(3) }); // keep with probability 3/4
 * const reports = rr.release([1, 0, 1, 1]);
 * rr.estimateFrequencies(reports); // unbiased estimates of the shares of 0 and 1
 */
export function randomizedResponse(options: RandomizedResponseOptions): RandomizedResponseMechanism {
  const fn = 'randomizedResponse';
  assertOptions(fn, options);
  const { epsilon } = options;
  assertPositive(fn, 'epsilon', epsilon);
  if (epsilon > MAX_RR_EPSILON) {
    throw new InvalidParameterError({
      fn,
      param: 'epsilon',
      value: epsilon,
      allowed: 'a number in (0, 700]',
    });
  }
  const categories = options.categories ?? 2;
  assertInteger(fn, 'categories', categories, 2, MAX_CATEGORIES);
  const expEpsilon = Math.exp(epsilon);
  const keepProbability = expEpsilon / (expEpsilon + categories - 1);
  const otherProbability = 1 / (expEpsilon + categories - 1);
  const checkCategories = (param: string, values: ArrayLike<number>): void => {
    const ok = Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView));
    if (!ok || values.length === 0) {
      throw new InvalidParameterError({
        fn,
        param,
        value: values,
        allowed: 'a non-empty array of categories',
      });
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= categories) {
        throw new InvalidParameterError({
          fn,
          param: `${param}[${i}]`,
          value: v,
          allowed: `an integer in [0, ${categories})`,
        });
      }
    }
  };
  const event = pureDpEvent(fn, epsilon, 'randomized-response');
  return Object.freeze({
    name: 'randomized-response',
    event,
    epsilon,
    categories,
    keepProbability,
    otherProbability,
    release(values: ArrayLike<number>, rng?: Rng): Float64Array {
      checkCategories('values', values);
      const r = resolveRng(fn, rng);
      const out = new Float64Array(values.length);
      for (let i = 0; i < out.length; i++) {
        const truth = values[i]!;
        for (;;) {
          const proposal = r.uniformInt(categories);
          // Weight 1 for the truth, exp(-eps) for every other category (Warner 1965; Wang et al. 2017).
          if (proposal === truth || bernoulliExpOfDouble(r, epsilon)) {
            out[i] = proposal;
            break;
          }
        }
      }
      return out;
    },
    estimateFrequencies(reports: ArrayLike<number>): Float64Array {
      checkCategories('reports', reports);
      const counts = new Float64Array(categories);
      for (let i = 0; i < reports.length; i++) counts[reports[i]!]++;
      const n = reports.length;
      for (let v = 0; v < categories; v++)
        counts[v] = (counts[v]! / n - otherProbability) / (keepProbability - otherProbability);
      return counts;
    },
  });
}
