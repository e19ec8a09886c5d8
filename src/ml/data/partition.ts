/**
 * Splitting a dataset among simulated parties for federated learning: IID, label skew by Dirichlet(alpha) per
 * class (Hsu, Qi & Brown 2019, arXiv:1909.06335; the NIID-Bench procedure of Li et al. 2022, arXiv:2102.02079),
 * and quantity skew (part sizes from Dirichlet(alpha) or a power law). Every example lands in exactly one part.
 * All randomness comes from the `rng` argument: a seeded Rng reproduces a partition exactly.
 */
import {
  assertInteger,
  assertNonNegative,
  assertPositive,
  InvalidParameterError,
  type Rng,
} from '../../core/index.js';
import { type Dataset, gather } from './dataset.js';
import { sampleDirichlet } from './gamma.js';
import { randomPermutation, shuffleInPlace } from './shuffle.js';
import { indicesByClass } from './split.js';

/** A partition: the source indices of each part (ascending) and the parts as datasets. */
export interface DatasetPartition {
  readonly indices: readonly Int32Array[];
  readonly parts: readonly Dataset[];
}

/** Options every partitioner takes. */
export interface PartitionOptions {
  /** Number of parts (parties), an integer >= 1. */
  readonly parts: number;
  /** The source of randomness; seeded for reproducible simulations. */
  readonly rng: Rng;
  /** Every part gets at least this many examples (default 0 for the skewed partitioners, 1 for IID). */
  readonly minPartSize?: number;
}

/** How part sizes are drawn in {@link partitionQuantitySkew}. */
export type QuantitySkew =
  /** Size proportions ~ Dirichlet(alpha, ..., alpha): small alpha, very unequal sizes. */
  | { readonly kind: 'dirichlet'; readonly alpha: number }
  /** Size of part k proportional to (k + 1)^-exponent (exponent 0: equal sizes). */
  | { readonly kind: 'power-law'; readonly exponent: number };

/**
 * IID partition: a uniform shuffle cut into parts whose sizes differ by at most one.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for parts < 1, or parts * minPartSize > numExamples
 * @example const { parts } = partitionIid(ds, { parts: 5, rng: seededRng(1) });
 */
export function partitionIid(ds: Dataset, options: PartitionOptions): DatasetPartition {
  const minPartSize = checkCommon('partitionIid', ds, options, 1);
  const order = randomPermutation(ds.numExamples, options.rng);
  const base = Math.floor(ds.numExamples / options.parts);
  const extra = ds.numExamples % options.parts;
  const counts = Array.from({ length: options.parts }, (_, k) => base + (k < extra ? 1 : 0));
  if (base < minPartSize) tooSmall('partitionIid', minPartSize, ds, options.parts);
  return finish(ds, cut(order, counts));
}

/**
 * Label skew: for each class, its examples are shuffled and split among the parts in proportions drawn from
 * Dirichlet(alpha, ..., alpha). Small alpha (0.1) gives parts dominated by few classes, large alpha (100) is
 * close to IID. When some part gets fewer than `minPartSize` examples the whole draw is repeated (NIID-Bench),
 * up to `maxAttempts` times.
 * @param options parts, rng, alpha (> 0), minPartSize (default 0), maxAttempts (default 1000)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options, or when no draw met `minPartSize`
 * @example partitionDirichlet(ds, { parts: 10, alpha: 0.5, rng: seededRng(7), minPartSize: 10 });
 */
export function partitionDirichlet(
  ds: Dataset,
  options: PartitionOptions & { readonly alpha: number; readonly maxAttempts?: number },
): DatasetPartition {
  const fn = 'partitionDirichlet';
  const minPartSize = checkCommon(fn, ds, options, 0);
  assertPositive(fn, 'alpha', options.alpha);
  const maxAttempts = options.maxAttempts ?? 1000;
  assertInteger(fn, 'maxAttempts', maxAttempts, 1);
  const byClass = indicesByClass(ds);
  const concentration = new Float64Array(options.parts).fill(options.alpha);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const buckets: number[][] = Array.from({ length: options.parts }, () => []);
    for (const members of byClass) {
      if (members.length === 0) continue;
      shuffleInPlace(members, options.rng);
      const counts = allocate(members.length, sampleDirichlet(concentration, options.rng));
      let at = 0;
      counts.forEach((c, k) => {
        for (let j = 0; j < c; j++) buckets[k]!.push(members[at++]!);
      });
    }
    if (buckets.every((b) => b.length >= minPartSize))
      return finish(
        ds,
        buckets.map((b) => Int32Array.from(b)),
      );
  }
  throw new InvalidParameterError({
    fn,
    param: 'minPartSize',
    value: minPartSize,
    allowed: `a size every part reached in one of ${maxAttempts} draws; lower minPartSize or raise alpha (${options.alpha})`,
  });
}

/**
 * Quantity skew: the label mix stays IID but part sizes differ. Each part first gets `minPartSize` examples;
 * the rest are shared in proportions drawn from Dirichlet(alpha) or fixed by a power law.
 * @param options parts, rng, skew (`{ kind: 'dirichlet', alpha }` or `{ kind: 'power-law', exponent }`),
 *   minPartSize (default 0)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options or parts * minPartSize > numExamples
 * @example partitionQuantitySkew(ds, { parts: 4, skew: { kind: 'power-law', exponent: 1.5 }, rng });
 */
export function partitionQuantitySkew(
  ds: Dataset,
  options: PartitionOptions & { readonly skew: QuantitySkew },
): DatasetPartition {
  const fn = 'partitionQuantitySkew';
  const minPartSize = checkCommon(fn, ds, options, 0);
  const { skew, parts } = options;
  let proportions: Float64Array;
  if (skew?.kind === 'dirichlet') {
    assertPositive(fn, 'skew.alpha', skew.alpha);
    proportions = sampleDirichlet(new Float64Array(parts).fill(skew.alpha), options.rng);
  } else if (skew?.kind === 'power-law') {
    assertNonNegative(fn, 'skew.exponent', skew.exponent);
    const weights = Float64Array.from({ length: parts }, (_, k) => (k + 1) ** -skew.exponent);
    const total = weights.reduce((s, w) => s + w, 0);
    proportions = weights.map((w) => w / total);
  } else {
    throw new InvalidParameterError({
      fn,
      param: 'skew',
      value: skew,
      allowed: "{ kind: 'dirichlet', alpha } or { kind: 'power-law', exponent }",
    });
  }
  const rest = allocate(ds.numExamples - parts * minPartSize, proportions);
  const counts = rest.map((c) => c + minPartSize);
  return finish(ds, cut(randomPermutation(ds.numExamples, options.rng), counts));
}

/**
 * Splits `n` items by proportions: part k gets `round(n * P_k) - round(n * P_(k-1))` with `P` the cumulative
 * proportions, so the counts are non-negative and sum to exactly `n`.
 */
export function allocate(n: number, proportions: ArrayLike<number>): number[] {
  const counts: number[] = [];
  let cumulative = 0;
  let previous = 0;
  for (let k = 0; k < proportions.length; k++) {
    cumulative += proportions[k]!;
    const edge = k === proportions.length - 1 ? n : Math.min(n, Math.round(n * cumulative));
    counts.push(Math.max(0, edge - previous));
    previous = Math.max(previous, edge);
  }
  return counts;
}

function checkCommon(fn: string, ds: Dataset, options: PartitionOptions, defaultMin: number): number {
  assertInteger(fn, 'parts', options.parts, 1);
  const minPartSize = options.minPartSize ?? defaultMin;
  assertInteger(fn, 'minPartSize', minPartSize, 0);
  if (options.parts * minPartSize > ds.numExamples) tooSmall(fn, minPartSize, ds, options.parts);
  return minPartSize;
}

function tooSmall(fn: string, minPartSize: number, ds: Dataset, parts: number): never {
  throw new InvalidParameterError({
    fn,
    param: 'minPartSize',
    value: minPartSize,
    allowed: `at most numExamples / parts = ${ds.numExamples} / ${parts}`,
  });
}

function cut(order: Int32Array, counts: readonly number[]): Int32Array[] {
  let at = 0;
  return counts.map((c) => {
    const part = order.slice(at, at + c);
    at += c;
    return part;
  });
}

function finish(ds: Dataset, indices: Int32Array[]): DatasetPartition {
  for (const part of indices) part.sort();
  return Object.freeze({
    indices: Object.freeze(indices),
    parts: Object.freeze(indices.map((part) => gather(ds, part))),
  });
}
