import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { classCounts } from './dataset.js';
import { splitAt, trainTestSplit } from './split.js';
import { expectInvalidParameter, labelledDataset } from './testing.js';

describe('splitAt', () => {
  it('splits in file order at the index', () => {
    const ds = labelledDataset([3, 2]);
    const { train, test, trainIndices, testIndices } = splitAt(ds, 3);
    expect(Array.from(trainIndices)).toEqual([0, 1, 2]);
    expect(Array.from(testIndices)).toEqual([3, 4]);
    expect(Array.from(train.labels)).toEqual([0, 0, 0]);
    expect(Array.from(test.features)).toEqual([3, 1, 4, 1]);
  });

  it('refuses an index that leaves a part empty', () => {
    const ds = labelledDataset([3, 2]);
    expectInvalidParameter(() => splitAt(ds, 0), 'splitAt', 'index');
    expectInvalidParameter(() => splitAt(ds, 5), 'splitAt', 'index');
    expectInvalidParameter(() => splitAt(ds, 2.5), 'splitAt', 'index');
  });
});

describe('trainTestSplit', () => {
  const ds = labelledDataset([300, 100]);

  it('is a disjoint cover with the requested test size, reproducible for a seed', () => {
    const a = trainTestSplit(ds, { testFraction: 0.25, rng: seededRng(3) });
    expect(a.test.numExamples).toBe(100);
    expect(a.train.numExamples).toBe(300);
    const all = [...a.trainIndices, ...a.testIndices].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 400 }, (_, i) => i));
    const b = trainTestSplit(ds, { testFraction: 0.25, rng: seededRng(3) });
    expect(b.testIndices).toEqual(a.testIndices);
    const c = trainTestSplit(ds, { testFraction: 0.25, rng: seededRng(4) });
    expect(c.testIndices).not.toEqual(a.testIndices);
    // Examples keep their identity: feature 0 is the source index.
    expect(a.test.features[0]).toBe(a.testIndices[0]);
  });

  it('keeps class shares exactly when stratified', () => {
    const { train, test } = trainTestSplit(ds, { testFraction: 0.2, rng: seededRng(5), stratify: true });
    expect(classCounts(test)).toEqual([60, 20]);
    expect(classCounts(train)).toEqual([240, 80]);
  });

  it('refuses a fraction outside (0, 1) or one that empties a part', () => {
    const rng = seededRng(1);
    expectInvalidParameter(
      () => trainTestSplit(ds, { testFraction: 0, rng }),
      'trainTestSplit',
      'testFraction',
    );
    expectInvalidParameter(
      () => trainTestSplit(ds, { testFraction: 1, rng }),
      'trainTestSplit',
      'testFraction',
    );
    const tiny = labelledDataset([2, 1]);
    expectInvalidParameter(
      () => trainTestSplit(tiny, { testFraction: 0.1, rng }),
      'trainTestSplit',
      'testFraction',
    );
  });
});
