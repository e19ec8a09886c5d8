/**
 * A private histogram. Under add/remove-one neighbours exactly one bin count changes, by 1, so the L1 and
 * L2 sensitivities are both 1 whatever the number of bins; each bin gets independent exact integer noise
 * (parallel composition over disjoint bins, Dwork & Roth 2014, Sec. 3.3: the whole vector costs one epsilon or
 * one rho, not one per bin).
 *
 * Binning (a fixed, data-independent map from a record to one bin):
 * - `{ kind: 'uniform', lower, upper, bins }`: values are clamped to [lower, upper] and split into `bins`
 *   equal-width bins (the last bin includes `upper`);
 * - `{ kind: 'categorical', categories }`: values are category indices 0..categories-1.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import { assertBounds, assertInteger, InvalidParameterError, type Rng } from '../../core/index.js';
import { assertOptions, makeRelease, resolveRng, toDataVector } from '../_input.js';
import { clamp } from '../_numeric.js';
import type { Mechanism, Release } from '../mechanism.js';
import { planIntegerNoise, type ReleaseNoise, validateNoise } from './noise.js';

/** Largest number of bins. */
const MAX_BINS = 16777216;

/** How records map to bins. */
export type Binning =
  | { readonly kind: 'uniform'; readonly lower: number; readonly upper: number; readonly bins: number }
  | { readonly kind: 'categorical'; readonly categories: number };

/** Options of {@link privateHistogram}. */
export interface PrivateHistogramOptions {
  readonly binning: Binning;
  /** `{ kind: 'laplace', epsilon }` or `{ kind: 'gaussian', rho }` for the whole histogram. */
  readonly noise: ReleaseNoise;
}

/** A private histogram; the value is a Float64Array of noisy integer counts (may be negative). */
export interface PrivateHistogram extends Mechanism<ArrayLike<number>, Release<Float64Array>> {
  readonly name: 'histogram';
  readonly event: PrivacyEvent;
  /** Number of bins. */
  readonly bins: number;
  /** The bin of a (finite) value: what `release` uses. */
  binOf(value: number): number;
}

function checkBinning(fn: string, binning: Binning): { bins: number; binOf: (x: number) => number } {
  if (typeof binning !== 'object' || binning === null) {
    throw new InvalidParameterError({
      fn,
      param: 'binning',
      value: binning,
      allowed: "{ kind: 'uniform', lower, upper, bins } or { kind: 'categorical', categories }",
    });
  }
  if (binning.kind === 'uniform') {
    const { lower, upper, bins } = binning;
    assertBounds(fn, lower, upper);
    if (!Number.isFinite(upper - lower)) {
      throw new InvalidParameterError({
        fn,
        param: 'binning.upper',
        value: upper,
        allowed: 'a number with upper - lower finite',
      });
    }
    assertInteger(fn, 'binning.bins', bins, 1, MAX_BINS);
    const width = upper - lower;
    return {
      bins,
      binOf: (x: number) => {
        const bin = Math.floor(((clamp(x, lower, upper) - lower) / width) * bins);
        return clamp(bin, 0, bins - 1); // the last bin includes upper
      },
    };
  }
  if (binning.kind === 'categorical') {
    const { categories } = binning;
    assertInteger(fn, 'binning.categories', categories, 1, MAX_BINS);
    return {
      bins: categories,
      binOf: (x: number) => {
        if (!Number.isInteger(x) || x < 0 || x >= categories) {
          throw new InvalidParameterError({
            fn,
            param: 'values',
            value: x,
            allowed: `category indices in [0, ${categories})`,
          });
        }
        return x;
      },
    };
  }
  const kind: unknown = (binning as { kind?: unknown }).kind;
  throw new InvalidParameterError({
    fn,
    param: 'binning.kind',
    value: kind,
    allowed: "'uniform' or 'categorical'",
  });
}

/**
 * A private histogram under add/remove-one neighbours (sensitivity 1 in L1 and L2). Records a
 * `discrete-laplace` event `{ scale: 1/epsilon, l1Sensitivity: 1 }` or a `discrete-gaussian` event
 * `{ sigma, l2Sensitivity: 1, dimension: bins }`.
 * @param options.binning uniform bins over clamped [lower, upper], or category indices
 * @param options.noise the privacy target for the whole histogram
 * @returns a frozen mechanism; `release` returns `{ value: Float64Array(bins), event, private }`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad binning or noise; at release, for a
 *   non-array, a non-finite value or (categorical) a value that is not a category index
 * @example
 * const hist = privateHistogram({
 *   binning: { kind: 'uniform', lower: 0, upper: 100, bins: 10 },
 *   noise: { kind: 'laplace', epsilon: 1 },
 * });
 * hist.release(scores).value; // Float64Array(10)
 */
export function privateHistogram(options: PrivateHistogramOptions): PrivateHistogram {
  const fn = 'privateHistogram';
  assertOptions(fn, options);
  const { bins, binOf } = checkBinning(fn, options.binning);
  const noise = validateNoise(fn, options.noise);
  const plan = planIntegerNoise(fn, noise, 1, bins);
  return Object.freeze({
    name: 'histogram',
    event: plan.event,
    bins,
    binOf,
    release(values: ArrayLike<number>, rng?: Rng): Release<Float64Array> {
      const data = toDataVector(fn, 'values', values);
      const counts = new Float64Array(bins);
      for (let i = 0; i < data.length; i++) counts[binOf(data[i]!)]++;
      const r = resolveRng(fn, rng);
      for (let b = 0; b < bins; b++) counts[b] += plan.sample(r);
      return makeRelease(counts, plan.event, r);
    },
  });
}
