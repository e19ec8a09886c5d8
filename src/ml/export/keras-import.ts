/**
 * Keras layer configs (as in a TF.js LayersModel's topology) back to Veil layer specs. Each config is
 * validated with zod; fields that change what the layer computes and that Veil cannot reproduce (dilation,
 * channels_first, masking, a softmax activation, ...) are refused with the field's path. Fields that only
 * matter for training in Keras (initialisers, regularisers, constraints) are ignored.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/index.js';
import type { LayerSpec } from '../models/spec.js';
import { KERAS_ACTIVATIONS, type KerasActivation } from './keras-export.js';
import { type KerasLayerJson, parseWith } from './schema.js';

/** The Veil side of a Keras topology. */
export interface VeilLayers {
  /** Per-example input shape (the batch input shape without its batch dimension). */
  readonly inputShape: readonly number[];
  readonly layers: readonly LayerSpec[];
  /** For each Veil layer, the Keras layer whose weights it holds (`<name>/<param>` in the manifest). */
  readonly owners: readonly string[];
  /** For each Veil layer that came from a Keras Reshape, the width Keras asked for (checked once built). */
  readonly reshapeWidths: ReadonlyMap<number, number>;
}

const positive = z.number().int().positive();
const pair = z.union([positive, z.tuple([positive, positive])]);
const one = z.union([z.literal(1), z.tuple([z.literal(1), z.literal(1)])], {
  error: '1 or [1, 1] (no dilation)',
});
const name = z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9._/]*$/, { error: 'a TF.js layer name' });
const activation = z.enum(KERAS_ACTIVATIONS, {
  error: `one of ${KERAS_ACTIVATIONS.join(', ')} (Veil models output logits: drop a final softmax)`,
});
const padding = z.enum(['valid', 'same']);
const channelsLast = z.literal('channels_last', { error: 'channels_last (NHWC)' }).nullable().optional();
const batchShape = z.tuple([z.null()], positive, { error: 'a batch shape [null, ...positive integers]' });
const base = { name, batch_input_shape: batchShape.optional() };

const InputLayerConfig = z
  .object({
    name: name.optional(),
    batch_input_shape: batchShape,
    dtype: z.enum(['float32', 'int32']).optional(),
  })
  .loose();
const DenseConfig = z
  .object({ ...base, units: positive, activation: activation.optional(), use_bias: z.boolean().optional() })
  .loose();
const Conv2DConfig = z
  .object({
    ...base,
    filters: positive,
    kernel_size: pair,
    strides: pair.optional(),
    padding: padding.optional(),
    data_format: channelsLast,
    dilation_rate: one.optional(),
    groups: z.literal(1, { error: '1 (no grouped convolution)' }).optional(),
    activation: activation.optional(),
    use_bias: z.boolean().optional(),
  })
  .loose();
const PoolConfig = z
  .object({
    ...base,
    pool_size: pair,
    strides: pair.nullable().optional(),
    padding: padding.optional(),
    data_format: channelsLast,
  })
  .loose();
const FlattenConfig = z.object({ ...base, data_format: channelsLast }).loose();
const ReshapeConfig = z
  .object({ ...base, target_shape: z.tuple([positive], { error: 'a 1-D target shape [width] (a flatten)' }) })
  .loose();
const ActivationConfig = z.object({ ...base, activation }).loose();
const EmbeddingConfig = z
  .object({
    ...base,
    input_dim: positive,
    output_dim: positive,
    mask_zero: z.literal(false, { error: 'false (Veil has no masking)' }).nullable().optional(),
  })
  .loose();
const LayerNormConfig = z
  .object({
    ...base,
    axis: z
      .union([z.literal(-1), z.tuple([z.literal(-1)])], { error: '-1 or [-1] (the last axis)' })
      .optional(),
    epsilon: z.number().positive().optional(),
    center: z.literal(true, { error: 'true (Veil layer norms have beta)' }).optional(),
    scale: z.literal(true, { error: 'true (Veil layer norms have gamma)' }).optional(),
  })
  .loose();

/** Veil's compact form of a Keras pair: a number when both sides agree. */
function compact(v: number | readonly [number, number]): number | [number, number] {
  if (typeof v === 'number') return v;
  return v[0] === v[1] ? v[0] : [v[0], v[1]];
}

const same = (a: number | readonly [number, number], b: number | readonly [number, number]): boolean =>
  JSON.stringify(compact(a)) === JSON.stringify(compact(b));

function withActivation(spec: LayerSpec, act: KerasActivation | undefined): LayerSpec[] {
  return act === undefined || act === 'linear' ? [spec] : [spec, { type: 'activation', activation: act }];
}

/** One Keras layer to one or two Veil layer specs (a Dense with an activation becomes dense + activation). */
function toVeil(
  layer: KerasLayerJson,
  at: string,
  context: string,
): { specs: LayerSpec[]; name: string; width?: number } {
  const c = layer.config;
  switch (layer.class_name) {
    case 'Dense': {
      const d = parseWith(DenseConfig, c, `${at}.config`, context);
      const spec: LayerSpec = {
        type: 'dense',
        units: d.units,
        ...(d.use_bias === false ? { useBias: false } : {}),
      };
      return { specs: withActivation(spec, d.activation), name: d.name };
    }
    case 'Conv2D': {
      const d = parseWith(Conv2DConfig, c, `${at}.config`, context);
      const strides = d.strides ?? 1;
      const spec: LayerSpec = {
        type: 'conv2d',
        filters: d.filters,
        kernelSize: compact(d.kernel_size),
        ...(same(strides, 1) ? {} : { strides: compact(strides) }),
        ...(d.padding === 'same' ? { padding: 'same' as const } : {}),
        ...(d.use_bias === false ? { useBias: false } : {}),
      };
      return { specs: withActivation(spec, d.activation), name: d.name };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const d = parseWith(PoolConfig, c, `${at}.config`, context);
      const type = layer.class_name === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d';
      const strides = d.strides ?? d.pool_size;
      const spec: LayerSpec = {
        type,
        poolSize: compact(d.pool_size),
        ...(same(strides, d.pool_size) ? {} : { strides: compact(strides) }),
        ...(d.padding === 'same' ? { padding: 'same' as const } : {}),
      };
      return { specs: [spec], name: d.name };
    }
    case 'Flatten':
      return {
        specs: [{ type: 'flatten' }],
        name: parseWith(FlattenConfig, c, `${at}.config`, context).name,
      };
    case 'Reshape': {
      const d = parseWith(ReshapeConfig, c, `${at}.config`, context);
      return { specs: [{ type: 'flatten' }], name: d.name, width: d.target_shape[0] };
    }
    case 'Activation': {
      const d = parseWith(ActivationConfig, c, `${at}.config`, context);
      return { specs: [{ type: 'activation', activation: d.activation }], name: d.name };
    }
    case 'Embedding': {
      const d = parseWith(EmbeddingConfig, c, `${at}.config`, context);
      return { specs: [{ type: 'embedding', inputDim: d.input_dim, outputDim: d.output_dim }], name: d.name };
    }
    case 'LayerNormalization': {
      const d = parseWith(LayerNormConfig, c, `${at}.config`, context);
      return {
        specs: [{ type: 'layerNorm', ...(d.epsilon === undefined ? {} : { epsilon: d.epsilon }) }],
        name: d.name,
      };
    }
    default:
      throw new ConfigError(
        [
          {
            path: `${at}.class_name`,
            value: layer.class_name,
            allowed:
              'one of InputLayer, Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Reshape, Activation, Embedding, LayerNormalization',
          },
        ],
        context,
      );
  }
}

/**
 * Maps a Sequential topology's layers to Veil layer specs and the per-example input shape.
 * @param layers `modelTopology.config.layers`
 * @param context what the file is, for error messages
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a layer Veil cannot build, naming its path
 */
export function veilLayers(layers: readonly KerasLayerJson[], context: string): VeilLayers {
  const at = (i: number) => `modelTopology.config.layers[${i}]`;
  const first = layers[0]!;
  let start = 0;
  let batchInput: readonly (number | null)[] | undefined;
  if (first.class_name === 'InputLayer') {
    batchInput = parseWith(InputLayerConfig, first.config, `${at(0)}.config`, context).batch_input_shape;
    start = 1;
  } else {
    const shape = first.config['batch_input_shape'];
    batchInput =
      shape === undefined
        ? undefined
        : parseWith(batchShape, shape, `${at(0)}.config.batch_input_shape`, context);
  }
  if (batchInput === undefined) {
    throw new ConfigError(
      [
        {
          path: `${at(0)}.config.batch_input_shape`,
          value: undefined,
          allowed: 'an InputLayer or a batch input shape on the first layer',
        },
      ],
      context,
    );
  }
  const specs: LayerSpec[] = [];
  const owners: string[] = [];
  const reshapeWidths = new Map<number, number>();
  const seen = new Set<string>();
  for (let i = start; i < layers.length; i++) {
    const layer = layers[i]!;
    if (layer.class_name === 'InputLayer') {
      throw new ConfigError(
        [
          {
            path: `${at(i)}.class_name`,
            value: 'InputLayer',
            allowed: 'an InputLayer only as the first layer',
          },
        ],
        context,
      );
    }
    const mapped = toVeil(layer, at(i), context);
    if (seen.has(mapped.name)) {
      throw new ConfigError(
        [{ path: `${at(i)}.config.name`, value: mapped.name, allowed: 'a layer name unique in the model' }],
        context,
      );
    }
    seen.add(mapped.name);
    if (mapped.width !== undefined) reshapeWidths.set(specs.length, mapped.width);
    for (const spec of mapped.specs) {
      specs.push(spec);
      owners.push(mapped.name);
    }
  }
  if (specs.length === 0) {
    throw new ConfigError(
      [
        {
          path: 'modelTopology.config.layers',
          value: layers,
          allowed: 'at least one layer after the InputLayer',
        },
      ],
      context,
    );
  }
  return { inputShape: batchInput.slice(1) as number[], layers: specs, owners, reshapeWidths };
}
