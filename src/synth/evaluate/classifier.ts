/**
 * Train on synthetic, test on real: a logistic regression (veil/ml's `logreg` model, trained without privacy by
 * Adam: the synthetic rows are already a private release, and the real-data baseline is for comparison only) on
 * the one-hot codes of every attribute but the label, tested on real held-out rows. Deterministic given the rng.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import { createOptimizer, parseModelSpec, SequentialModel, Tensor } from '../../ml/index.js';
import type { SynthData } from '../data.js';
import { checkSameDomain, rowCount } from './records.js';
import { type ClassScores, classScores, rocAuc } from './scores.js';

/** How the classifier is trained (defaults in brackets). */
export interface ClassifierOptions {
  /** The attribute predicted; every other attribute is a feature (one-hot). */
  readonly label: string;
  /** Passes over the training rows [at least 10, and enough for 1000 Adam steps on small tables]. */
  readonly epochs?: number;
  /** Rows per Adam step [256]. */
  readonly batchSize?: number;
  /** Adam's learning rate [0.01]. */
  readonly learningRate?: number;
}

/** A classifier's scores on the test rows. */
export interface ClassifierScores extends ClassScores {
  /**
   * The ROC AUC: for two classes, of the class-1 score; for more, the mean of the one-vs-rest AUCs over the
   * classes present in the test rows (macro). Null when the test rows hold a single class.
   */
  readonly auc: number | null;
  /** The rows it was trained on. */
  readonly trainRows: number;
}

/** Logistic-regression scores of the label from the other attributes. */
export interface ClassifierResult {
  readonly label: string;
  readonly classes: number;
  /** `binary`: precision/recall/F1 of class 1 (the second declared value); `macro`: their means over classes. */
  readonly averaging: 'binary' | 'macro';
  /** One-hot features (the other attributes' sizes summed). */
  readonly features: number;
  readonly testRows: number;
  /** The accuracy of always predicting the test rows' most frequent class (a floor to read the others against). */
  readonly majorityAccuracy: number;
}

const FN = 'logisticRegressionScores';
/** The fewest Adam steps the default number of epochs gives (small tables get more passes). */
const MIN_STEPS = 1000;

/**
 * Trains a logistic regression of `options.label` on `train` and scores it on `test` (the same domain).
 * @param rng initialisation and the order of the rows in each epoch
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a label not in the domain, a domain with no other
 *   attribute, tables over different domains, or options out of range
 * @example logisticRegressionScores(synthetic, realTest, seededRng(1), { label: 'income>50K' }).accuracy;
 */
export function logisticRegressionScores(
  train: SynthData,
  test: SynthData,
  rng: Rng,
  options: ClassifierOptions,
): ClassifierScores & ClassifierResult {
  const layout = featureLayout(FN, train, options.label);
  checkSameDomain(FN, train, test);
  const batchSize = options.batchSize ?? 256;
  const n = rowCount(train);
  const epochs = options.epochs ?? Math.max(10, Math.ceil(MIN_STEPS / Math.ceil(n / batchSize)));
  const learningRate = options.learningRate ?? 0.01;
  if (!(Number.isSafeInteger(epochs) && epochs >= 1))
    throw new InvalidParameterError({ fn: FN, param: 'epochs', value: epochs, allowed: 'an integer >= 1' });
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1))
    throw new InvalidParameterError({
      fn: FN,
      param: 'batchSize',
      value: batchSize,
      allowed: 'an integer >= 1',
    });

  const { classes, width } = layout;
  const model = new SequentialModel(parseModelSpec('logreg', classes), [width], classes, rng);
  const optimizer = createOptimizer({ kind: 'adam', learningRate });
  const params = model.params;
  const sums = params.map((p) => new Float32Array(p.value.length));
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const x = new Float32Array(batchSize * width);
  const y = new Int32Array(batchSize);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.uniformInt(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let from = 0; from < n; from += batchSize) {
      const b = Math.min(batchSize, n - from);
      const rows = order.subarray(from, from + b);
      oneHotRows(train, layout, rows, x, y);
      const { grads } = model.lossAndGradients(
        new Tensor([b, width], x.subarray(0, b * width)),
        y.subarray(0, b),
      );
      for (const s of sums) s.fill(0);
      grads.forEach((g, k) => g.accumulate(null, sums[k]!));
      for (const s of sums) for (let k = 0; k < s.length; k++) s[k]! /= b;
      optimizer.step(params, sums);
    }
  }
  return { ...score(model, test, layout, options.label), trainRows: n };
}

interface FeatureLayout {
  readonly labelAt: number;
  readonly classes: number;
  /** The first one-hot column of each attribute (-1 for the label). */
  readonly offsets: readonly number[];
  readonly width: number;
}

function featureLayout(fn: string, data: SynthData, label: string): FeatureLayout {
  const { attrs, sizes } = data.domain;
  const labelAt = attrs.indexOf(label);
  if (labelAt < 0)
    throw new InvalidParameterError({
      fn,
      param: 'label',
      value: label,
      allowed: `one of the domain's attributes (${attrs.join(', ')})`,
    });
  if (attrs.length < 2)
    throw new InvalidParameterError({
      fn,
      param: 'data',
      value: attrs,
      allowed: 'a domain with at least one attribute besides the label',
    });
  const classes = sizes.get(label)!;
  if (classes < 2)
    throw new InvalidParameterError({
      fn,
      param: 'label',
      value: label,
      allowed: 'an attribute of >= 2 values',
    });
  let width = 0;
  const offsets = attrs.map((a, j) => {
    if (j === labelAt) return -1;
    const at = width;
    width += sizes.get(a)!;
    return at;
  });
  return { labelAt, classes, offsets, width };
}

/** Writes the one-hot features of `rows` into x (row-major) and their labels into y. */
function oneHotRows(
  data: SynthData,
  layout: FeatureLayout,
  rows: Int32Array,
  x: Float32Array,
  y: Int32Array,
): void {
  const { width, offsets, labelAt } = layout;
  x.fill(0, 0, rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let j = 0; j < offsets.length; j++) {
      const at = offsets[j]!;
      if (at >= 0) x[i * width + at + data.columns[j]![r]!] = 1;
    }
    y[i] = data.columns[labelAt]![r]!;
  }
}

const SCORE_CHUNK = 4096;

function score(
  model: SequentialModel,
  test: SynthData,
  layout: FeatureLayout,
  label: string,
): ClassifierScores & ClassifierResult {
  const { classes, width } = layout;
  const n = rowCount(test);
  const binary = classes === 2;
  const outputs = binary ? 1 : classes;
  const logits = new Float32Array(n * outputs);
  const labels = new Int32Array(n);
  const x = new Float32Array(Math.min(n, SCORE_CHUNK) * width);
  const y = new Int32Array(Math.min(n, SCORE_CHUNK));
  for (let from = 0; from < n; from += SCORE_CHUNK) {
    const b = Math.min(SCORE_CHUNK, n - from);
    const rows = Int32Array.from({ length: b }, (_, i) => from + i);
    oneHotRows(test, layout, rows, x, y);
    const out = model.forward(new Tensor([b, width], x.subarray(0, b * width))).logits;
    logits.set(out.data, from * outputs);
    labels.set(y.subarray(0, b), from);
  }
  const predicted = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (binary) predicted[i] = logits[i]! > 0 ? 1 : 0;
    else {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
      predicted[i] = best;
    }
  }
  const counts = new Array<number>(classes).fill(0);
  for (const c of labels) counts[c]! += 1;
  const majorityAccuracy = n === 0 ? Number.NaN : Math.max(...counts) / n;
  const common = { label, classes, features: width, testRows: n, majorityAccuracy };
  if (binary) {
    return {
      ...classScores(predicted, labels, 1),
      auc: rocAuc(logits, labels),
      ...common,
      averaging: 'binary',
      trainRows: 0,
    };
  }
  // macro: per-class scores averaged over the classes present in the test rows; one-vs-rest AUC of each class's
  // softmax probability (a class's logit alone is not comparable across rows)
  const probability = softmaxRows(logits, classes);
  const present = counts.map((c, k) => (c > 0 ? k : -1)).filter((k) => k >= 0);
  const perClass = present.map((k) => classScores(predicted, labels, k));
  const aucs = present
    .map((k) =>
      rocAuc(
        Float64Array.from({ length: n }, (_, i) => probability[i * classes + k]!),
        Int32Array.from(labels, (c) => (c === k ? 1 : 0)),
      ),
    )
    .filter((a): a is number => a !== null);
  const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  return {
    accuracy: classScores(predicted, labels, 0).accuracy,
    precision: mean(perClass.map((s) => s.precision)),
    recall: mean(perClass.map((s) => s.recall)),
    f1: mean(perClass.map((s) => s.f1)),
    auc: aucs.length === 0 ? null : mean(aucs),
    ...common,
    averaging: 'macro',
    trainRows: 0,
  };
}

function softmaxRows(logits: Float32Array, classes: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i += classes) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      out[i + c] = Math.exp(logits[i + c]! - max);
      sum += out[i + c]!;
    }
    for (let c = 0; c < classes; c++) out[i + c]! /= sum;
  }
  return out;
}
