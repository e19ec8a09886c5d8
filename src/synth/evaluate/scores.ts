/**
 * Scores of a scorer or classifier against known labels: the ROC curve and its area (AUC, with tied scores
 * counted as half), the true-positive rate at a given false-positive rate, accuracy and F1; and quantiles.
 */
import { InvalidParameterError } from '../../core/index.js';

/** A point of an ROC curve. */
export interface RocPoint {
  readonly fpr: number;
  readonly tpr: number;
}

function checkLabels(fn: string, scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length)
    throw new InvalidParameterError({
      fn,
      param: 'labels',
      value: labels.length,
      allowed: `${scores.length} labels, one per score`,
    });
}

/**
 * The area under the ROC curve of `scores` (higher: more likely positive) against `labels` (1 positive, anything
 * else negative): the probability that a random positive scores above a random negative, ties counting one half
 * (the Mann–Whitney statistic, from average ranks).
 * @returns the AUC in [0, 1], or null when there are no positives or no negatives
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when the lengths differ
 * @example rocAuc([0.9, 0.1], [1, 0]); // 1
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  checkLabels('rocAuc', scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1; // the average 1-based rank of the tied group
    for (let k = i; k <= j; k++)
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += rank;
      }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The ROC curve: one vertex per distinct score threshold, from (0, 0) to (1, 1) (tied scores move both rates at
 * once, so the curve between vertices is what a randomised threshold achieves).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when the lengths differ
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  checkLabels('rocCurve', scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const negatives = n - positives;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) tp++;
      else fp++;
      j++;
    }
    points.push({ fpr: negatives === 0 ? 0 : fp / negatives, tpr: positives === 0 ? 0 : tp / positives });
    i = j;
  }
  return points;
}

/**
 * The true-positive rate a (randomised) threshold reaches at false-positive rate `fpr`: the ROC curve, linear
 * between its vertices, read at `fpr`.
 * @param curve from {@link rocCurve}
 */
export function tprAtFpr(curve: readonly RocPoint[], fpr: number): number {
  let tpr = 0;
  for (let i = 0; i < curve.length; i++) {
    const p = curve[i]!;
    if (p.fpr <= fpr) {
      tpr = Math.max(tpr, p.tpr);
      continue;
    }
    const prev = curve[i - 1];
    if (prev && prev.fpr <= fpr && p.fpr > prev.fpr)
      tpr = Math.max(tpr, prev.tpr + ((fpr - prev.fpr) * (p.tpr - prev.tpr)) / (p.fpr - prev.fpr));
    break;
  }
  return tpr;
}

/** Accuracy, and precision, recall and F1 of one class. */
export interface ClassScores {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * Accuracy of `predicted` against `labels`, and precision, recall and F1 of class `positive` (0 where undefined:
 * no prediction or no example of the class).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when the lengths differ
 */
export function classScores(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  positive: number,
): ClassScores {
  checkLabels('classScores', predicted, labels);
  let correct = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = predicted[i]!;
    const y = labels[i]!;
    if (p === y) correct++;
    if (p === positive && y === positive) tp++;
    else if (p === positive) fp++;
    else if (y === positive) fn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { accuracy: labels.length === 0 ? Number.NaN : correct / labels.length, precision, recall, f1 };
}

/** The q-quantile of sorted values (linear interpolation between order statistics); NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
