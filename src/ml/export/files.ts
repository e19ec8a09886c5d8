/**
 * A model on disk: a directory with model.json and weights.bin in the TF.js LayersModel format (what
 * `tf.loadLayersModel` and tfjs-node's `file://` handler read).
 *
 * Saving is atomic per file and ordered so that model.json is the commit point: both files are written to
 * temporary names in the same directory and flushed, then weights.bin is renamed into place (the previous
 * one kept aside until the end), then model.json. A failure before the last rename removes the temporary
 * files and restores the previous weights.bin, so no half-written model is left. If the process dies between
 * the two renames while replacing a model, the old model.json and new weights.bin disagree with the SHA-256
 * that model.json records, and loading refuses them. The flushes are core's (`writeFileDurably`,
 * `syncDirectory`); the two-file order is this file's own.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  ensureDirectory,
  InvalidParameterError,
  syncDirectory,
  writeFileDurably,
} from '../../core/index.js';
import type { SequentialModel } from '../models/sequential.js';
import { importParsedModel, type LoadedModel } from './import-model.js';
import { type ExportOptions, exportLayersModel, WEIGHTS_FILE } from './layers-model.js';
import { parseModelJson } from './schema.js';

/** The topology file name. */
export const MODEL_FILE = 'model.json';

/** Options of {@link saveModel}: the metadata of {@link ExportOptions}, and whether to replace a model. */
export interface SaveOptions extends ExportOptions {
  /** Replace a model already in the directory (default false: refuse). */
  readonly overwrite?: boolean;
}

/** What {@link saveModel} wrote. */
export interface SavedModelFiles {
  readonly modelJsonPath: string;
  readonly weightsPath: string;
  /** Size of weights.bin in bytes. */
  readonly weightBytes: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function quietly(action: () => void): void {
  try {
    action();
  } catch {
    // cleanup after a failure: the first error is the one to report
  }
}

/**
 * Saves a model as TF.js LayersModel files: `<dir>/model.json` and `<dir>/weights.bin`. Creates `dir` if missing.
 * @param model the trained model
 * @param dir the model directory
 * @param options metadata for model.json's `userDefinedMetadata.veil` block, and `overwrite`
 * @returns the paths written
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a layer TF.js cannot run (nothing is written)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when dir already holds a model.json and overwrite is not
 *   set, or when the directory cannot be written (nothing is left half-written)
 * @example
 * saveModel(model, 'models/diabetes', { classNames: ['no', 'yes'], privacy: { epsilon: 3, delta: 1e-5 } });
 */
export function saveModel(model: SequentialModel, dir: string, options: SaveOptions = {}): SavedModelFiles {
  const fn = 'saveModel';
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidParameterError({ fn, param: 'dir', value: dir, allowed: 'a non-empty directory path' });
  }
  const { overwrite = false, ...exportOptions } = options;
  if (typeof overwrite !== 'boolean') {
    throw new InvalidParameterError({
      fn,
      param: 'options.overwrite',
      value: overwrite,
      allowed: 'a boolean',
    });
  }
  const { modelJson, weightData } = exportLayersModel(model, exportOptions);
  const jsonBytes = new TextEncoder().encode(`${JSON.stringify(modelJson)}\n`);
  const modelPath = join(dir, MODEL_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  const cannotWrite = (e: unknown) =>
    new InvalidParameterError({
      fn,
      param: 'dir',
      value: dir,
      allowed: `a directory Veil can write the model to (${message(e)})`,
    });
  try {
    ensureDirectory(dir);
  } catch (e) {
    throw cannotWrite(e);
  }
  if (!overwrite && existsSync(modelPath)) {
    throw new InvalidParameterError({
      fn,
      param: 'dir',
      value: dir,
      allowed: `a directory without ${MODEL_FILE} (pass overwrite: true to replace the model in it)`,
    });
  }
  const tmpWeights = join(dir, `.${WEIGHTS_FILE}.${process.pid}.tmp`);
  const tmpModel = join(dir, `.${MODEL_FILE}.${process.pid}.tmp`);
  const backup = join(dir, `.${WEIGHTS_FILE}.${process.pid}.bak`);
  let backedUp = false;
  let placed = false;
  try {
    writeFileDurably(tmpWeights, weightData, 0o644);
    writeFileDurably(tmpModel, jsonBytes, 0o644);
    if (existsSync(weightsPath)) {
      renameSync(weightsPath, backup);
      backedUp = true;
    }
    renameSync(tmpWeights, weightsPath);
    placed = true;
    renameSync(tmpModel, modelPath); // the commit point
  } catch (e) {
    quietly(() => rmSync(tmpWeights, { force: true }));
    quietly(() => rmSync(tmpModel, { force: true }));
    if (placed) quietly(() => rmSync(weightsPath, { force: true }));
    if (backedUp) quietly(() => renameSync(backup, weightsPath));
    throw cannotWrite(e);
  }
  if (backedUp) quietly(() => rmSync(backup, { force: true }));
  syncDirectory(dir);
  return { modelJsonPath: modelPath, weightsPath, weightBytes: weightData.length };
}

function readFile(path: string, issuePath: string, context: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(
      [{ path: issuePath, value: undefined, allowed: `a readable file (${message(e)})` }],
      context,
    );
  }
}

/**
 * Loads a model saved by {@link saveModel} (or any TF.js LayersModel whose layers all map to Veil layers), with
 * the metadata of its `userDefinedMetadata.veil` block.
 * @param dir the model directory (model.json and the weight files its manifest names)
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a missing or malformed model.json or weight file, naming the field
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the weights do not match model.json's SHA-256
 */
export function loadModelWithMetadata(dir: string): LoadedModel {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidParameterError({
      fn: 'loadModel',
      param: 'dir',
      value: dir,
      allowed: 'a non-empty directory path',
    });
  }
  const modelPath = join(dir, MODEL_FILE);
  const context = `model file ${modelPath}`;
  const text = readFile(modelPath, MODEL_FILE, context).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      [{ path: '(root)', value: text.slice(0, 40), allowed: `valid JSON (${message(e)})` }],
      context,
    );
  }
  const parsed = parseModelJson(raw, context);
  const chunks = parsed.weightsManifest.flatMap((group, g) =>
    group.paths.map((file, k) => readFile(join(dir, file), `weightsManifest[${g}].paths[${k}]`, context)),
  );
  const bytes: Uint8Array = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const weightsLabel = parsed.weightsManifest.flatMap((g) => g.paths).join(' + ');
  return importParsedModel(parsed, bytes, { context, weightsLabel });
}

/**
 * Loads a model saved by {@link saveModel}: same parameters bit for bit, same predictions.
 * @param dir the model directory
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a missing or malformed model.json or weight file, naming the field
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the weights do not match model.json's SHA-256
 * @example
 * const model = loadModel('models/diabetes');
 * model.predict(x);
 */
export function loadModel(dir: string): SequentialModel {
  return loadModelWithMetadata(dir).model;
}
