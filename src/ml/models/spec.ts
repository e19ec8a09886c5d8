/**
 * Declarative model specs: `logreg`, `mlp:64,64` (optionally `mlp:64,64:tanh`), `cnn:papernot`, or a JSON
 * document `{ "layers": [...], "loss"?: ... }`. Parsing validates everything before a layer is built.
 */
import { z } from 'zod';
import { ConfigError, UnsupportedError } from '../../core/index.js';
import type { ActivationSpec } from '../layers/activation.js';
import type { LossKind } from '../losses/losses.js';

const pair = z.union([
  z.number().int().positive(),
  z.tuple([z.number().int().positive(), z.number().int().positive()]),
]);
const activation = z.union([
  z.enum(['linear', 'relu', 'tanh', 'sigmoid']),
  z
    .object({
      type: z.literal('temperedSigmoid'),
      scale: z.number().positive(),
      inverseTemperature: z.number().positive(),
      offset: z.number(),
    })
    .strict(),
]);
const padding = z.enum(['valid', 'same']);

/** The layer specs Veil can build (each with per-example gradient support). */
export const LayerSpecSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('dense'), units: z.number().int().positive(), useBias: z.boolean().optional() })
    .strict(),
  z
    .object({
      type: z.literal('conv2d'),
      filters: z.number().int().positive(),
      kernelSize: pair,
      strides: pair.optional(),
      padding: padding.optional(),
      useBias: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('maxPool2d'),
      poolSize: pair,
      strides: pair.optional(),
      padding: padding.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('avgPool2d'),
      poolSize: pair,
      strides: pair.optional(),
      padding: padding.optional(),
    })
    .strict(),
  z.object({ type: z.literal('flatten') }).strict(),
  z.object({ type: z.literal('activation'), activation }).strict(),
  z
    .object({
      type: z.literal('embedding'),
      inputDim: z.number().int().positive(),
      outputDim: z.number().int().positive(),
    })
    .strict(),
  z.object({ type: z.literal('layerNorm'), epsilon: z.number().positive().optional() }).strict(),
  z
    .object({
      type: z.literal('groupNorm'),
      groups: z.number().int().positive(),
      epsilon: z.number().positive().optional(),
    })
    .strict(),
]);

/** One layer of a model spec. */
export type LayerSpec = z.infer<typeof LayerSpecSchema>;

/** A full model spec: the layers after the input, and the loss. The last layer's width must fit the loss. */
export interface ModelSpec {
  readonly name: string;
  readonly layers: readonly LayerSpec[];
  readonly loss: LossKind;
}

const ModelSpecSchema = z
  .object({
    name: z.string().optional(),
    layers: z.array(z.unknown()).min(1),
    loss: z.enum(['softmax-cross-entropy', 'binary-cross-entropy']).optional(),
  })
  .strict();

/** Layer types users ask for that Veil refuses, and why. */
const REFUSED: Record<string, string> = {
  batchNorm:
    'batch normalisation mixes the examples of a batch, so an example gradient depends on the others and per-example clipping no longer bounds its influence; use groupNorm or layerNorm',
  batchNormalization:
    'batch normalisation mixes the examples of a batch, so an example gradient depends on the others and per-example clipping no longer bounds its influence; use groupNorm or layerNorm',
  dropout: 'dropout is not implemented yet; DP noise already regularises, remove it from the spec',
  lstm: 'recurrent layers have no per-example gradient support in Veil yet; use dense, conv2d or embedding layers',
  gru: 'recurrent layers have no per-example gradient support in Veil yet; use dense, conv2d or embedding layers',
  attention: 'attention layers have no per-example gradient support in Veil yet',
};

/** The supported layer type names. */
export const SUPPORTED_LAYERS = [
  'dense',
  'conv2d',
  'maxPool2d',
  'avgPool2d',
  'flatten',
  'activation',
  'embedding',
  'layerNorm',
  'groupNorm',
];

/**
 * Parses one layer spec.
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a known layer without per-example gradients (e.g. batchNorm)
 * @throws {ConfigError} VEIL_CONFIG_INVALID for anything malformed, naming the path
 */
export function parseLayerSpec(raw: unknown, path: string): LayerSpec {
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && type in REFUSED) {
    throw new UnsupportedError(`model spec ${path}: layer '${type}' is refused: ${REFUSED[type]}`, {
      path,
      type,
    });
  }
  if (typeof type === 'string' && !SUPPORTED_LAYERS.includes(type)) {
    throw new UnsupportedError(
      `model spec ${path}: layer '${type}' has no per-example gradient support in Veil; supported: ${SUPPORTED_LAYERS.join(', ')}`,
      { path, type },
    );
  }
  const parsed = LayerSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({
        path: [path, ...i.path.map(String)].join('.'),
        value: pick(raw, i.path),
        allowed: i.message,
      })),
      'model spec',
    );
  }
  return parsed.data;
}

function pick(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[key];
  return v;
}

/** The model names `--model` accepts besides a JSON file. */
export const MODEL_SHORTHANDS = ['logreg', 'mlp:<units>,<units>...[:relu|tanh]', 'cnn:papernot'] as const;

/**
 * Parses `--model`: a shorthand or a JSON document (already read from its file).
 * @param text the spec text
 * @param numClasses classes of the task (the output width)
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a spec that does not parse, naming what is allowed
 */
export function parseModelSpec(text: string, numClasses: number): ModelSpec {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonSpec(trimmed, numClasses);
  if (trimmed === 'logreg') {
    return numClasses === 2
      ? {
          name: 'logreg',
          layers: [{ type: 'flatten' }, { type: 'dense', units: 1 }],
          loss: 'binary-cross-entropy',
        }
      : {
          name: 'logreg',
          layers: [{ type: 'flatten' }, { type: 'dense', units: numClasses }],
          loss: 'softmax-cross-entropy',
        };
  }
  const mlp = /^mlp:(\d+(?:,\d+)*)(?::(relu|tanh|sigmoid))?$/.exec(trimmed);
  if (mlp) {
    const act = (mlp[2] ?? 'relu') as ActivationSpec;
    const layers: LayerSpec[] = [{ type: 'flatten' }];
    for (const units of mlp[1]!.split(',').map(Number)) {
      if (!(units >= 1)) break;
      layers.push({ type: 'dense', units }, { type: 'activation', activation: act });
    }
    layers.push({ type: 'dense', units: numClasses });
    return { name: trimmed, layers, loss: 'softmax-cross-entropy' };
  }
  if (trimmed === 'cnn:papernot') {
    // Papernot et al. 2021 / Opacus' MNIST example: 2 conv (tanh) + max-pool, dense 32, dense out.
    return {
      name: trimmed,
      layers: [
        { type: 'conv2d', filters: 16, kernelSize: 8, strides: 2, padding: 'same' },
        { type: 'activation', activation: 'tanh' },
        { type: 'maxPool2d', poolSize: 2, strides: 1 },
        { type: 'conv2d', filters: 32, kernelSize: 4, strides: 2, padding: 'valid' },
        { type: 'activation', activation: 'tanh' },
        { type: 'maxPool2d', poolSize: 2, strides: 1 },
        { type: 'flatten' },
        { type: 'dense', units: 32 },
        { type: 'activation', activation: 'tanh' },
        { type: 'dense', units: numClasses },
      ],
      loss: 'softmax-cross-entropy',
    };
  }
  throw new ConfigError(
    [
      {
        path: '--model',
        value: text,
        allowed: `one of ${MODEL_SHORTHANDS.join(', ')}, or a JSON model file`,
      },
    ],
    'model spec',
  );
}

function parseJsonSpec(text: string, numClasses: number): ModelSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      [{ path: 'model', value: text.slice(0, 40), allowed: `valid JSON (${(e as Error).message})` }],
      'model spec',
    );
  }
  const parsed = ModelSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({
        path: ['model', ...i.path.map(String)].join('.'),
        value: pick(raw, i.path),
        allowed: i.message,
      })),
      'model spec',
    );
  }
  const layers = parsed.data.layers.map((l, i) => parseLayerSpec(l, `layers[${i}]`));
  const loss = parsed.data.loss ?? 'softmax-cross-entropy';
  const last = layers[layers.length - 1];
  const width = last?.type === 'dense' ? last.units : undefined;
  const expected = loss === 'binary-cross-entropy' ? 1 : numClasses;
  if (width !== expected) {
    throw new ConfigError(
      [
        {
          path: `model.layers[${layers.length - 1}]`,
          value: last,
          allowed: `a dense layer with ${expected} units (the ${loss} output for ${numClasses} classes)`,
        },
      ],
      'model spec',
    );
  }
  return { name: parsed.data.name ?? 'custom', layers, loss };
}
