/**
 * Exact integer encoding of clamped real values for the sum and mean releases (internal).
 *
 * Why: a floating-point sum of clamped values can move by more than the clamping bound between neighbours
 * (rounding depends on the other values; Casacuberta et al. 2022, "Widespread underestimation of sensitivity
 * in differentially private libraries", CCS), and float noise has Mironov's 2012 flaw. So each clamped value
 * x is mapped to an integer k(x) = round_half_up(fl(x - center) / g) on a power-of-two grid g, the integers
 * are summed exactly, and exact integer noise is added. k is monotone in x, so every record contributes an
 * integer in [k(lower), k(upper)] and the sum's add/remove-one sensitivity is exactly
 * K = max(|k(lower)|, |k(upper)|), whatever the data.
 */
import { InvalidParameterError } from '../../core/index.js';
import { ceilLog2, clamp, powerOfTwo, roundHalfUp } from '../_numeric.js';

/** Grid steps per half-range: K <= 2^24, so sums of up to 2^28 records stay exact below 2^52. */
const GRID_BITS = 24;
/** Largest number of records a sum or mean accepts (2^28). */
export const MAX_RECORDS = 268435456;

/** A grid for values clamped to [lower, upper], measured from `center`. */
export interface Grid {
  readonly lower: number;
  readonly upper: number;
  readonly center: number;
  /** g, a power of two. */
  readonly granularity: number;
  /** K = max(|k(lower)|, |k(upper)|): the exact per-record sensitivity in grid steps. */
  readonly sensitivity: number;
}

/** The grid with g = 2^(ceil(log2 max|x - center|) - 24). */
export function makeGrid(lower: number, upper: number, center: number): Grid {
  const span = Math.max(Math.abs(lower - center), Math.abs(upper - center));
  const granularity = powerOfTwo(Math.max(-1074, ceilLog2(span) - GRID_BITS));
  const kLower = roundHalfUp((lower - center) / granularity);
  const kUpper = roundHalfUp((upper - center) / granularity);
  return Object.freeze({
    lower,
    upper,
    center,
    granularity,
    sensitivity: Math.max(Math.abs(kLower), Math.abs(kUpper)),
  });
}

/** The exact sum of k(clamp(x)) over the data, and the number of records. */
export function gridSum(fn: string, grid: Grid, data: Float64Array): number {
  if (data.length > MAX_RECORDS) {
    throw new InvalidParameterError({
      fn,
      param: 'values.length',
      value: data.length,
      allowed: 'at most 2^28 records',
    });
  }
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const x = clamp(data[i]!, grid.lower, grid.upper);
    sum += roundHalfUp((x - grid.center) / grid.granularity);
  }
  return sum;
}
