/** Root finding for the calibrations: bisection on monotone predicates and functions. */
import { NumericError } from '../errors.js';

/**
 * The smallest x in [lo, hi] (up to `tolerance`) at which a monotone predicate becomes true: `ok(x)` is false
 * below some threshold and true above it. Returns a point where `ok` is true (the upper end of the final
 * bracket), so the answer always satisfies the predicate (fail closed).
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if `ok(hi)` is false or the bracket is invalid.
 */
export function smallestSatisfying(
  ok: (x: number) => boolean,
  lo: number,
  hi: number,
  options: { tolerance: number; relative?: boolean; maxIterations?: number; what?: string },
): number {
  const what = options.what ?? 'value';
  if (!(lo < hi)) throw new NumericError(`search for ${what}: empty bracket [${lo}, ${hi}]`, { lo, hi });
  if (!ok(hi))
    throw new NumericError(`search for ${what}: no value up to ${hi} satisfies the target`, { hi });
  if (ok(lo)) return lo;
  const maxIterations = options.maxIterations ?? 200;
  for (let i = 0; i < maxIterations; i++) {
    const width = hi - lo;
    const scale = options.relative ? hi : 1;
    if (width <= options.tolerance * scale) return hi;
    const mid = lo + width / 2;
    if (mid <= lo || mid >= hi) return hi; // no representable midpoint left
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The largest integer n in [lo, hi] with ok(n) true, for a predicate that is true up to a threshold and false
 * after it. Returns lo - 1 when even ok(lo) is false.
 */
export function largestIntegerSatisfying(ok: (n: number) => boolean, lo: number, hi: number): number {
  if (!ok(lo)) return lo - 1;
  if (ok(hi)) return hi;
  let good = lo;
  let bad = hi;
  while (bad - good > 1) {
    const mid = good + Math.floor((bad - good) / 2);
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}
