/** Arithmetic on logarithms of non-negative numbers, without overflow (log(0) = -Infinity). */

/** log(exp(a) + exp(b)). */
export function logAdd(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  return hi + Math.log1p(Math.exp(lo - hi));
}

/**
 * log(exp(a) - exp(b)) for a >= b. Returns -Infinity when a === b.
 * @throws {RangeError} when b > a (the difference would be negative).
 */
export function logSub(a: number, b: number): number {
  if (b > a) throw new RangeError(`logSub: expected a >= b, got a=${a}, b=${b}`);
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a === b) return Number.NEGATIVE_INFINITY;
  return a + log1mExp(b - a);
}

/** log(1 - exp(x)) for x <= 0, accurate near 0 and for very negative x (Maechler 2012). */
export function log1mExp(x: number): number {
  if (x > 0) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log(sum exp(x_i)), stable. Empty input gives -Infinity. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (max === Number.NEGATIVE_INFINITY || max === Number.POSITIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}
