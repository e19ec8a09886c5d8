/**
 * Coordinate-wise robust aggregators (Yin, Chen, Ramchandran & Bartlett 2018, "Byzantine-robust distributed
 * learning: towards optimal statistical rates", ICML, arXiv:1803.01498): the median and the trimmed mean of
 * each coordinate over the nodes. Both are unweighted: a node's claimed example count cannot buy influence.
 */
import { InvalidParameterError } from '../../core/index.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { checkUpdates, idsOf, sortPrefix } from './_vector.js';
import type { AggregatorOutput } from './types.js';

/** Applies `reduce` to the sorted values of each coordinate. */
function perCoordinate(
  updates: readonly ClientUpdate[],
  reduce: (sorted: Float64Array, n: number) => number,
): Float32Array {
  const n = updates.length;
  const length = updates[0]!.delta.length;
  const deltas = updates.map((u) => u.delta);
  const column = new Float64Array(n);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    for (let k = 0; k < n; k++) column[k] = deltas[k]![i]!;
    sortPrefix(column, n);
    out[i] = reduce(column, n);
  }
  return out;
}

/**
 * Coordinate-wise median (Yin et al. 2018, Sec. 3, Option I); the mean of the two middle values for even n.
 *
 * Breakdown point 1/2: each coordinate stays within the range of the honest values as long as fewer than half
 * of the updates are Byzantine (f < n / 2). Needs n >= 1.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty list or mismatched lengths
 */
export function coordinateMedian(updates: readonly ClientUpdate[]): AggregatorOutput {
  checkUpdates('coordinateMedian', updates);
  const delta = perCoordinate(updates, (s, n) =>
    n % 2 === 1 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!),
  );
  return { delta, used: idsOf(updates), rejected: [] };
}

/** Options of {@link trimmedMean}. */
export interface TrimmedMeanOptions {
  /** Fraction trimmed from each side, in [0, 1/2): floor(beta n) values are dropped from each end. */
  readonly beta: number;
}

/** Checks beta. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkTrimBeta(fn: string, beta: unknown, param = 'beta'): void {
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 0.5)) {
    throw new InvalidParameterError({ fn, param, value: beta, allowed: 'a number in [0, 0.5)' });
  }
}

/**
 * Coordinate-wise beta-trimmed mean (Yin et al. 2018, Sec. 3, Option II): per coordinate, drop the
 * k = floor(beta n) smallest and k largest values and average the n - 2k others.
 *
 * Breakdown: tolerates up to k Byzantine values per coordinate, so beta must exceed the Byzantine fraction
 * (f <= floor(beta n)); beta < 1/2 keeps at least one value. beta = 0 is the plain unweighted mean.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for beta outside [0, 1/2), an empty list or
 *   mismatched lengths
 */
export function trimmedMean(updates: readonly ClientUpdate[], options: TrimmedMeanOptions): AggregatorOutput {
  const fn = 'trimmedMean';
  checkTrimBeta(fn, options.beta);
  checkUpdates(fn, updates);
  const k = Math.floor(options.beta * updates.length);
  const delta = perCoordinate(updates, (s, n) => {
    let sum = 0;
    for (let j = k; j < n - k; j++) sum += s[j]!;
    return sum / (n - 2 * k);
  });
  return { delta, used: idsOf(updates), rejected: [] };
}
