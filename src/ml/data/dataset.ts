/**
 * The in-memory dataset of supervised learning: row-major Float32 features, Int32 class indices, a feature
 * shape (`[d]` for tabular rows, `[height, width, channels]` for images, NHWC) and optional names. Loaders
 * (CSV, IDX) produce it, splitters and partitioners take subsets of it, trainers read it.
 */
import { assertInteger, InvalidParameterError } from '../../core/index.js';

/**
 * A labelled dataset held in memory. Example `i` occupies `features[i * size .. (i + 1) * size)` with
 * `size = featureSize(featureShape)`; its class index is `labels[i]`, in `[0, numClasses)`.
 * Build one with {@link createDataset}, which checks every length and label.
 */
export interface Dataset {
  /** Row-major features, `numExamples * prod(featureShape)` values. */
  readonly features: Float32Array;
  /** Class indices in `[0, numClasses)`, one per example. */
  readonly labels: Int32Array;
  /** Number of examples. */
  readonly numExamples: number;
  /** Shape of one example: `[d]` (tabular) or `[height, width, channels]` (images, NHWC). */
  readonly featureShape: readonly number[];
  /** Number of classes (>= 1); class indices run over `0 .. numClasses - 1`. */
  readonly numClasses: number;
  /** One name per feature (length `prod(featureShape)`), e.g. `age` or `workclass=3` for a one-hot slot. */
  readonly featureNames?: readonly string[];
  /** One name per class, in class-index order. */
  readonly classNames?: readonly string[];
}

/** Options of {@link createDataset}: the fields of a {@link Dataset}. */
export interface CreateDatasetOptions {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly featureShape: readonly number[];
  readonly numClasses: number;
  readonly featureNames?: readonly string[] | undefined;
  readonly classNames?: readonly string[] | undefined;
}

/** A summary of a dataset, for logs and reports. */
export interface DatasetInfo {
  readonly numExamples: number;
  readonly featureShape: readonly number[];
  readonly featureSize: number;
  readonly numClasses: number;
  /** Examples per class, in class-index order. A statistic of the data: not a private release. */
  readonly classCounts: readonly number[];
  readonly classNames?: readonly string[];
}

/** Number of values in one example: the product of `featureShape`. */
export function featureSize(featureShape: readonly number[]): number {
  let size = 1;
  for (const d of featureShape) size *= d;
  return size;
}

/**
 * Builds a frozen {@link Dataset} after checking its parts agree: the feature length matches the shape, every
 * label is an integer class index, and the names (when given) have the right lengths. The arrays are not
 * copied.
 * @param options features, labels, featureShape, numClasses and optional names
 * @returns the frozen dataset
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad shape, a length mismatch or a label outside
 *   `[0, numClasses)`
 * @example
 * const ds = createDataset({ features: new Float32Array([0, 1, 1, 0]), labels: new Int32Array([0, 1]),
 *   featureShape: [2], numClasses: 2 });
 */
export function createDataset(options: CreateDatasetOptions): Dataset {
  const fn = 'createDataset';
  const { features, labels, featureShape, numClasses, featureNames, classNames } = options;
  if (!(features instanceof Float32Array)) fail(fn, 'features', features, 'a Float32Array');
  if (!(labels instanceof Int32Array)) fail(fn, 'labels', labels, 'an Int32Array');
  if (!Array.isArray(featureShape) || featureShape.length === 0) {
    fail(fn, 'featureShape', featureShape, 'a non-empty array of integers >= 1');
  }
  featureShape.forEach((d, i) => {
    assertInteger(fn, `featureShape[${i}]`, d, 1);
  });
  assertInteger(fn, 'numClasses', numClasses, 1);
  const size = featureSize(featureShape);
  const numExamples = labels.length;
  if (features.length !== numExamples * size) {
    fail(
      fn,
      'features.length',
      features.length,
      `labels.length * prod(featureShape) = ${numExamples * size}`,
    );
  }
  for (let i = 0; i < numExamples; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= numClasses) fail(fn, `labels[${i}]`, y, `a class index in [0, ${numClasses - 1}]`);
  }
  if (featureNames !== undefined && featureNames.length !== size) {
    fail(fn, 'featureNames.length', featureNames.length, `prod(featureShape) = ${size}`);
  }
  if (classNames !== undefined && classNames.length !== numClasses) {
    fail(fn, 'classNames.length', classNames.length, `numClasses = ${numClasses}`);
  }
  return Object.freeze({
    features,
    labels,
    numExamples,
    featureShape: Object.freeze([...featureShape]),
    numClasses,
    ...(featureNames === undefined ? {} : { featureNames: Object.freeze([...featureNames]) }),
    ...(classNames === undefined ? {} : { classNames: Object.freeze([...classNames]) }),
  });
}

/**
 * The examples at `indices`, in that order, copied into a new dataset (an index may repeat, e.g. for a
 * bootstrap sample). Shape, classes and names are kept.
 * @param ds the source dataset
 * @param indices example indices in `[0, ds.numExamples)`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an index that is not an integer in range
 * @example const firstTen = subset(ds, Array.from({ length: 10 }, (_, i) => i));
 */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.numExamples) {
      fail('subset', `indices[${k}]`, i, `an integer in [0, ${ds.numExamples - 1}]`);
    }
  }
  return gather(ds, indices);
}

/**
 * {@link subset} without the index checks, for callers (splitters, partitioners) that built the indices.
 * @internal
 */
export function gather(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const size = featureSize(ds.featureShape);
  const features = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    features.set(ds.features.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = ds.labels[i]!;
  }
  return Object.freeze({
    features,
    labels,
    numExamples: indices.length,
    featureShape: ds.featureShape,
    numClasses: ds.numClasses,
    ...(ds.featureNames === undefined ? {} : { featureNames: ds.featureNames }),
    ...(ds.classNames === undefined ? {} : { classNames: ds.classNames }),
  });
}

/** The features of example `i` as a view (no copy) into `ds.features`. */
export function exampleFeatures(ds: Dataset, i: number): Float32Array {
  assertInteger('exampleFeatures', 'i', i, 0, ds.numExamples - 1);
  const size = featureSize(ds.featureShape);
  return ds.features.subarray(i * size, (i + 1) * size);
}

/** Examples per class, in class-index order. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.numExamples; i++) counts[ds.labels[i]!]!++;
  return counts;
}

/**
 * A summary for logs: sizes, shape and examples per class. The class counts are statistics of the data, for
 * the data holder's own eyes: publishing them is not differentially private.
 * @example datasetInfo(ds).classCounts; // [37155, 11687]
 */
export function datasetInfo(ds: Dataset): DatasetInfo {
  return Object.freeze({
    numExamples: ds.numExamples,
    featureShape: ds.featureShape,
    featureSize: featureSize(ds.featureShape),
    numClasses: ds.numClasses,
    classCounts: Object.freeze(classCounts(ds)),
    ...(ds.classNames === undefined ? {} : { classNames: ds.classNames }),
  });
}

function fail(fn: string, param: string, value: unknown, allowed: string): never {
  throw new InvalidParameterError({ fn, param, value, allowed });
}
