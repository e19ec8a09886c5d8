/**
 * Export to the TensorFlow.js LayersModel format, in memory: model.json (a Keras Sequential topology, a weights
 * manifest and Veil's metadata block) and the weight bytes, as `tf.loadLayersModel` reads them. import-model.ts
 * reads them back; files.ts puts them on disk.
 */
import { createHash } from 'node:crypto';
import { InvalidParameterError } from '../../core/index.js';
import type { SequentialModel } from '../models/sequential.js';
import type { ModelSpec } from '../models/spec.js';
import { float32ToLittleEndian } from './float32-bytes.js';
import { kerasLayers } from './keras-export.js';
import type { JsonObject, LayersModelJson, VeilModelMetadata } from './schema.js';

/** The weights file name written into the manifest. */
export const WEIGHTS_FILE = 'weights.bin';

/** Optional metadata stored in model.json's `userDefinedMetadata.veil` block. */
export interface ExportOptions {
  /** One name per class (numClasses names; 2 for a binary model). */
  readonly classNames?: readonly string[];
  /** How raw records become the model's input (e.g. a fitted encoder), as an opaque JSON object. */
  readonly preprocessing?: JsonObject;
  /** A privacy summary (epsilon, delta, accountant, ...), as an opaque JSON object. */
  readonly privacy?: JsonObject;
}

/** The two artifacts of a TF.js LayersModel. */
export interface ExportedLayersModel {
  readonly modelJson: LayersModelJson;
  /** The concatenated little-endian float32 weights, in manifest order (the content of weights.bin). */
  readonly weightData: Uint8Array;
}

function jsonCopy(fn: string, param: string, value: unknown): JsonObject {
  let copy: unknown = null;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    try {
      copy = JSON.parse(JSON.stringify(value));
    } catch {
      copy = null; // a cycle or a bigint
    }
  }
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy)) {
    throw new InvalidParameterError({ fn, param, value, allowed: 'a plain JSON-serialisable object' });
  }
  return copy as JsonObject;
}

/** A TF.js-safe model name (tfjs-layers accepts [A-Za-z0-9][-A-Za-z0-9._/]*). */
function kerasModelName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z0-9]/.test(safe) ? safe : `veil_${safe}`;
}

/**
 * Exports a model as TF.js LayersModel artifacts. The network outputs logits (no final sigmoid or softmax).
 * @param model the trained model
 * @param options metadata for the `userDefinedMetadata.veil` block
 * @returns model.json (as an object) and the weight bytes its manifest describes (`weights.bin`)
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for groupNorm or a tempered sigmoid other than tanh
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for class names of the wrong count, or metadata that is not JSON
 * @example
 * const { modelJson, weightData } = exportLayersModel(model, { classNames: ['healthy', 'diabetic'] });
 */
export function exportLayersModel(model: SequentialModel, options: ExportOptions = {}): ExportedLayersModel {
  const fn = 'exportLayersModel';
  const { classNames } = options;
  if (classNames !== undefined) {
    if (
      !Array.isArray(classNames) ||
      classNames.length !== model.numClasses ||
      classNames.some((c) => typeof c !== 'string')
    ) {
      throw new InvalidParameterError({
        fn,
        param: 'options.classNames',
        value: classNames,
        allowed: `${model.numClasses} strings`,
      });
    }
  }
  const preprocessing =
    options.preprocessing === undefined
      ? undefined
      : jsonCopy(fn, 'options.preprocessing', options.preprocessing);
  const privacy =
    options.privacy === undefined ? undefined : jsonCopy(fn, 'options.privacy', options.privacy);
  const keras = kerasLayers(model);
  const weightData = float32ToLittleEndian(model.params.map((p) => p.value));
  const veil: VeilModelMetadata = {
    formatVersion: 1,
    spec: JSON.parse(JSON.stringify(model.spec)) as ModelSpec,
    loss: model.loss,
    numClasses: model.numClasses,
    output: 'logits',
    weightsSha256: createHash('sha256').update(weightData).digest('hex'),
    ...(classNames === undefined ? {} : { classNames: [...classNames] }),
    ...(preprocessing === undefined ? {} : { preprocessing }),
    ...(privacy === undefined ? {} : { privacy }),
  };
  const modelJson: LayersModelJson = {
    format: 'layers-model',
    generatedBy: 'Veil (veil/ml exportLayersModel)',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: kerasModelName(model.spec.name), layers: [keras.inputLayer, ...keras.layers] },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: keras.weights }],
    userDefinedMetadata: { veil },
  };
  return { modelJson, weightData };
}
