/**
 * The TensorFlow.js LayersModel file format as Veil writes and reads it (model.json plus one weights file), and
 * the zod schemas that validate a model.json read from disk before anything is built from it (STYLE.md §5).
 *
 * Format reference: tfjs-core `io/types.ts` (`ModelJSON`, `WeightsManifestConfig`) and tfjs-layers
 * `models.ts` (`loadLayersModelFromIOHandler`), version 4.22.0.
 */
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../core/index.js';
import type { LossKind } from '../losses/losses.js';
import type { ModelSpec } from '../models/spec.js';

/** A plain JSON object (opaque metadata Veil stores without interpreting it). */
export type JsonObject = { readonly [key: string]: unknown };

/** One layer of a Keras model config: `{ class_name, config }`. */
export interface KerasLayerJson {
  readonly class_name: string;
  readonly config: JsonObject;
}

/** One weight of a weights manifest: its variable name, shape and dtype. Veil writes float32 only. */
export interface WeightSpecJson {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32';
}

/** A weights-manifest group: the files (concatenated in order) holding its weights, in manifest order. */
export interface WeightGroupJson {
  readonly paths: readonly string[];
  readonly weights: readonly WeightSpecJson[];
}

/**
 * Veil's metadata block, stored in model.json at `userDefinedMetadata.veil` (TF.js hands it back from
 * `model.getUserDefinedMetadata()`). The exported network outputs logits: for `binary-cross-entropy` one logit
 * (class 1 when > 0, its probability is the sigmoid), for `softmax-cross-entropy` one score per class (argmax).
 */
export interface VeilModelMetadata {
  /** Version of this block; a reader refuses versions it does not know. */
  readonly formatVersion: 1;
  /** The Veil model spec the model was built from (restores Veil-only forms such as a tempered sigmoid). */
  readonly spec: ModelSpec;
  readonly loss: LossKind;
  /** Classes of the task (2 for a binary model with one logit). */
  readonly numClasses: number;
  /** What the network outputs: always logits (no final sigmoid or softmax). */
  readonly output: 'logits';
  /** SHA-256 (hex) of the concatenated weight files; a reader checks it. */
  readonly weightsSha256: string;
  readonly classNames?: readonly string[];
  /** Opaque preprocessing/encoder description (JSON), as given to the exporter. */
  readonly preprocessing?: JsonObject;
  /** Opaque privacy summary (JSON), as given to the exporter. */
  readonly privacy?: JsonObject;
}

/** The model.json of a TF.js LayersModel, as Veil writes it. */
export interface LayersModelJson {
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: string | null;
  readonly modelTopology: {
    readonly class_name: 'Sequential';
    readonly config: { readonly name: string; readonly layers: readonly KerasLayerJson[] };
    readonly keras_version: string;
    readonly backend: string;
  };
  readonly weightsManifest: readonly WeightGroupJson[];
  readonly userDefinedMetadata: { readonly veil: VeilModelMetadata };
}

const LossSchema = z.enum(['softmax-cross-entropy', 'binary-cross-entropy']);
const jsonObject = z.record(z.string(), z.unknown());

const VeilMetadataSchema = z
  .object({
    formatVersion: z.literal(1, { error: 'formatVersion 1 (written by this Veil version)' }),
    spec: z.object({ name: z.string(), layers: z.array(z.unknown()).min(1), loss: LossSchema }).strict(),
    loss: LossSchema,
    numClasses: z.number().int().min(2),
    output: z.literal('logits'),
    weightsSha256: z.string().regex(/^[0-9a-f]{64}$/, { error: '64 lower-case hex digits' }),
    classNames: z.array(z.string()).optional(),
    preprocessing: jsonObject.optional(),
    privacy: jsonObject.optional(),
  })
  .strict();

/** A weight file name: a plain file in the model's directory, never a path. */
const fileName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, { error: 'a plain file name in the model directory (no path)' });

const WeightSpecSchema = z
  .object({
    name: z.string().min(1),
    shape: z.array(z.number().int().nonnegative()),
    dtype: z.literal('float32', { error: 'float32 (Veil reads unquantised float32 weights only)' }),
    quantization: z.undefined({ error: 'absent (quantised weights are not supported)' }).optional(),
  })
  .loose();

const SequentialSchema = z
  .object({
    class_name: z.literal('Sequential', { error: 'Sequential (Veil models are sequential)' }),
    config: z
      .object({
        name: z.string().optional(),
        layers: z.array(z.object({ class_name: z.string(), config: jsonObject }).loose()).min(1),
      })
      .loose(),
  })
  .loose();

const ModelJsonSchema = z
  .object({
    format: z
      .literal('layers-model', { error: 'layers-model (a TF.js LayersModel, not a graph model)' })
      .optional(),
    generatedBy: z.string().optional(),
    convertedBy: z.string().nullable().optional(),
    // tensorflowjs_converter wraps the Keras config in `model_config`; tfjs-layers unwraps it the same way.
    modelTopology: z.preprocess(
      (t) =>
        t !== null && typeof t === 'object' && 'model_config' in t
          ? (t as { model_config: unknown }).model_config
          : t,
      SequentialSchema,
    ),
    weightsManifest: z
      .array(z.object({ paths: z.array(fileName).min(1), weights: z.array(WeightSpecSchema) }).loose())
      .min(1),
    userDefinedMetadata: z.object({ veil: VeilMetadataSchema.optional() }).loose().optional(),
  })
  .loose();

/** A model.json after validation. */
export type ParsedModelJson = z.infer<typeof ModelJsonSchema>;
/** Veil's metadata block after validation. */
export type ParsedVeilMetadata = z.infer<typeof VeilMetadataSchema>;

/** Renders a zod path as `a.b[0].c`. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const key of path)
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

function pick(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of path)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * Parses `raw` with `schema`, or throws a {@link ConfigError} listing every issue as `{ path, value, allowed }`.
 * @param prefix the path of `raw` inside the file ('' for the root)
 * @param context what the file is, for the message (e.g. `model file /models/a/model.json`)
 */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, prefix: string, context: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues: ConfigIssue[] = parsed.error.issues.map((i) => ({
    path: formatPath(prefix, i.path) || '(root)',
    value: pick(raw, i.path),
    allowed: i.message,
  }));
  throw new ConfigError(issues, context);
}

/**
 * Validates a parsed model.json.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming every malformed field
 */
export function parseModelJson(raw: unknown, context: string): ParsedModelJson {
  const parsed = parseWith(ModelJsonSchema, raw, '', context);
  const veil = parsed.userDefinedMetadata?.veil;
  if (veil) {
    const issues: ConfigIssue[] = [];
    const at = 'userDefinedMetadata.veil';
    if (veil.spec.loss !== veil.loss) {
      issues.push({
        path: `${at}.spec.loss`,
        value: veil.spec.loss,
        allowed: `the block's loss '${veil.loss}'`,
      });
    }
    if (veil.loss === 'binary-cross-entropy' && veil.numClasses !== 2) {
      issues.push({
        path: `${at}.numClasses`,
        value: veil.numClasses,
        allowed: '2 for a binary-cross-entropy model',
      });
    }
    if (veil.classNames && veil.classNames.length !== veil.numClasses) {
      issues.push({
        path: `${at}.classNames`,
        value: veil.classNames,
        allowed: `${veil.numClasses} names (numClasses)`,
      });
    }
    if (issues.length > 0) throw new ConfigError(issues, context);
  }
  return parsed;
}
