import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx } from './idx.js';
import {
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_FILES,
  loadFashionMnist,
  loadIdxDataset,
} from './image-datasets.js';
import { expectConfigIssue, expectInvalidParameter } from './testing.js';

const root = mkdtempSync(join(tmpdir(), 'veil-fmnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function images(n: number, side = 28): Uint8Array {
  return encodeIdx({
    dataType: 'uint8',
    dims: [n, side, side],
    data: Uint8Array.from({ length: n * side * side }, (_, i) => i % 256),
  });
}
function labels(values: number[]): Uint8Array {
  return encodeIdx({ dataType: 'uint8', dims: [values.length], data: Uint8Array.from(values) });
}

/** A small fake Fashion-MNIST: 3 training and 2 test images; training files gzip'd, test files raw. */
function fakeFashionMnist(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, FASHION_MNIST_FILES.trainImages), gzipSync(images(3)));
  writeFileSync(join(dir, FASHION_MNIST_FILES.trainLabels), gzipSync(labels([9, 0, 3])));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images(2));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels([1, 8]));
  return dir;
}

describe('loadFashionMnist', () => {
  it('loads train and test sets scaled to [0, 1], shape [28, 28, 1], with the class names', () => {
    const { train, test } = loadFashionMnist({ dir: fakeFashionMnist('ok') });
    expect(train.numExamples).toBe(3);
    expect(test.numExamples).toBe(2);
    expect(train.featureShape).toEqual([28, 28, 1]);
    expect(train.numClasses).toBe(10);
    expect(train.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    expect(train.classNames![9]).toBe('Ankle boot');
    expect(Array.from(train.labels)).toEqual([9, 0, 3]);
    expect(Array.from(test.labels)).toEqual([1, 8]);
    expect(train.features[0]).toBe(0);
    expect(train.features[255]).toBe(1);
    expect(train.features[1]).toBeCloseTo(1 / 255, 7);
  });

  it('says how to install the data when the directory or a file is missing', () => {
    const missingDir = expectInvalidParameter(
      () => loadFashionMnist({ dir: join(root, 'nowhere') }),
      'loadFashionMnist',
      'dir',
    );
    expect(missingDir.message).toMatch(/apt-get install -y dataset-fashion-mnist/);
    expect(missingDir.message).toMatch(/train-images-idx3-ubyte\.gz/);
    const dir = fakeFashionMnist('partial');
    rmSync(join(dir, FASHION_MNIST_FILES.trainLabels));
    const missingFile = expectInvalidParameter(() => loadFashionMnist({ dir }), 'loadFashionMnist', 'dir');
    expect(missingFile.message).toMatch(/missing: train-labels-idx1-ubyte\.gz\)/);
  });

  it('refuses a corrupt file with the file name', () => {
    const dir = fakeFashionMnist('corrupt');
    const path = join(dir, FASHION_MNIST_FILES.trainImages);
    writeFileSync(path, gzipSync(images(3)).subarray(0, 100));
    expect(expectConfigIssue(() => loadFashionMnist({ dir }), 'gzip').message).toContain(path);
  });
});

describe('loadIdxDataset', () => {
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(root, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('refuses pairs that do not match: counts, swapped files, labels out of range', () => {
    const imagesPath = write('i3', images(3, 4));
    const twoLabels = write('l2', labels([0, 1]));
    const threeLabels = write('l3', labels([0, 1, 2]));
    const load =
      (i: string, l: string, numClasses = 10) =>
      () =>
        loadIdxDataset({ imagesPath: i, labelsPath: l, numClasses });
    expect(load(imagesPath, threeLabels)().featureShape).toEqual([4, 4, 1]);
    expectConfigIssue(load(imagesPath, twoLabels), 'labels.dims[0]');
    expectConfigIssue(load(threeLabels, imagesPath), 'images');
    expectConfigIssue(load(imagesPath, imagesPath), 'labels');
    expectConfigIssue(load(imagesPath, threeLabels, 2), 'labels[2]');
  });
});
