/**
 * Declarative model specs: `logreg`, `mlp:64,64` (optionally `mlp:64,64:tanh`), `cnn:papernot`, or a JSON
 * document `{ "layers": [...], "loss"?: ... }`. Parsing validates everything before a layer is built.
 */
import { z } from 'zod';
import { ConfigError, InvalidParameterError, UnsupportedError } from '../../core/index.js';
import { windowGeometry } from '../kernels/conv-geometry.js';
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
 * The most trainable parameters {@link parseModelSpec} accepts when given the input shape: 50 million (200 MB
 * per float32 copy, and a trainer keeps several copies plus per-example gradients). A federated node checks the
 * coordinator's spec against it before building anything, so a spec cannot make it allocate without bound.
 */
export const MAX_MODEL_PARAMETERS = 50_000_000;

/** The most values one layer may output per example (2^24) when {@link parseModelSpec} is given the input shape. */
export const MAX_LAYER_OUTPUT = 16_777_216;

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const pairOf = (v: number | readonly [number, number]): [number, number] =>
  typeof v === 'number' ? [v, v] : [v[0], v[1]];

/**
 * The parameters a spec's layers have over a per-example input shape, and its largest layer output, computed
 * from the shapes alone (nothing is allocated). Counting stops at a layer whose input shape it cannot take (the
 * model's build reports that one).
 */
function modelSize(
  layers: readonly LayerSpec[],
  inputShape: readonly number[],
): {
  parameters: number;
  largestOutput: number /** the layer a cap was first exceeded at, else -1 */;
  at: number;
} {
  let shape: readonly number[] = inputShape;
  let parameters = 0;
  let largestOutput = 0;
  for (const [i, l] of layers.entries()) {
    switch (l.type) {
      case 'dense':
        parameters += product(shape) * l.units + (l.useBias === false ? 0 : l.units);
        shape = [l.units];
        break;
      case 'conv2d':
      case 'maxPool2d':
      case 'avgPool2d': {
        if (shape.length !== 3) return { parameters, largestOutput, at: -1 };
        const window = pairOf(l.type === 'conv2d' ? l.kernelSize : l.poolSize);
        const strides = pairOf(l.strides ?? (l.type === 'conv2d' ? 1 : l.poolSize));
        const g = windowGeometry('parseModelSpec', shape, window, strides, l.padding ?? 'valid');
        const channels = l.type === 'conv2d' ? l.filters : shape[2]!;
        if (l.type === 'conv2d') {
          parameters += window[0] * window[1] * shape[2]! * l.filters + (l.useBias === false ? 0 : l.filters);
        }
        shape = [g.outH, g.outW, channels];
        break;
      }
      case 'flatten':
        shape = [product(shape)];
        break;
      case 'embedding':
        if (shape.length !== 1) return { parameters, largestOutput, at: -1 };
        parameters += l.inputDim * l.outputDim;
        shape = [shape[0]!, l.outputDim];
        break;
      case 'layerNorm':
      case 'groupNorm':
        parameters += 2 * (shape[shape.length - 1] ?? 0);
        break;
      case 'activation':
        break;
    }
    largestOutput = Math.max(largestOutput, product(shape));
    if (parameters > MAX_MODEL_PARAMETERS || largestOutput > MAX_LAYER_OUTPUT) {
      return { parameters, largestOutput, at: i };
    }
  }
  return { parameters, largestOutput, at: -1 };
}

/**
 * The trainable parameters of a spec built over a per-example input shape, from the shapes alone (nothing is
 * allocated): what a caller planning memory (a simulation of many nodes, each with its own copy) multiplies by.
 * Counting stops at a layer over {@link MAX_MODEL_PARAMETERS} or {@link MAX_LAYER_OUTPUT}, or at one whose input
 * shape it cannot take (building the model refuses both).
 * @example modelParameterCount(parseModelSpec('logreg', 2), [5]) // 6
 */
export function modelParameterCount(spec: ModelSpec, inputShape: readonly number[]): number {
  return modelSize(spec.layers, inputShape).parameters;
}

/**
 * Refuses a spec too large to build over `inputShape`: more than {@link MAX_MODEL_PARAMETERS} parameters, or a
 * layer with more than {@link MAX_LAYER_OUTPUT} outputs per example. Shapes only: nothing is allocated.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming the layer, its count and the cap
 */
function assertModelSize(spec: ModelSpec, inputShape: readonly number[]): void {
  const size = modelSize(spec.layers, inputShape);
  const layer = `layers[${size.at}] (${spec.layers[size.at]?.type})`;
  if (size.parameters > MAX_MODEL_PARAMETERS) {
    throw new InvalidParameterError({
      fn: 'parseModelSpec',
      param: `model.${layer}`,
      value: `${size.parameters} parameters up to this layer`,
      allowed: `at most ${MAX_MODEL_PARAMETERS} parameters in the whole model (MAX_MODEL_PARAMETERS)`,
    });
  }
  if (size.largestOutput > MAX_LAYER_OUTPUT) {
    throw new InvalidParameterError({
      fn: 'parseModelSpec',
      param: `model.${layer}`,
      value: `${size.largestOutput} outputs per example`,
      allowed: `at most ${MAX_LAYER_OUTPUT} outputs per example from one layer (MAX_LAYER_OUTPUT)`,
    });
  }
}

/**
 * Parses `--model`: a shorthand or a JSON document (already read from its file).
 * @param text the spec text
 * @param numClasses classes of the task (the output width)
 * @param inputShape per-example input shape: when given, the spec is also refused if building it over that
 *   shape would exceed {@link MAX_MODEL_PARAMETERS} or {@link MAX_LAYER_OUTPUT} (checked on shapes, before
 *   anything is allocated; a node passes it for the coordinator's spec)
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a spec that does not parse, naming what is allowed
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a spec over the caps (only with `inputShape`)
 */
export function parseModelSpec(text: string, numClasses: number, inputShape?: readonly number[]): ModelSpec {
  const spec = parseSpecText(text, numClasses);
  if (inputShape) assertModelSize(spec, inputShape);
  return spec;
}

function parseSpecText(text: string, numClasses: number): ModelSpec {
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
      if (!(units >= 1 && Number.isSafeInteger(units))) {
        throw new ConfigError(
          [
            {
              path: '--model',
              value: text,
              allowed: 'mlp:<units>,... with every hidden layer of at least 1 unit',
            },
          ],
          'model spec',
        );
      }
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
