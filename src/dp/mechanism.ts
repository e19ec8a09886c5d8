/**
 * The shapes every `dp` mechanism and release shares: a frozen object that knows its privacy event before it
 * runs (so a ledger can check a budget first) and a `release` that takes the randomness as an argument.
 */
import type { PrivacyEvent } from '../accounting/index.js';
import type { Rng } from '../core/index.js';

/** Names of the mechanisms in `veil/dp`, as recorded in their objects (and in pure-DP events). */
export type MechanismName =
  | 'laplace'
  | 'gaussian'
  | 'discrete-laplace'
  | 'discrete-gaussian'
  | 'granular-laplace'
  | 'exponential'
  | 'report-noisy-max'
  | 'sparse-vector'
  | 'randomized-response'
  | 'count'
  | 'bounded-sum'
  | 'bounded-mean'
  | 'histogram'
  | 'quantile';

/**
 * A validated, frozen mechanism. `event` is what one call of `release` costs in privacy terms; an accountant
 * composes it (ARCHITECTURE decision 2).
 *
 * Randomness: `rng` defaults to a fresh `csprng()`. Output produced with a seeded generator (`rng.isPrivate`
 * false) has **no** privacy guarantee: the low-level mechanisms return bare arrays, so the caller must mark
 * such output as not private; the releases of `veil/dp` do this for you (see {@link Release}).
 */
export interface Mechanism<Input, Output> {
  /** Which mechanism this is. */
  readonly name: MechanismName;
  /** The privacy event of one `release` call (with a private rng). */
  readonly event: PrivacyEvent;
  /**
   * Runs the mechanism once.
   * @param input the query answer(s) to privatise
   * @param rng the randomness; defaults to `csprng()`. A seeded rng makes the output non-private.
   */
  release(input: Input, rng?: Rng): Output;
}

/** A query answer: one number or a vector of numbers (any array-like, e.g. `Float64Array`). */
export type NumericInput = number | ArrayLike<number>;

/**
 * The result of a high-level release (count, sum, mean, histogram, quantile).
 *
 * `private` is `rng.isPrivate`. When it is false (seeded generator) `event` is
 * `{ kind: 'non-private' }`, so that a ledger composing `event` can never count seeded output as private;
 * the mechanism's nominal event stays available on the mechanism object.
 */
export interface Release<T> {
  /** The privatised value. */
  readonly value: T;
  /** The privacy event to record for this release. */
  readonly event: PrivacyEvent;
  /** True only when the randomness came from a cryptographically secure generator. */
  readonly private: boolean;
}
