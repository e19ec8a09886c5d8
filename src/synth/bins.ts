/**
 * Numeric columns over declared bins: a number → its bin, and a bin → a number drawn uniformly inside it and
 * printed short. Edges `e0 < e1 < ... < eK` come from the public domain (never from the data); bin i is
 * `[e_i, e_{i+1})`, the last one `[e_{K-1}, e_K]`. Drawing a value inside a sampled bin is post-processing of
 * the private release: it reads no record and costs no privacy.
 */
import type { Rng } from '../core/index.js';

/** Significant digits a decoded value is printed with, more only where needed to stay inside its bin. */
export const PRINTED_DIGITS = 6;

/**
 * The bin of `x`, a number already clipped to `[e0, eK]` (binary search; right-open bins, the last closed).
 * @param edges the bin edges, strictly increasing, at least 2
 * @param x a number in `[edges[0], edges[K]]`
 * @returns the bin index in `[0, K - 1]`
 */
export function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** True when `x` lies in bin `bin` of `edges` (right-open, the last closed). */
export function inBin(edges: readonly number[], bin: number, x: number): boolean {
  const hi = edges[bin + 1]!;
  return x >= edges[bin]! && (x < hi || (bin === edges.length - 2 && x === hi));
}

/**
 * A number drawn uniformly inside bin `bin` with `rng`: a uniform real, or with `integer` a uniform whole number
 * among those in the bin (a bin holding none, which `parseDomain` refuses, gives its rounded midpoint).
 * @returns a number `x` with `inBin(edges, bin, x)` (the rounded midpoint excepted)
 */
export function drawInBin(edges: readonly number[], integer: boolean, bin: number, rng: Rng): number {
  const lo = edges[bin]!;
  const hi = edges[bin + 1]!;
  const last = bin === edges.length - 2;
  if (integer) {
    const first = Math.ceil(lo);
    const final = last || !Number.isInteger(hi) ? Math.floor(hi) : hi - 1;
    const count = final - first + 1;
    if (!(count >= 1)) return Math.round(lo / 2 + hi / 2);
    const x = count <= 2 ** 53 ? first + rng.uniformInt(count) : Math.floor(first + rng.uniform() * count);
    return inBin(edges, bin, x) ? x : first;
  }
  const u = rng.uniform();
  const width = hi - lo;
  // a convex combination when hi − lo overflows (edges near ±1.8e308)
  const x = Number.isFinite(width) ? lo + width * u : lo * (1 - u) + hi * u;
  // rounding can land on hi, the excluded end of a right-open bin
  return inBin(edges, bin, x) ? x : lo;
}

/**
 * The text of a decoded value: whole numbers as they are, others with {@link PRINTED_DIGITS} significant digits
 * (no float noise such as `0.30000000000000004`), or more where rounding would move the value out of its bin, so
 * that reading the text back gives the same bin.
 */
export function formatInBin(edges: readonly number[], bin: number, x: number): string {
  if (Number.isInteger(x)) return String(x);
  for (let digits = PRINTED_DIGITS; digits <= 17; digits++) {
    const rounded = Number(x.toPrecision(digits));
    if (inBin(edges, bin, rounded)) return String(rounded);
  }
  return String(x);
}
