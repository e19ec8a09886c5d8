/**
 * How far the synthetic table's marginals are from the real table's: the total-variation distance (half the L1
 * distance of the normalised counts) of each k-way marginal, for every attribute set of size k or a seeded random
 * sample of them, and per attribute (1-way) and per pair (2-way) for plots.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import type { SynthData } from '../data.js';
import { cellCount } from '../domain.js';
import { checkSameDomain } from './records.js';
import { quantileSorted } from './scores.js';

/** The largest marginal counted in a dense scratch array; larger ones (rare) go through a Map. */
const DENSE_CELLS = 1 << 22;

/**
 * The total-variation distance between two count tables of the same layout: half the L1 distance of the two
 * tables, each divided by its own total.
 * @param p counts (>= 0, total > 0)
 * @param q counts over the same cells (>= 0, total > 0)
 * @returns a number in [0, 1]: 0 for proportional tables, 1 for disjoint supports
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for tables of different lengths or a zero total
 * @example totalVariation([1, 1], [2, 0]); // 0.5
 */
export function totalVariation(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const fn = 'totalVariation';
  if (p.length !== q.length)
    throw new InvalidParameterError({
      fn,
      param: 'q',
      value: q.length,
      allowed: `${p.length} cells, like p`,
    });
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  if (!(sp > 0)) throw new InvalidParameterError({ fn, param: 'p', value: sp, allowed: 'a total > 0' });
  if (!(sq > 0)) throw new InvalidParameterError({ fn, param: 'q', value: sq, allowed: 'a total > 0' });
  let l1 = 0;
  for (let i = 0; i < p.length; i++) l1 += Math.abs(p[i]! / sp - q[i]! / sq);
  return clampUnit(l1 / 2);
}

/** A reusable scratch table: the marginal TV in O(rows) whatever the number of cells. */
class Scratch {
  private dense = new Float64Array(0);

  /** The TV distance between the marginals of `a` and `b` over attribute positions `at`. */
  tv(a: SynthData, b: SynthData, at: readonly number[]): number {
    const sizes = at.map((j) => a.domain.sizes.get(a.domain.attrs[j]!)!);
    const cells = sizes.reduce((x, y) => x * y, 1);
    const ia = cellIndices(a, at, sizes);
    const ib = cellIndices(b, at, sizes);
    // integer weights (each a-row adds |b|, each b-row takes |a|), so equal tables give exactly 0
    const wa = ib.length;
    const wb = ia.length;
    let l1 = 0;
    if (cells <= DENSE_CELLS) {
      if (this.dense.length < cells) this.dense = new Float64Array(Math.max(cells, 2 * this.dense.length));
      const acc = this.dense;
      for (const c of ia) acc[c]! += wa;
      for (const c of ib) acc[c]! -= wb;
      // each touched cell is read once, then cleared (so the scratch is zero for the next marginal)
      for (const c of ia) {
        l1 += Math.abs(acc[c]!);
        acc[c] = 0;
      }
      for (const c of ib) {
        l1 += Math.abs(acc[c]!);
        acc[c] = 0;
      }
    } else {
      const acc = new Map<number, number>();
      for (const c of ia) acc.set(c, (acc.get(c) ?? 0) + wa);
      for (const c of ib) acc.set(c, (acc.get(c) ?? 0) - wb);
      for (const v of acc.values()) l1 += Math.abs(v);
    }
    return clampUnit(l1 / (2 * wa * wb));
  }
}

/** Each row's cell index in the marginal over positions `at` (row-major, first attribute slowest; exact < 2^53). */
function cellIndices(data: SynthData, at: readonly number[], sizes: readonly number[]): Float64Array {
  const n = data.columns[0]!.length;
  const out = new Float64Array(n);
  at.forEach((j, k) => {
    const codes = data.columns[j]!;
    const size = sizes[k]!;
    for (let r = 0; r < n; r++) out[r] = out[r]! * size + codes[r]!;
  });
  return out;
}

function clampUnit(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/**
 * The TV distance between the marginals of two tables over the same domain, over `attrs`.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for tables over different domains, or an unknown or
 *   repeated attribute
 */
export function marginalTotalVariation(
  real: SynthData,
  synthetic: SynthData,
  attrs: readonly string[],
): number {
  checkSameDomain('marginalTotalVariation', real, synthetic);
  return new Scratch().tv(real, synthetic, positions('marginalTotalVariation', real, attrs));
}

function positions(fn: string, data: SynthData, attrs: readonly string[]): number[] {
  cellCount(data.domain, attrs); // throws for an unknown attribute
  if (new Set(attrs).size !== attrs.length)
    throw new InvalidParameterError({ fn, param: 'attrs', value: attrs, allowed: 'distinct attributes' });
  return attrs.map((a) => data.domain.attrs.indexOf(a));
}

/** The TV error over the k-way marginals for one k. */
export interface WayError {
  /** k: the number of attributes of each marginal. */
  readonly way: number;
  /** How many k-attribute sets the domain has (d choose k). */
  readonly total: number;
  /** How many were evaluated: all of them, or a seeded random sample of `maxMarginals` when there are more. */
  readonly evaluated: number;
  readonly sampled: boolean;
  readonly mean: number;
  readonly median: number;
  readonly max: number;
}

/** The TV error of one marginal. */
export interface MarginalError {
  readonly attrs: readonly string[];
  readonly tv: number;
}

/** What {@link marginalErrors} returns. */
export interface MarginalErrors {
  /** One entry per k asked for (k greater than the number of attributes: none evaluated, mean NaN). */
  readonly ways: readonly WayError[];
  /** The 1-way TV of every attribute, in domain order. */
  readonly perAttribute: readonly MarginalError[];
  /** The 2-way TV of every pair of attributes (domain order, first attribute first): the heatmap's cells. */
  readonly perPair: readonly MarginalError[];
}

/** Options of {@link marginalErrors}. */
export interface MarginalErrorOptions {
  /** The marginal sizes k to evaluate (default [1, 2, 3]). */
  readonly ways?: readonly number[];
  /** At most this many marginals per k (default 1000): above it, a seeded sample of this size without repeats. */
  readonly maxMarginals?: number;
}

/**
 * The k-way marginal TV errors between a real and a synthetic table over the same domain.
 * @param rng draws the sample of attribute sets when a k has more than `maxMarginals` of them
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for tables over different domains, a k that is not an
 *   integer >= 1, or `maxMarginals` < 1
 * @example marginalErrors(real, synthetic, seededRng(1)).ways[2].mean; // mean 3-way TV
 */
export function marginalErrors(
  real: SynthData,
  synthetic: SynthData,
  rng: Rng,
  options: MarginalErrorOptions = {},
): MarginalErrors {
  const fn = 'marginalErrors';
  checkSameDomain(fn, real, synthetic);
  const ways = options.ways ?? [1, 2, 3];
  const cap = options.maxMarginals ?? 1000;
  for (const k of ways)
    if (!(Number.isSafeInteger(k) && k >= 1))
      throw new InvalidParameterError({ fn, param: 'ways', value: k, allowed: 'integers >= 1' });
  if (!(Number.isSafeInteger(cap) && cap >= 1))
    throw new InvalidParameterError({ fn, param: 'maxMarginals', value: cap, allowed: 'an integer >= 1' });
  const { attrs } = real.domain;
  const d = attrs.length;
  const scratch = new Scratch();
  const tvOf = (at: readonly number[]): MarginalError => ({
    attrs: at.map((j) => attrs[j]!),
    tv: scratch.tv(real, synthetic, at),
  });
  const perAttribute = attrs.map((_, j) => tvOf([j]));
  const perPair: MarginalError[] = [];
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) perPair.push(tvOf([i, j]));
  const out = ways.map((k): WayError => {
    const total = binomial(d, k);
    if (k > d)
      return {
        way: k,
        total: 0,
        evaluated: 0,
        sampled: false,
        mean: Number.NaN,
        median: Number.NaN,
        max: Number.NaN,
      };
    let tvs: number[];
    if (k === 1 && total <= cap) tvs = perAttribute.map((e) => e.tv);
    else if (k === 2 && total <= cap) tvs = perPair.map((e) => e.tv);
    else {
      const sets = total <= cap ? allSubsets(d, k) : sampleSubsets(d, k, cap, rng);
      tvs = sets.map((at) => scratch.tv(real, synthetic, at));
    }
    const sorted = [...tvs].sort((x, y) => x - y);
    return {
      way: k,
      total,
      evaluated: tvs.length,
      sampled: total > cap,
      mean: tvs.reduce((s, x) => s + x, 0) / tvs.length,
      median: quantileSorted(sorted, 0.5),
      max: sorted[sorted.length - 1]!,
    };
  });
  return { ways: out, perAttribute, perPair };
}

/** d choose k (as a double; exact while it is below 2^53). */
export function binomial(d: number, k: number): number {
  if (k < 0 || k > d) return 0;
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (d - k + i)) / i;
  return Math.round(c);
}

/** Every k-subset of 0..d-1, in lexicographic order. */
function allSubsets(d: number, k: number): number[][] {
  const out: number[][] = [];
  const at = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    out.push([...at]);
    let i = k - 1;
    while (i >= 0 && at[i] === d - k + i) i--;
    if (i < 0) return out;
    at[i]!++;
    for (let j = i + 1; j < k; j++) at[j] = at[j - 1]! + 1;
  }
}

/** `count` distinct k-subsets of 0..d-1 drawn uniformly (count < d choose k), each sorted. */
function sampleSubsets(d: number, k: number, count: number, rng: Rng): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  while (out.length < count) {
    const picked = new Set<number>();
    while (picked.size < k) picked.add(rng.uniformInt(d));
    const at = [...picked].sort((x, y) => x - y);
    const key = at.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(at);
  }
  return out;
}
