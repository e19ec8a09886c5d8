/**
 * Losses with per-example gradients: each example's gradient with respect to the logits is the gradient of that
 * example's own loss (no 1/batch factor: the trainer scales after clipping).
 */
import { InvalidParameterError } from '../../core/index.js';
import { Tensor } from '../tensor.js';

/** The losses Veil trains with. */
export type LossKind = 'softmax-cross-entropy' | 'binary-cross-entropy';

/** Per-example losses and their gradients with respect to the logits. */
export interface LossResult {
  /** Loss of each example. */
  readonly losses: Float64Array;
  /** Mean loss over the batch. */
  readonly mean: number;
  /** d loss_b / d logits_b, same shape as the logits. */
  readonly dLogits: Tensor;
}

function checkLabels(fn: string, labels: Int32Array, batch: number, classes: number): void {
  if (labels.length !== batch) {
    throw new InvalidParameterError({
      fn,
      param: 'labels',
      value: labels,
      allowed: `${batch} labels, one per example`,
    });
  }
  for (let b = 0; b < batch; b++) {
    const y = labels[b]!;
    if (!(y >= 0 && y < classes)) {
      throw new InvalidParameterError({
        fn,
        param: `labels[${b}]`,
        value: y,
        allowed: `a class index in [0, ${classes})`,
      });
    }
  }
}

/** Softmax cross-entropy on logits [batch, classes]; d/dlogits = softmax - onehot. */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array): LossResult {
  const batch = logits.batch;
  const k = logits.perExample;
  checkLabels('softmaxCrossEntropy', labels, batch, k);
  const losses = new Float64Array(batch);
  const d = new Float32Array(logits.size);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const base = b * k;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) max = Math.max(max, logits.data[base + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits.data[base + j]! - max);
    const logSum = max + Math.log(sum);
    for (let j = 0; j < k; j++) d[base + j] = Math.exp(logits.data[base + j]! - logSum);
    const y = labels[b]!;
    d[base + y]! -= 1;
    losses[b] = logSum - logits.data[base + y]!;
    total += losses[b]!;
  }
  return { losses, mean: total / batch, dLogits: new Tensor(logits.shape, d) };
}

/** Binary cross-entropy on one logit per example [batch, 1], labels 0/1; d/dlogit = sigmoid - y. */
export function binaryCrossEntropy(logits: Tensor, labels: Int32Array): LossResult {
  const batch = logits.batch;
  if (logits.perExample !== 1) {
    throw new InvalidParameterError({
      fn: 'binaryCrossEntropy',
      param: 'logits',
      value: logits.shape,
      allowed: 'one logit per example',
    });
  }
  checkLabels('binaryCrossEntropy', labels, batch, 2);
  const losses = new Float64Array(batch);
  const d = new Float32Array(batch);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const z = logits.data[b]!;
    const y = labels[b]!;
    // log(1 + e^{-|z|}) + max(z, 0) - y z: stable for large |z|
    losses[b] = Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y * z;
    d[b] = 1 / (1 + Math.exp(-z)) - y;
    total += losses[b]!;
  }
  return { losses, mean: total / batch, dLogits: new Tensor(logits.shape, d) };
}

/** The loss function of a kind. */
export function lossFunction(kind: LossKind): (logits: Tensor, labels: Int32Array) => LossResult {
  return kind === 'softmax-cross-entropy' ? softmaxCrossEntropy : binaryCrossEntropy;
}
