/**
 * Image classification datasets stored as IDX pairs (images + labels), such as MNIST and Fashion-MNIST:
 * pixels scaled to [0, 1] (Float32), shape `[height, width, 1]` (NHWC).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import { createDataset, type Dataset } from './dataset.js';
import { type IdxArray, readIdxFile } from './idx.js';

/** Fashion-MNIST's classes (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747), in label order. */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The four files of Fashion-MNIST (and MNIST), as the Debian package and the original release name them. */
export const FASHION_MNIST_FILES = Object.freeze({
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
});

/** A train/test pair of datasets. */
export interface TrainTestDatasets {
  readonly train: Dataset;
  readonly test: Dataset;
}

/**
 * Builds a dataset from decoded IDX images (uint8, `[n, height, width]` or `[n, height, width, channels]`) and
 * labels (uint8, `[n]`): pixels divided by 255.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a wrong type or shape, a count mismatch, or a label >= numClasses
 */
export function datasetFromIdx(options: {
  readonly images: IdxArray;
  readonly labels: IdxArray;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly source?: string;
}): Dataset {
  const { images, labels, numClasses } = options;
  const source = options.source ?? 'IDX images and labels';
  if (images.dataType !== 'uint8' || (images.dims.length !== 3 && images.dims.length !== 4)) {
    bad(
      source,
      'images',
      `${images.dataType} [${images.dims.join(', ')}]`,
      'uint8 images [n, height, width] (magic 0x00000803)',
    );
  }
  if (labels.dataType !== 'uint8' || labels.dims.length !== 1) {
    bad(
      source,
      'labels',
      `${labels.dataType} [${labels.dims.join(', ')}]`,
      'uint8 labels [n] (magic 0x00000801)',
    );
  }
  const n = images.dims[0]!;
  if (labels.dims[0] !== n) bad(source, 'labels.dims[0]', labels.dims[0], `the number of images (${n})`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels.data[i]!;
    if (y >= numClasses) bad(source, `labels[${i}]`, y, `a class index in [0, ${numClasses - 1}]`);
    out[i] = y;
  }
  const pixels = images.data;
  const features = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) features[i] = pixels[i]! / 255;
  return createDataset({
    features,
    labels: out,
    featureShape: [images.dims[1]!, images.dims[2]!, images.dims[3] ?? 1],
    numClasses,
    classNames: options.classNames,
  });
}

/**
 * Loads one IDX image/label pair as a dataset (see {@link datasetFromIdx}).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when a file cannot be read
 * @throws {ConfigError} VEIL_CONFIG_INVALID when a file is not valid IDX or the pair does not match
 */
export function loadIdxDataset(options: {
  readonly imagesPath: string;
  readonly labelsPath: string;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
}): Dataset {
  return datasetFromIdx({
    images: readIdxFile(options.imagesPath),
    labels: readIdxFile(options.labelsPath),
    numClasses: options.numClasses,
    ...(options.classNames === undefined ? {} : { classNames: options.classNames }),
    source: `IDX files ${options.imagesPath} + ${options.labelsPath}`,
  });
}

/**
 * Loads Fashion-MNIST (60,000 training and 10,000 test images of 28 × 28 pixels, 10 classes named in
 * {@link FASHION_MNIST_CLASS_NAMES}). Each file may be gzip'd (`.gz`, as shipped) or already unpacked.
 * @param options `dir`: the directory holding the four files (default {@link FASHION_MNIST_DIR})
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when the directory or a file is missing; the message
 *   says how to install them (`apt-get install -y dataset-fashion-mnist`)
 * @throws {ConfigError} VEIL_CONFIG_INVALID when a file is corrupt
 * @example const { train, test } = loadFashionMnist();
 */
export function loadFashionMnist(options: { readonly dir?: string } = {}): TrainTestDatasets {
  const dir = options.dir ?? FASHION_MNIST_DIR;
  const files = FASHION_MNIST_FILES;
  const install =
    `a directory holding ${Object.values(files).join(', ')} (gzip'd or not); on Debian/Ubuntu install them ` +
    `with \`apt-get install -y dataset-fashion-mnist\` (into ${FASHION_MNIST_DIR}), or download them from ` +
    'https://github.com/zalandoresearch/fashion-mnist';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InvalidParameterError({ fn: 'loadFashionMnist', param: 'dir', value: dir, allowed: install });
  }
  const found = Object.values(files).map((name) => locate(dir, name));
  const missing = Object.values(files).filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new InvalidParameterError({
      fn: 'loadFashionMnist',
      param: 'dir',
      value: dir,
      allowed: `${install} (missing: ${missing.join(', ')})`,
    });
  }
  const [trainImages, trainLabels, testImages, testLabels] = found as string[];
  const load = (imagesPath: string, labelsPath: string) =>
    loadIdxDataset({ imagesPath, labelsPath, numClasses: 10, classNames: FASHION_MNIST_CLASS_NAMES });
  return Object.freeze({ train: load(trainImages!, trainLabels!), test: load(testImages!, testLabels!) });
}

/** `dir/name`, or `dir/name` without `.gz` (an unpacked copy), whichever exists. */
function locate(dir: string, name: string): string | undefined {
  for (const candidate of [name, name.replace(/\.gz$/, '')]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function bad(source: string, path: string, value: unknown, allowed: string): never {
  throw new ConfigError([{ path, value, allowed }], source);
}
