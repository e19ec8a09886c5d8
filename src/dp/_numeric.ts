/**
 * Exact floating-point helpers for privacy arithmetic inside `dp` (internal; not exported from the index).
 *
 * Privacy numerics fail closed (STYLE rule 4): a scale derived from an epsilon is rounded *up* exactly, so
 * that the mechanism's true epsilon never exceeds the requested one.
 */
import { NumericError, rationalFromNumber } from '../core/index.js';

/** The smallest double strictly greater than `x`, for a finite `x >= 0`. */
export function nextUp(x: number): number {
  const f = new Float64Array(1);
  const bits = new BigUint64Array(f.buffer);
  f[0] = x === 0 ? 0 : x; // maps -0 to +0
  bits[0]! += 1n;
  return f[0]!;
}

/** `x` moved up by `ulps` units in the last place (x >= 0): a margin for a known number of roundings. */
export function roundUpUlps(x: number, ulps: number): number {
  let y = x;
  for (let i = 0; i < ulps; i++) y = nextUp(y);
  return y;
}

/**
 * a / b rounded up: the smallest double q with q >= a/b in exact arithmetic, for finite a >= 0, b > 0.
 * The division is correctly rounded, so one step up suffices when the rounded quotient fell below a/b;
 * the check compares q * b with a exactly over the rationals.
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when the quotient overflows.
 */
export function divideRoundingUp(a: number, b: number): number {
  const q = a / b;
  if (!Number.isFinite(q)) throw new NumericError(`division ${a} / ${b} overflowed`, { a, b });
  const qr = rationalFromNumber(q);
  const br = rationalFromNumber(b);
  const ar = rationalFromNumber(a);
  // q * b >= a  <=>  qn * bn * ad >= an * qd * bd
  const exactEnough = qr.num * br.num * ar.den >= ar.num * qr.den * br.den;
  return exactEnough ? q : nextUp(q);
}

/**
 * floor(v + 1/2) computed exactly for any finite double v (round half up). `v - floor(v)` is exact
 * (Sterbenz) except for v in (-1, 0), where rounding is monotone and 0.5 is representable, so the
 * comparison with 0.5 is still decided correctly. Monotone non-decreasing in v.
 */
export function roundHalfUp(v: number): number {
  const r = Math.floor(v);
  return v - r >= 0.5 ? r + 1 : r;
}

/** 2^e exactly, for an integer e in [-1074, 1023] (repeated exact doubling/halving, no Math.pow). */
export function powerOfTwo(e: number): number {
  let x = 1;
  if (e >= 0) for (let i = 0; i < e; i++) x *= 2;
  else for (let i = 0; i < -e; i++) x *= 0.5;
  return x;
}

/** The integer e with 2^(e-1) < x <= 2^e, for a finite x > 0. */
export function ceilLog2(x: number): number {
  let e = Math.ceil(Math.log2(x));
  while (powerOfTwo(e) < x) e++;
  while (powerOfTwo(e - 1) >= x) e--;
  return e;
}

/** The integer e with 2^e <= x < 2^(e+1), for a finite x > 0. */
export function floorLog2(x: number): number {
  let e = Math.floor(Math.log2(x));
  while (powerOfTwo(e) > x) e--;
  while (powerOfTwo(e + 1) <= x) e++;
  return e;
}

/** True for an exact power of two 2^e with -1074 <= e <= 1023. */
export function isPowerOfTwo(x: number): boolean {
  if (!(x > 0) || !Number.isFinite(x)) return false;
  return powerOfTwo(floorLog2(x)) === x;
}

/** x clamped to [lower, upper] (lower <= upper). Monotone, so clamping never increases a sensitivity. */
export function clamp(x: number, lower: number, upper: number): number {
  return Math.min(upper, Math.max(lower, x));
}
