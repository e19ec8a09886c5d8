/** The data and model of a training job, read from its spec. */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, seededRng } from '../../core/index.js';
import {
  type Dataset,
  type Encoder,
  encodeCsv,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_DIR,
  loadCsvDataset,
  loadFashionMnist,
  type ModelSpec,
  parseModelSpec,
  splitAt,
  trainTestSplit,
} from '../../ml/index.js';
import { type ParamField, underFields } from '../input-errors.js';
import type { TrainSpec } from './spec.js';

const CONTEXT = 'training spec';

/** The loaders' parameters that hold a training spec's fields. */
const DATA_FIELDS: readonly ParamField[] = [
  { fn: 'loadCsvDataset', param: 'path', path: 'data.path' },
  { fn: 'loadCsvDataset', param: 'label', path: 'data.label' },
  { fn: 'loadDomainFile', param: 'path', path: 'data.domain' },
  { fn: 'encodeCsv', param: 'path', path: 'data.test.path' },
  { fn: 'trainTestSplit', param: 'testFraction', path: 'data.test.fraction' },
  { fn: 'loadFashionMnist', param: 'dir', path: 'data.dir' },
];

/**
 * A domain file that is not JSON is reported by the loader at `domain`: that is the spec's `data.domain` (its
 * entries keep their own paths, `domain.age.max`, in the file's context).
 */
function domainField(err: unknown): unknown {
  if (!(err instanceof ConfigError) || !err.issues.some((i) => i.path === 'domain')) return err;
  return new ConfigError(
    err.issues.map((i) => (i.path === 'domain' ? { ...i, path: 'data.domain' } : i)),
    CONTEXT,
  );
}

/** The training and test sets of a job, with what a summary may say about them. */
export interface LoadedData {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly classNames: readonly string[];
  readonly source: string;
  readonly warnings: readonly string[];
  /** The CSV encoder (stored with the model so that predictions encode new rows the same way). */
  readonly preprocessing: Record<string, unknown> | null;
  /** The fitted CSV encoder (null for image datasets): other files of the same columns are encoded with it. */
  readonly encoder: Encoder | null;
}

/**
 * Reads the spec's data; `seed` fixes the stratified split (0 without a seed: the split is not secret).
 * @throws {ConfigError} naming the spec's field (`data.path`, `data.label`, `data.test.row`, …) when a loader
 *   refuses it
 */
export function loadTrainingData(data: TrainSpec['data'], seed: number | undefined): LoadedData {
  try {
    return underFields(DATA_FIELDS, CONTEXT, () => load(data, seed));
  } catch (err) {
    throw domainField(err);
  }
}

function load(data: TrainSpec['data'], seed: number | undefined): LoadedData {
  if (data.kind === 'fashion-mnist') {
    const dir = data.dir ?? FASHION_MNIST_DIR;
    const { train, test } = loadFashionMnist({ dir });
    return {
      train,
      test,
      classNames: FASHION_MNIST_CLASS_NAMES,
      source: `fashion-mnist (${dir})`,
      warnings: [],
      preprocessing: null,
      encoder: null,
    };
  }
  const loaded = loadCsvDataset({
    path: data.path,
    label: data.label,
    ...(data.domain ? { domain: data.domain } : {}),
  });
  const classNames = [...loaded.encoder.label.classes];
  let split: { train: Dataset; test: Dataset };
  const test = data.test ?? { kind: 'fraction' as const, fraction: 0.2 };
  if (test.kind === 'file') {
    split = {
      train: loaded.dataset,
      test: encodeCsv({ encoder: loaded.encoder, path: test.path }).dataset,
    };
  } else if (test.kind === 'from-row') {
    // the row count is not printed: the summary never says how many records the file holds
    if (test.row >= loaded.dataset.numExamples)
      throw new ConfigError(
        [
          {
            path: 'data.test.row',
            value: test.row,
            allowed:
              'fewer than the data rows of the CSV: the rows before it train, the rest is the test set',
          },
        ],
        CONTEXT,
      );
    split = splitAt(loaded.dataset, test.row);
  } else {
    split = trainTestSplit(loaded.dataset, {
      testFraction: test.fraction,
      rng: seededRng(seed ?? 0),
      stratify: true,
    });
  }
  return {
    ...split,
    classNames,
    source: data.path,
    warnings: loaded.warnings,
    preprocessing: JSON.parse(JSON.stringify(loaded.encoder)) as Record<string, unknown>,
    encoder: loaded.encoder,
  };
}

/** The spec's model: a shorthand, a JSON document, or a JSON file (by its `.json` name). */
export function readModelSpec(model: string, classes: number): ModelSpec {
  const isFile = !model.trim().startsWith('{') && model.endsWith('.json');
  if (isFile && !existsSync(model)) {
    throw new ConfigError(
      [
        {
          path: 'model',
          value: model,
          allowed: 'logreg, mlp:<units>,..., cnn:papernot, or an existing JSON model file',
        },
      ],
      CONTEXT,
    );
  }
  return parseModelSpec(isFile ? readFileSync(model, 'utf8') : model, classes);
}
