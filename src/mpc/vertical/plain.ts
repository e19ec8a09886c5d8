/**
 * The same logistic regression as {@link trainVerticalLr}, in the clear on the joined features, in float64:
 * the comparison a vertical run reports (`plaintextAccuracy`) and the oracle of the secure trainer's tests.
 * Same batches (the public schedule), same activation, same update; only the fixed-point rounding differs.
 */
import { batches, type VerticalLrOptions } from './lr.js';
import type { FeatureMatrix } from './products.js';

/** Plaintext weights: party 0's features, party 1's, and the bias. */
export interface PlainModel {
  readonly w0: Float64Array;
  readonly w1: Float64Array;
  readonly bias: number;
}

const value = (x: FeatureMatrix, row: number, j: number, fraction: number) =>
  (x.values[row * x.width + j]! * 2 ** x.shifts[j]!) / 2 ** fraction;

/** Scores z = x0·w0 + x1·w1 + b of the given rows. */
export function plainScores(
  x0: FeatureMatrix,
  x1: FeatureMatrix,
  model: PlainModel,
  rows: Uint32Array,
  fraction = 8,
): Float64Array {
  const z = new Float64Array(rows.length);
  rows.forEach((i, k) => {
    let s = model.bias;
    for (let j = 0; j < x0.width; j++) s += value(x0, i, j, fraction) * model.w0[j]!;
    for (let j = 0; j < x1.width; j++) s += value(x1, i, j, fraction) * model.w1[j]!;
    z[k] = s;
  });
  return z;
}

/**
 * Trains in the clear. Under `options.dp` it takes the same full-batch steps without noise: the comparison is
 * with the non-private model.
 * @param labels 0/1 per row
 */
export function trainPlainLr(
  x0: FeatureMatrix,
  x1: FeatureMatrix,
  labels: Uint8Array,
  options: VerticalLrOptions,
): PlainModel {
  const fraction = options.featureFraction ?? 8;
  const w0 = new Float64Array(x0.width);
  const w1 = new Float64Array(x1.width);
  let bias = 0;
  for (const rows of batches(options, x0.rows)) {
    if (rows.length === 0) continue;
    const z = plainScores(x0, x1, { w0, w1, bias }, rows, fraction);
    const g0 = new Float64Array(x0.width);
    const g1 = new Float64Array(x1.width);
    let gb = 0;
    rows.forEach((i, k) => {
      const t = z[k]! / 4 + 0.5;
      const s = options.activation === 'taylor' ? t : Math.min(1, Math.max(0, t));
      const r = s - labels[i]!;
      for (let j = 0; j < x0.width; j++) g0[j]! += value(x0, i, j, fraction) * r;
      for (let j = 0; j < x1.width; j++) g1[j]! += value(x1, i, j, fraction) * r;
      gb += r;
    });
    const rate = options.learningRate / rows.length;
    const l2 = options.learningRate * (options.l2 ?? 0);
    for (let j = 0; j < x0.width; j++) w0[j] = w0[j]! - rate * g0[j]! - l2 * w0[j]!;
    for (let j = 0; j < x1.width; j++) w1[j] = w1[j]! - rate * g1[j]! - l2 * w1[j]!;
    bias = bias - rate * gb - l2 * bias;
  }
  return { w0, w1, bias };
}

/** Accuracy of scores against 0/1 labels (score > 0 predicts 1). */
export function accuracy(z: Float64Array, labels: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < z.length; i++) if ((z[i]! > 0 ? 1 : 0) === labels[i]) right += 1;
  return z.length === 0 ? Number.NaN : right / z.length;
}
