/**
 * Train/test splits: at a fixed row (the UCI Adult file is the UCI training file followed by the UCI test file)
 * or at random with an `Rng` argument, optionally stratified by class.
 */
import { assertInteger, assertOpenUnit, InvalidParameterError, type Rng } from '../../core/index.js';
import { classCounts, type Dataset, gather } from './dataset.js';
import { shuffleInPlace } from './shuffle.js';

/** A train/test split: the two datasets and the source indices of their examples (ascending). */
export interface TrainTestSplit {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly trainIndices: Int32Array;
  readonly testIndices: Int32Array;
}

/** Options of {@link trainTestSplit}. */
export interface TrainTestSplitOptions {
  /** Fraction of the examples that go to the test set, in (0, 1). */
  readonly testFraction: number;
  /** The source of randomness; a seeded Rng makes the split reproducible. */
  readonly rng: Rng;
  /** Keep each class's share in both parts (each class is split by `testFraction` separately). Default false. */
  readonly stratify?: boolean;
}

/**
 * Splits at a row: examples `[0, index)` train, `[index, numExamples)` test, in file order.
 * For UCI Adult (`../shared/datasets/adult/adult.csv`) `splitAt(ds, 32561)` gives the standard UCI split.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER unless `1 <= index <= numExamples - 1`
 * @example const { train, test } = splitAt(adult, 32561);
 */
export function splitAt(ds: Dataset, index: number): TrainTestSplit {
  assertInteger('splitAt', 'index', index, 1, Math.max(1, ds.numExamples - 1));
  if (index >= ds.numExamples) {
    throw new InvalidParameterError({
      fn: 'splitAt',
      param: 'index',
      value: index,
      allowed: `an integer in [1, numExamples - 1] (numExamples = ${ds.numExamples})`,
    });
  }
  const trainIndices = range(0, index);
  const testIndices = range(index, ds.numExamples);
  return finish(ds, trainIndices, testIndices);
}

/**
 * A random train/test split. The test set gets `round(testFraction * n)` examples (per class when
 * `stratify`), both parts at least one example; indices are returned in ascending order, so the examples keep
 * their file order within each part.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a fraction outside (0, 1) or one that leaves a part
 *   empty
 * @example const { train, test } = trainTestSplit(ds, { testFraction: 0.2, rng: seededRng(1), stratify: true });
 */
export function trainTestSplit(ds: Dataset, options: TrainTestSplitOptions): TrainTestSplit {
  const fn = 'trainTestSplit';
  assertOpenUnit(fn, 'testFraction', options.testFraction);
  const n = ds.numExamples;
  const isTest = new Uint8Array(n);
  if (options.stratify === true) {
    const byClass = indicesByClass(ds);
    for (const members of byClass) {
      shuffleInPlace(members, options.rng);
      const take = Math.round(options.testFraction * members.length);
      for (let k = 0; k < take; k++) isTest[members[k]!] = 1;
    }
  } else {
    const order = shuffleInPlace(range(0, n), options.rng);
    const take = Math.round(options.testFraction * n);
    for (let k = 0; k < take; k++) isTest[order[k]!] = 1;
  }
  let testCount = 0;
  for (let i = 0; i < n; i++) testCount += isTest[i]!;
  if (testCount === 0 || testCount === n) {
    throw new InvalidParameterError({
      fn,
      param: 'testFraction',
      value: options.testFraction,
      allowed: `a fraction that leaves both parts non-empty (numExamples = ${n}, test size would be ${testCount})`,
    });
  }
  const trainIndices = new Int32Array(n - testCount);
  const testIndices = new Int32Array(testCount);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (isTest[i] === 1) testIndices[b++] = i;
    else trainIndices[a++] = i;
  }
  return finish(ds, trainIndices, testIndices);
}

/** The example indices of each class, in ascending order. */
export function indicesByClass(ds: Dataset): Int32Array[] {
  const counts = classCounts(ds);
  const out = counts.map((c) => new Int32Array(c));
  const fill = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.numExamples; i++) {
    const y = ds.labels[i]!;
    out[y]![fill[y]!++] = i;
  }
  return out;
}

function range(from: number, to: number): Int32Array {
  const out = new Int32Array(to - from);
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}

function finish(ds: Dataset, trainIndices: Int32Array, testIndices: Int32Array): TrainTestSplit {
  return Object.freeze({
    train: gather(ds, trainIndices),
    test: gather(ds, testIndices),
    trainIndices,
    testIndices,
  });
}
