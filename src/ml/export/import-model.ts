/**
 * Import from the TensorFlow.js LayersModel format, in memory: model.json and the weight bytes back into a Veil
 * model with the same parameters, bit for bit (the inverse of exportLayersModel). The topology is mapped back to
 * Veil layer specs; Veil's metadata block, when present, restores the exact Veil spec (e.g. a tempered sigmoid
 * written as tanh) after checking that it describes the same layers.
 */
import { createHash } from 'node:crypto';
import { ConfigError, type ConfigIssue, IntegrityError, seededRng, VeilError } from '../../core/index.js';
import type { LossKind } from '../losses/losses.js';
import { SequentialModel } from '../models/sequential.js';
import { type ModelSpec, parseLayerSpec } from '../models/spec.js';
import { shapeSize } from '../tensor.js';
import { float32FromLittleEndian } from './float32-bytes.js';
import { kerasLayers } from './keras-export.js';
import { type VeilLayers, veilLayers } from './keras-import.js';
import {
  type ParsedModelJson,
  type ParsedVeilMetadata,
  parseModelJson,
  type VeilModelMetadata,
} from './schema.js';

/** A model read back, with its Veil metadata (null for a LayersModel Veil did not write). */
export interface LoadedModel {
  readonly model: SequentialModel;
  readonly metadata: VeilModelMetadata | null;
}

/** Where the bytes and the JSON came from, for error messages. */
export interface ImportSource {
  /** What model.json is, e.g. `model file /models/a/model.json` (default `model.json`). */
  readonly context?: string;
  /** What the weight bytes are, e.g. `weights.bin` (default: the manifest's file names). */
  readonly weightsLabel?: string;
}

/**
 * Reads TF.js LayersModel artifacts back into a Veil model (the inverse of exportLayersModel). LayersModels
 * from elsewhere load too when every layer maps to a Veil layer; without a Veil block their loss is inferred
 * (one output: binary-cross-entropy, else softmax-cross-entropy).
 * @param modelJson the parsed model.json
 * @param weightData the concatenated weight files of the manifest
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a malformed model.json, a layer Veil cannot build, or weights that do not fit
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the weights do not match the SHA-256 model.json records
 */
export function importLayersModel(
  modelJson: unknown,
  weightData: Uint8Array,
  source: ImportSource = {},
): LoadedModel {
  const context = source.context ?? 'model.json';
  return importParsedModel(parseModelJson(modelJson, context), weightData, { ...source, context });
}

/** {@link importLayersModel} for an already validated model.json. */
export function importParsedModel(
  parsed: ParsedModelJson,
  weightData: Uint8Array,
  source: ImportSource = {},
): LoadedModel {
  const context = source.context ?? 'model.json';
  const mapped = veilLayers(parsed.modelTopology.config.layers, context);
  const veil = parsed.userDefinedMetadata?.veil;
  const { loss, numClasses } = veil ?? inferLoss(mapped, context);
  const name = veil?.spec.name ?? parsed.modelTopology.config.name ?? 'imported';
  const fromTopology = build(
    { name, layers: mapped.layers, loss },
    mapped.inputShape,
    numClasses,
    'modelTopology.config.layers',
    context,
  );
  checkReshapes(fromTopology, mapped, context);
  let model = fromTopology;
  if (veil) {
    const at = 'userDefinedMetadata.veil.spec';
    const spec = parseVeilSpec(veil.spec, at, context);
    const candidate = build(spec, mapped.inputShape, numClasses, at, context);
    if (!sameKerasLayers(candidate, fromTopology)) {
      throw new ConfigError(
        [{ path: at, value: veil.spec, allowed: 'the layers that modelTopology describes' }],
        context,
      );
    }
    model = candidate;
  }
  const values = readWeights(
    model,
    mapped.owners,
    parsed,
    weightData,
    source.weightsLabel ?? manifestFiles(parsed),
    context,
  );
  if (veil && createHash('sha256').update(weightData).digest('hex') !== veil.weightsSha256) {
    throw new IntegrityError(
      `${context}: the weight bytes do not match the SHA-256 that userDefinedMetadata.veil.weightsSha256 records ` +
        '(a corrupted file, or weights of another save of this model); refusing to load them',
      { context },
    );
  }
  model.params.forEach((p, i) => {
    p.value = values[i]!;
  });
  return { model, metadata: veil ? toMetadata(veil, model.spec) : null };
}

function toMetadata(veil: ParsedVeilMetadata, spec: ModelSpec): VeilModelMetadata {
  const { classNames, preprocessing, privacy } = veil;
  return {
    formatVersion: veil.formatVersion,
    spec,
    loss: veil.loss,
    numClasses: veil.numClasses,
    output: veil.output,
    weightsSha256: veil.weightsSha256,
    ...(classNames === undefined ? {} : { classNames }),
    ...(preprocessing === undefined ? {} : { preprocessing }),
    ...(privacy === undefined ? {} : { privacy }),
  };
}

function manifestFiles(parsed: ParsedModelJson): string {
  return parsed.weightsManifest.flatMap((g) => g.paths).join(' + ');
}

/** Loss and classes of a LayersModel without a Veil block, from its output layer (which must give logits). */
function inferLoss(mapped: VeilLayers, context: string): { loss: LossKind; numClasses: number } {
  const last = mapped.layers[mapped.layers.length - 1]!;
  if (last.type !== 'dense') {
    const path = `modelTopology.config.layers (the last layer, '${mapped.owners[mapped.owners.length - 1]}')`;
    throw new ConfigError(
      [
        {
          path,
          value: last.type,
          allowed:
            'a Dense layer with a linear activation: Veil models output logits, and without a userDefinedMetadata.veil ' +
            'block a final sigmoid, tanh or relu would be read as logits',
        },
      ],
      context,
    );
  }
  return last.units === 1
    ? { loss: 'binary-cross-entropy', numClasses: 2 }
    : { loss: 'softmax-cross-entropy', numClasses: last.units };
}

function build(
  spec: ModelSpec,
  inputShape: readonly number[],
  numClasses: number,
  path: string,
  context: string,
): SequentialModel {
  try {
    // Initial values are overwritten with the file's weights before the model is returned; the generator only
    // fills the arrays the layers allocate.
    return new SequentialModel(spec, inputShape, numClasses, seededRng(0));
  } catch (e) {
    if (!(e instanceof VeilError)) throw e;
    throw new ConfigError(
      [
        {
          path,
          value: spec.layers,
          allowed: `layers Veil can build for input [${inputShape.join(', ')}] (${e.message})`,
        },
      ],
      context,
    );
  }
}

function checkReshapes(model: SequentialModel, mapped: VeilLayers, context: string): void {
  for (const [i, width] of mapped.reshapeWidths) {
    const actual = model.layers[i]!.outputShape;
    if (actual.length !== 1 || actual[0] !== width) {
      const path = `modelTopology.config.layers (Reshape '${mapped.owners[i]}').target_shape`;
      throw new ConfigError(
        [{ path, value: `[${width}]`, allowed: `[${actual.join(', ')}]: a flatten of its input` }],
        context,
      );
    }
  }
}

function parseVeilSpec(
  raw: { name: string; layers: readonly unknown[]; loss: LossKind },
  at: string,
  context: string,
): ModelSpec {
  try {
    return {
      name: raw.name,
      layers: raw.layers.map((l, i) => parseLayerSpec(l, `${at}.layers[${i}]`)),
      loss: raw.loss,
    };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.issues, context);
    if (e instanceof VeilError)
      throw new ConfigError([{ path: `${at}.layers`, value: raw.layers, allowed: e.message }], context);
    throw e;
  }
}

function sameKerasLayers(a: SequentialModel, b: SequentialModel): boolean {
  try {
    return JSON.stringify(kerasLayers(a)) === JSON.stringify(kerasLayers(b));
  } catch (e) {
    if (e instanceof VeilError) return false;
    throw e;
  }
}

/** Finds every parameter's bytes by its manifest name; checks names, shapes and the byte count first. */
function readWeights(
  model: SequentialModel,
  owners: readonly string[],
  parsed: ParsedModelJson,
  bytes: Uint8Array,
  weightsLabel: string,
  context: string,
): Float32Array[] {
  const entries = new Map<
    string,
    { offset: number; shape: readonly number[]; path: string; used: boolean }
  >();
  const issues: ConfigIssue[] = [];
  let offset = 0;
  parsed.weightsManifest.forEach((group, g) => {
    group.weights.forEach((w, k) => {
      const path = `weightsManifest[${g}].weights[${k}]`;
      if (entries.has(w.name))
        issues.push({ path: `${path}.name`, value: w.name, allowed: 'a weight name unique in the manifest' });
      else entries.set(w.name, { offset, shape: w.shape, path, used: false });
      offset += 4 * shapeSize(w.shape);
    });
  });
  if (issues.length > 0) throw new ConfigError(issues, context);
  if (offset !== bytes.length) {
    throw new ConfigError(
      [
        {
          path: weightsLabel,
          value: `${bytes.length} bytes`,
          allowed: `${offset} bytes (the float32 weights the manifest lists)`,
        },
      ],
      context,
    );
  }
  const values: Float32Array[] = [];
  model.layers.forEach((layer, i) => {
    for (const p of layer.params) {
      const name = `${owners[i]}/${p.name}`;
      const entry = entries.get(name);
      if (!entry) {
        issues.push({
          path: `weightsManifest: ${name}`,
          value: undefined,
          allowed: `the float32 ${p.name} [${p.shape.join(', ')}] of layer '${owners[i]}'`,
        });
        continue;
      }
      entry.used = true;
      if (entry.shape.length !== p.shape.length || entry.shape.some((d, j) => d !== p.shape[j])) {
        issues.push({
          path: `${entry.path}.shape`,
          value: `[${entry.shape.join(', ')}]`,
          allowed: `[${p.shape.join(', ')}] (the shape of ${name})`,
        });
        continue;
      }
      values.push(float32FromLittleEndian(bytes, entry.offset, shapeSize(p.shape)));
    }
  });
  for (const [name, entry] of entries) {
    if (!entry.used)
      issues.push({
        path: `${entry.path}.name`,
        value: name,
        allowed: "the name of one of the model's weights (<layer>/<weight>)",
      });
  }
  if (issues.length > 0) throw new ConfigError(issues, context);
  return values;
}
