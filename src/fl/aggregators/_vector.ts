/**
 * Vector helpers shared by the aggregators and strategies (internal: not exported from the module face).
 * Accumulation is in float64 so that sums over many nodes do not lose the small coordinates; results are
 * rounded to float32 once, at the end.
 */
import { InvalidParameterError } from '../../core/index.js';
import type { ClientUpdate } from '../validation/validate-update.js';

/** Euclidean norm, accumulated in float64. */
export function l2Norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Squared Euclidean distance between two vectors of the same length. */
export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

/** sum_i w_i x_i / sum_i w_i over the given vectors, computed in float64. Weights must be >= 0, sum > 0. */
export function weightedAverage(vectors: readonly Float32Array[], weights: ArrayLike<number>): Float64Array {
  const length = vectors[0]!.length;
  const sum = new Float64Array(length);
  let total = 0;
  for (let k = 0; k < vectors.length; k++) {
    const w = weights[k]!;
    if (w === 0) continue;
    total += w;
    const v = vectors[k]!;
    for (let i = 0; i < length; i++) sum[i]! += w * v[i]!;
  }
  for (let i = 0; i < length; i++) sum[i]! /= total;
  return sum;
}

/** In-place ascending sort of the first n entries (insertion sort: fastest for the few nodes of a round). */
export function sortPrefix(a: Float64Array, n: number): void {
  if (n > 32) {
    a.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > x) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
}

/**
 * Boundary checks of an aggregator: a non-empty array of updates whose deltas are Float32Arrays of one length
 * and whose example counts are positive. Coordinates are not checked one by one (screen updates first with
 * `screenUpdates`, which the strategies do).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER
 */
export function checkUpdates(fn: string, updates: readonly ClientUpdate[], minimum = 1): number {
  if (!Array.isArray(updates) || updates.length < minimum) {
    throw new InvalidParameterError({
      fn,
      param: 'updates',
      value: Array.isArray(updates) ? `${updates.length} updates` : updates,
      allowed: `an array of at least ${minimum} update${minimum === 1 ? '' : 's'}`,
    });
  }
  const length = (updates[0]?.delta as Float32Array | undefined)?.length;
  for (let k = 0; k < updates.length; k++) {
    const u = updates[k]!;
    if (!(u.delta instanceof Float32Array) || u.delta.length !== length || length === 0) {
      throw new InvalidParameterError({
        fn,
        param: `updates[${k}].delta`,
        value: u.delta,
        allowed: `a non-empty Float32Array of the same length as updates[0].delta (${length})`,
      });
    }
    if (!Number.isSafeInteger(u.numExamples) || u.numExamples < 1) {
      throw new InvalidParameterError({
        fn,
        param: `updates[${k}].numExamples`,
        value: u.numExamples,
        allowed: 'a positive safe integer',
      });
    }
  }
  return length!;
}

/** The node ids of updates, in order. */
export function idsOf(updates: readonly ClientUpdate[]): string[] {
  return updates.map((u) => u.nodeId);
}
