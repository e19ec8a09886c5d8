/**
 * Krum and multi-Krum (Blanchard, El Mhamdi, Guerraoui & Stainer 2017, "Machine learning with adversaries:
 * Byzantine tolerant gradient descent", NeurIPS).
 */
import { assertInteger, InvalidParameterError } from '../../core/index.js';
import type { ClientUpdate, Rejection } from '../validation/validate-update.js';
import { checkUpdates, squaredDistance } from './_vector.js';
import type { AggregatorOutput } from './types.js';

/** Options of {@link krum}. */
export interface KrumOptions {
  /** f, the number of Byzantine updates to tolerate (>= 0). */
  readonly byzantine: number;
  /** m, how many lowest-score updates are averaged: 1 (default) is Krum, m > 1 multi-Krum; m <= n - f. */
  readonly selected?: number;
}

/** Smallest n Krum accepts for f Byzantine updates: n > 2f + 2 (Blanchard et al. 2017, Prop. 1). */
export function krumMinimumUpdates(byzantine: number): number {
  return 2 * byzantine + 3;
}

/** Checks the options that do not depend on n. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkKrumOptions(fn: string, options: KrumOptions, prefix = ''): void {
  assertInteger(fn, `${prefix}byzantine`, options.byzantine, 0);
  if (options.selected !== undefined) assertInteger(fn, `${prefix}selected`, options.selected, 1);
}

/**
 * Krum / multi-Krum. Each update i gets the score s(i) = sum of the squared distances to its n - f - 2
 * nearest other updates (Blanchard et al. 2017, Sec. 4); the m updates with the lowest scores (ties: earlier
 * input first) are averaged, unweighted, and the others are reported in `rejected`.
 *
 * Requirements and breakdown: n > 2f + 2, i.e. n >= 2f + 3; then the chosen update is close to the honest
 * ones whatever the f Byzantine updates are (Prop. 1). Multi-Krum needs m <= n - f so that it cannot be
 * forced to average in a Byzantine update that sits far away. Cost: O(n^2 d) for the pairwise distances.
 *
 * @param updates - screened updates (same length, finite)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when n <= 2f + 2, m > n - f, or the updates are
 *   empty or mismatched
 */
export function krum(updates: readonly ClientUpdate[], options: KrumOptions): AggregatorOutput {
  const fn = 'krum';
  checkKrumOptions(fn, options);
  const length = checkUpdates(fn, updates);
  const f = options.byzantine;
  const n = updates.length;
  if (!(n >= krumMinimumUpdates(f))) {
    throw new InvalidParameterError({
      fn,
      param: 'updates',
      value: `${n} updates`,
      allowed: `more than 2f + 2 = ${2 * f + 2} updates for byzantine f = ${f}`,
    });
  }
  const m = options.selected ?? 1;
  if (m > n - f) {
    throw new InvalidParameterError({
      fn,
      param: 'selected',
      value: m,
      allowed: `at most n - f = ${n - f}`,
    });
  }
  const distances = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = squaredDistance(updates[i]!.delta, updates[j]!.delta);
      distances[i * n + j] = d;
      distances[j * n + i] = d;
    }
  }
  const neighbours = n - f - 2;
  const scores = new Float64Array(n);
  const row = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < n; j++) if (j !== i) row[r++] = distances[i * n + j]!;
    row.sort();
    let s = 0;
    for (let j = 0; j < neighbours; j++) s += row[j]!;
    scores[i] = s;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
  const chosen = new Set(order.slice(0, m));
  const sum = new Float64Array(length);
  const used: string[] = [];
  const rejected: Rejection[] = [];
  for (let i = 0; i < n; i++) {
    const u = updates[i]!;
    if (chosen.has(i)) {
      used.push(u.nodeId);
      for (let c = 0; c < length; c++) sum[c]! += u.delta[c]!;
    } else {
      rejected.push({
        nodeId: u.nodeId,
        reason: `krum: score ${scores[i]!.toPrecision(6)} not among the ${m} lowest`,
      });
    }
  }
  const delta = new Float32Array(length);
  for (let c = 0; c < length; c++) delta[c] = sum[c]! / m;
  return { delta, used, rejected };
}
