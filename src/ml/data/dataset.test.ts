import { describe, expect, it } from 'vitest';
import { createDataset, datasetInfo, exampleFeatures, featureSize, subset } from './dataset.js';
import { expectInvalidParameter, labelledDataset } from './testing.js';

const fn = 'createDataset';

describe('createDataset', () => {
  it('builds a frozen dataset whose parts agree', () => {
    const ds = createDataset({
      features: new Float32Array(12),
      labels: new Int32Array([0, 2]),
      featureShape: [2, 3, 1],
      numClasses: 3,
      classNames: ['a', 'b', 'c'],
    });
    expect(ds.numExamples).toBe(2);
    expect(featureSize(ds.featureShape)).toBe(6);
    expect(Object.isFrozen(ds)).toBe(true);
    expect(ds.classNames).toEqual(['a', 'b', 'c']);
    expect(ds.featureNames).toBeUndefined();
  });

  it('refuses a feature length that does not match the shape', () => {
    const call = () =>
      createDataset({
        features: new Float32Array(5),
        labels: new Int32Array(2),
        featureShape: [3],
        numClasses: 2,
      });
    expect(expectInvalidParameter(call, fn, 'features.length').message).toMatch(/= 6, got 5/);
  });

  it('refuses a label outside [0, numClasses)', () => {
    const call = () =>
      createDataset({
        features: new Float32Array(2),
        labels: new Int32Array([0, 2]),
        featureShape: [1],
        numClasses: 2,
      });
    expectInvalidParameter(call, fn, 'labels[1]');
  });

  it('refuses bad shapes, class counts, arrays and name lengths', () => {
    const base = {
      features: new Float32Array(2),
      labels: new Int32Array(2),
      featureShape: [1],
      numClasses: 2,
    };
    expectInvalidParameter(() => createDataset({ ...base, featureShape: [] }), fn, 'featureShape');
    expectInvalidParameter(() => createDataset({ ...base, featureShape: [0] }), fn, 'featureShape[0]');
    expectInvalidParameter(() => createDataset({ ...base, numClasses: 0 }), fn, 'numClasses');
    expectInvalidParameter(
      () => createDataset({ ...base, features: [0, 0] as unknown as Float32Array }),
      fn,
      'features',
    );
    expectInvalidParameter(
      () => createDataset({ ...base, featureNames: ['a', 'b'] }),
      fn,
      'featureNames.length',
    );
    expectInvalidParameter(() => createDataset({ ...base, classNames: ['a'] }), fn, 'classNames.length');
  });
});

describe('subset', () => {
  it('copies the requested examples in order, repeats allowed', () => {
    const ds = labelledDataset([2, 3]);
    const sub = subset(ds, [4, 0, 4]);
    expect(sub.numExamples).toBe(3);
    expect(Array.from(sub.labels)).toEqual([1, 0, 1]);
    expect(Array.from(sub.features)).toEqual([4, 1, 0, 0, 4, 1]);
    expect(sub.numClasses).toBe(2);
    sub.features[0] = 99;
    expect(ds.features[8]).toBe(4); // a copy, not a view
  });

  it('refuses an index out of range or fractional', () => {
    const ds = labelledDataset([2, 3]);
    expectInvalidParameter(() => subset(ds, [0, 5]), 'subset', 'indices[1]');
    expectInvalidParameter(() => subset(ds, [1.5]), 'subset', 'indices[0]');
  });
});

describe('datasetInfo and exampleFeatures', () => {
  it('summarises sizes and counts per class', () => {
    const info = datasetInfo(labelledDataset([3, 0, 2]));
    expect(info).toMatchObject({ numExamples: 5, featureSize: 2, numClasses: 3, classCounts: [3, 0, 2] });
  });

  it('returns a view of one example', () => {
    const ds = labelledDataset([1, 1]);
    expect(Array.from(exampleFeatures(ds, 1))).toEqual([1, 1]);
    expectInvalidParameter(() => exampleFeatures(ds, 2), 'exampleFeatures', 'i');
  });
});
