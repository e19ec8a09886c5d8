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

/**
 * The smallest x in [lo, hi] (to `tolerance`, absolute) with f(x) <= target, for a continuous f decreasing in
 * x, given f(lo) > target >= f(hi). Like {@link smallestSatisfying} but with far fewer evaluations of an
 * expensive f: Illinois-style false position (Dowell & Jarratt 1971), safeguarded so that every step shrinks
 * the bracket by at least tolerance / 2 and falls back to bisection when interpolation stalls. Returns the
 * upper end of the final bracket and its value, which always satisfies f(x) <= target (fail closed).
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if the bracket is not valid.
 */
export function smallestBelowTarget(
  f: (x: number) => number,
  target: number,
  lo: number,
  hi: number,
  options: { tolerance: number; fLo?: number; fHi?: number; maxIterations?: number; what?: string },
): { x: number; value: number } {
  const what = options.what ?? 'value';
  let gLo = (options.fLo ?? f(lo)) - target;
  let gHi = (options.fHi ?? f(hi)) - target;
  let valueHi = gHi + target; // f(hi) itself: gHi may be halved below for the interpolation
  if (!(lo < hi) || !(gLo > 0) || !(gHi <= 0)) {
    throw new NumericError(`search for ${what}: invalid bracket [${lo}, ${hi}]`, { lo, hi, gLo, gHi });
  }
  const tol = options.tolerance;
  const maxIterations = options.maxIterations ?? 200;
  let side = 0; // +1 when hi moved last, -1 when lo moved last (for the Illinois halving)
  for (let i = 0; i < maxIterations && hi - lo > tol; i++) {
    let x = Number.isFinite(gLo) ? hi - (gHi * (hi - lo)) / (gHi - gLo) : lo + (hi - lo) / 2;
    if (!(x > lo && x < hi)) x = lo + (hi - lo) / 2;
    // Safeguards: never closer than tol/2 to an end (each step shrinks the bracket), and bisect when one
    // side has not moved for a while.
    const minStep = Math.min(tol / 2, (hi - lo) / 2);
    x = Math.min(Math.max(x, lo + minStep), hi - minStep);
    const g = f(x) - target;
    if (Number.isNaN(g)) throw new NumericError(`search for ${what}: NaN at ${x}`, { x });
    if (g <= 0) {
      hi = x;
      gHi = g;
      valueHi = g + target;
      if (side === 1) gLo /= 2;
      side = 1;
    } else {
      lo = x;
      gLo = g;
      if (side === -1) gHi /= 2;
      side = -1;
    }
  }
  return { x: hi, value: valueHi };
}
