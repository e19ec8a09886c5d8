/**
 * The sparse vector technique (AboveThreshold with up to c positive answers), in the form proven correct by
 * Lyu, Su & Li 2017 ("Understanding the Sparse Vector Technique for Differential Privacy", PVLDB 10(6),
 * arXiv:1603.01699, Algorithm 1; for c = 1 it is Dwork & Roth 2014, Algorithm 1 "AboveThreshold").
 *
 * With queries of sensitivity D, total budget epsilon = epsilon1 + epsilon2:
 *   rho ~ Lap(D / epsilon1) is drawn once per session (the noisy threshold is T + rho);
 *   each query i gets nu_i ~ Lap(2 c D / epsilon2) and answers "above" iff q_i + nu_i >= T + rho;
 *   after the c-th "above" the session refuses further queries.
 * The whole session (any number of "below" answers, at most c "above") is epsilon-DP (Lyu et al. 2017, Thm 2).
 * Default split epsilon1 = epsilon / 2 (for c = 1 this is exactly Dwork & Roth's Lap(2D/eps), Lap(4D/eps));
 * `thresholdShare` changes it (Lyu et al. suggest epsilon1 : epsilon2 = 1 : (2c)^(2/3)).
 *
 * Only booleans are released, but the noise is float noise (see docs/mechanisms.md).
 */
import type { PureDpEvent } from '../../accounting/index.js';
import {
  assertFinite,
  assertInteger,
  assertPositive,
  BudgetExceededError,
  InvalidParameterError,
  type Rng,
} from '../../core/index.js';
import { pureDpEvent } from '../_events.js';
import { assertOptions, resolveRng } from '../_input.js';
import { sampleLaplace } from './laplace.js';

/** Options of {@link sparseVector}. */
export interface SparseVectorOptions {
  /** Total privacy parameter of one session, finite > 0. */
  readonly epsilon: number;
  /** Sensitivity D of every query (max |q(x) - q(x')| over neighbours), finite > 0. */
  readonly sensitivity: number;
  /** The public threshold T, finite. */
  readonly threshold: number;
  /** c: the session stops after this many "above" answers (integer >= 1, default 1). */
  readonly maxPositives?: number;
  /** Fraction of epsilon spent on the threshold noise, in (0, 1) (default 0.5). */
  readonly thresholdShare?: number;
}

/** One run of the sparse vector technique: a noisy threshold and a budget of c positive answers. */
export interface SparseVectorSession {
  /**
   * Answers whether `queryValue` (the true answer of a sensitivity-D query on the data) is above the
   * threshold, with noise. Returns true for "above".
   * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED after `maxPositives` positive answers
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a non-finite value
   */
  test(queryValue: number): boolean;
  /** Positive answers given so far. */
  readonly positives: number;
  /** True once `maxPositives` positive answers were given; `test` then throws. */
  readonly exhausted: boolean;
  /** False when the session's rng is seeded: its answers carry no privacy guarantee. */
  readonly private: boolean;
}

/** The sparse vector mechanism; each `start` is one epsilon-DP session. */
export interface SparseVectorMechanism {
  readonly name: 'sparse-vector';
  /** The event of one session, whatever the number of queries asked in it. */
  readonly event: PureDpEvent;
  readonly epsilon: number;
  readonly maxPositives: number;
  /** Scale of the threshold noise, D / epsilon1. */
  readonly thresholdNoiseScale: number;
  /** Scale of the per-query noise, 2 c D / epsilon2. */
  readonly queryNoiseScale: number;
  /**
   * Starts a session: draws the noisy threshold now.
   * @param rng defaults to `csprng()`; a seeded rng makes the session's answers non-private
   */
  start(rng?: Rng): SparseVectorSession;
}

/**
 * The sparse vector technique (AboveThreshold, c positives). Each session is epsilon-DP and records a
 * `pure-dp` event `{ epsilon, mechanism: 'sparse-vector' }` (Lyu, Su & Li 2017, Alg. 1 and Thm 2).
 * @param options.epsilon total epsilon of one session, finite > 0
 * @param options.sensitivity query sensitivity D, finite > 0
 * @param options.threshold the threshold T, finite
 * @param options.maxPositives c, an integer >= 1 (default 1)
 * @param options.thresholdShare epsilon1 / epsilon in (0, 1) (default 0.5)
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for any parameter out of range
 * @example
 * const svt = sparseVector({ epsilon: 1, sensitivity: 1, threshold: 100 });
 * const session = svt.start();
 * for (const count of counts) if (session.test(count)) break; // first count likely above 100
 */
export function sparseVector(options: SparseVectorOptions): SparseVectorMechanism {
  const fn = 'sparseVector';
  assertOptions(fn, options);
  const { epsilon, sensitivity, threshold } = options;
  assertPositive(fn, 'epsilon', epsilon);
  assertPositive(fn, 'sensitivity', sensitivity);
  assertFinite(fn, 'threshold', threshold);
  const maxPositives = options.maxPositives ?? 1;
  assertInteger(fn, 'maxPositives', maxPositives, 1);
  const share = options.thresholdShare ?? 0.5;
  if (typeof share !== 'number' || !(share > 0 && share < 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'thresholdShare',
      value: share,
      allowed: 'a number in (0, 1)',
    });
  }
  const epsilon1 = epsilon * share;
  const epsilon2 = epsilon - epsilon1;
  // Lyu, Su & Li 2017, Alg. 1: rho ~ Lap(D / eps1), nu_i ~ Lap(2 c D / eps2). Rounding up keeps eps1 + eps2 <= eps.
  const thresholdNoiseScale = roundUp(sensitivity / epsilon1);
  const queryNoiseScale = roundUp((2 * maxPositives * sensitivity) / epsilon2);
  const event = pureDpEvent(fn, epsilon, 'sparse-vector');
  return Object.freeze({
    name: 'sparse-vector',
    event,
    epsilon,
    maxPositives,
    thresholdNoiseScale,
    queryNoiseScale,
    start(rng?: Rng): SparseVectorSession {
      const r = resolveRng(fn, rng);
      const noisyThreshold = threshold + sampleLaplace(r, thresholdNoiseScale);
      let positives = 0;
      return Object.freeze({
        test(queryValue: number): boolean {
          if (positives >= maxPositives) {
            throw new BudgetExceededError(
              `${fn}: the session already gave ${maxPositives} positive answer(s); start a new session (a new epsilon)`,
              { requested: 'another query', remaining: 0 },
            );
          }
          assertFinite('SparseVectorSession.test', 'queryValue', queryValue);
          const above = queryValue + sampleLaplace(r, queryNoiseScale) >= noisyThreshold;
          if (above) positives++;
          return above;
        },
        get positives() {
          return positives;
        },
        get exhausted() {
          return positives >= maxPositives;
        },
        private: r.isPrivate,
      });
    },
  });
}

/** x increased by a few ulps: a noise scale computed with 2-3 roundings never falls below its exact value. */
function roundUp(x: number): number {
  return x * (1 + 8 * Number.EPSILON);
}
