/**
 * A private count. Under add/remove-one neighbours a count changes by exactly 1, so its L1 and L2
 * sensitivity is 1; the noisy count is count + Z with Z exact integer noise (releases/noise.ts).
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import { InvalidParameterError, type Rng } from '../../core/index.js';
import { assertOptions, makeRelease, resolveRng } from '../_input.js';
import type { Mechanism, Release } from '../mechanism.js';
import { planIntegerNoise, type ReleaseNoise, validateNoise } from './noise.js';

/** Options of {@link privateCount}. */
export interface PrivateCountOptions {
  /** `{ kind: 'laplace', epsilon }` (pure DP) or `{ kind: 'gaussian', rho }` (zCDP). */
  readonly noise: ReleaseNoise;
}

/** A private count: `release(records)` counts `records.length` (or takes a precomputed count). */
export interface PrivateCount extends Mechanism<ArrayLike<unknown> | number, Release<number>> {
  readonly name: 'count';
  readonly event: PrivacyEvent;
}

/**
 * A private count under add/remove-one neighbours (sensitivity 1). Records a `discrete-laplace` event
 * `{ scale: 1/epsilon, l1Sensitivity: 1 }` or a `discrete-gaussian` event `{ sigma: 1/sqrt(2 rho), ... }`.
 *
 * `release(records | count, rng?)` returns `{ value, event, private }`; the value is an integer and may be
 * negative (unbiased; clamp at 0 yourself if you prefer, it is post-processing). A seeded rng gives
 * `private: false` and a `non-private` event.
 * @param options.noise the privacy target
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad noise spec; at release, for a count that is
 *   not a non-negative safe integer, or an input that is neither an array nor a number
 * @example
 * const count = privateCount({ noise: { kind: 'laplace', epsilon: 0.5 } });
 * count.release(patients).value; // e.g. 1043
 */
export function privateCount(options: PrivateCountOptions): PrivateCount {
  const fn = 'privateCount';
  assertOptions(fn, options);
  const noise = validateNoise(fn, options.noise);
  const plan = planIntegerNoise(fn, noise, 1, 1);
  return Object.freeze({
    name: 'count',
    event: plan.event,
    release(records: ArrayLike<unknown> | number, rng?: Rng): Release<number> {
      let count: number;
      if (typeof records === 'number') {
        if (!Number.isSafeInteger(records) || records < 0) {
          throw new InvalidParameterError({
            fn,
            param: 'records',
            value: records,
            allowed: 'a non-negative safe integer count or an array',
          });
        }
        count = records;
      } else if (records !== null && typeof records === 'object' && typeof records.length === 'number') {
        count = records.length;
      } else {
        throw new InvalidParameterError({
          fn,
          param: 'records',
          value: records,
          allowed: 'an array of records or a count',
        });
      }
      const r = resolveRng(fn, rng);
      return makeRelease(count + plan.sample(r), plan.event, r);
    },
  });
}
