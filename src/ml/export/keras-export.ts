/**
 * Veil layers to Keras layer configs, as tfjs-layers 4.22 deserialises them (`tf.loadLayersModel`).
 *
 * Every layer gets an explicit, unique name (`dense_1`, `conv2d_1`, `activation_2`, ...). tfjs-layers names a
 * layer's variables `<layer name>/<weight name>` (the layer's name scope; `LayerVariable.originalName`) and
 * `LayersModel.loadWeights` matches manifest entries to variables by that name, so the manifest lists
 * `<layer name>/kernel`, `/bias`, `/embeddings`, `/gamma`, `/beta`: Veil's parameter names are Keras' names.
 * Veil's weight layouts are Keras' (Dense [in, out], Conv2D HWIO, Embedding [inputDim, outputDim]).
 */
import { UnsupportedError } from '../../core/index.js';
import { Activation, type ActivationSpec, TANH_AS_TEMPERED } from '../layers/activation.js';
import { Conv2D } from '../layers/conv2d.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import type { Layer } from '../layers/layer.js';
import { GroupNorm, LayerNorm } from '../layers/normalization.js';
import { AvgPool2D, Flatten, MaxPool2D } from '../layers/pooling.js';
import type { SequentialModel } from '../models/sequential.js';
import type { JsonObject, KerasLayerJson, WeightSpecJson } from './schema.js';

/** The Keras activations Veil exports and reads (Veil models end in logits: no softmax). */
export const KERAS_ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid'] as const;
/** A Keras activation name Veil supports. */
export type KerasActivation = (typeof KERAS_ACTIVATIONS)[number];

/** The Keras side of a Veil model: the layer configs (after the InputLayer) and the weights, in order. */
export interface KerasLayers {
  readonly inputLayer: KerasLayerJson;
  readonly layers: readonly KerasLayerJson[];
  readonly weights: readonly WeightSpecJson[];
}

const GLOROT_UNIFORM = { class_name: 'GlorotUniform', config: { seed: null } };
const ZEROS = { class_name: 'Zeros', config: {} };
const ONES = { class_name: 'Ones', config: {} };
const NO_REGULARIZER = { activity_regularizer: null };

function kerasActivation(activation: ActivationSpec, where: string): KerasActivation {
  if (typeof activation === 'string') return activation;
  const { scale, inverseTemperature, offset } = activation;
  if (
    scale === TANH_AS_TEMPERED.scale &&
    inverseTemperature === TANH_AS_TEMPERED.inverseTemperature &&
    offset === TANH_AS_TEMPERED.offset
  ) {
    return 'tanh';
  }
  throw new UnsupportedError(
    `exportLayersModel: ${where} is a tempered sigmoid (scale ${scale}, inverseTemperature ${inverseTemperature}, offset ${offset}) ` +
      'that TensorFlow.js has no activation for; only scale 2, inverseTemperature 2, offset 1 (exactly tanh) can be exported',
    { layer: where, activation },
  );
}

/** Keras' class name and config for one built Veil layer (without the name). */
function kerasLayer(layer: Layer, where: string): { className: string; base: string; config: JsonObject } {
  if (layer instanceof Dense) {
    return {
      className: 'Dense',
      base: 'dense',
      config: {
        units: layer.units,
        activation: 'linear',
        use_bias: layer.useBias,
        kernel_initializer: GLOROT_UNIFORM,
        bias_initializer: ZEROS,
        kernel_regularizer: null,
        bias_regularizer: null,
        ...NO_REGULARIZER,
        kernel_constraint: null,
        bias_constraint: null,
      },
    };
  }
  if (layer instanceof Conv2D) {
    return {
      className: 'Conv2D',
      base: 'conv2d',
      config: {
        filters: layer.filters,
        kernel_size: [...layer.kernelSize],
        strides: [...layer.strides],
        padding: layer.padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: 'linear',
        use_bias: layer.useBias,
        kernel_initializer: GLOROT_UNIFORM,
        bias_initializer: ZEROS,
        kernel_regularizer: null,
        bias_regularizer: null,
        ...NO_REGULARIZER,
        kernel_constraint: null,
        bias_constraint: null,
      },
    };
  }
  if (layer instanceof MaxPool2D || layer instanceof AvgPool2D) {
    const max = layer instanceof MaxPool2D;
    return {
      className: max ? 'MaxPooling2D' : 'AveragePooling2D',
      base: max ? 'max_pooling2d' : 'average_pooling2d',
      config: {
        pool_size: [...layer.poolSize],
        strides: [...layer.strides],
        padding: layer.padding,
        data_format: 'channels_last',
      },
    };
  }
  if (layer instanceof Flatten) {
    // tfjs-layers' Flatten requires a rank >= 3 input (with the batch); on a flat input Veil's flatten is the
    // identity, which Keras writes as a Reshape to the same width.
    return layer.inputShape.length === 1
      ? { className: 'Reshape', base: 'reshape', config: { target_shape: [layer.outputShape[0]!] } }
      : { className: 'Flatten', base: 'flatten', config: { data_format: 'channels_last' } };
  }
  if (layer instanceof Activation) {
    return {
      className: 'Activation',
      base: 'activation',
      config: { activation: kerasActivation(layer.activation, where) },
    };
  }
  if (layer instanceof Embedding) {
    return {
      className: 'Embedding',
      base: 'embedding',
      config: {
        input_dim: layer.inputDim,
        output_dim: layer.outputDim,
        embeddings_initializer: {
          class_name: 'RandomUniform',
          config: { minval: -0.05, maxval: 0.05, seed: null },
        },
        embeddings_regularizer: null,
        ...NO_REGULARIZER,
        embeddings_constraint: null,
        mask_zero: false,
        input_length: layer.inputShape[0]!,
      },
    };
  }
  if (layer instanceof LayerNorm) {
    return {
      className: 'LayerNormalization',
      base: 'layer_normalization',
      config: {
        axis: -1,
        epsilon: layer.epsilon,
        center: true,
        scale: true,
        beta_initializer: ZEROS,
        gamma_initializer: ONES,
        beta_regularizer: null,
        gamma_regularizer: null,
      },
    };
  }
  if (layer instanceof GroupNorm) {
    throw new UnsupportedError(
      `exportLayersModel: ${where} (groupNorm) has no TensorFlow.js equivalent: tfjs-layers has no GroupNormalization ` +
        'layer; train with layerNorm to export the model',
      { layer: where },
    );
  }
  throw new UnsupportedError(`exportLayersModel: ${where} (${layer.type}) has no TensorFlow.js mapping`, {
    layer: where,
  });
}

/**
 * The Keras layer configs and weight specs of a built model.
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a layer TF.js cannot run (groupNorm, a non-tanh tempered sigmoid)
 */
export function kerasLayers(model: SequentialModel): KerasLayers {
  const counts = new Map<string, number>();
  const layers: KerasLayerJson[] = [];
  const weights: WeightSpecJson[] = [];
  model.layers.forEach((layer, i) => {
    const { className, base, config } = kerasLayer(layer, `layer ${i} (${layer.type})`);
    const n = (counts.get(base) ?? 0) + 1;
    counts.set(base, n);
    const name = `${base}_${n}`;
    layers.push({ class_name: className, config: { name, trainable: true, dtype: 'float32', ...config } });
    for (const p of layer.params)
      weights.push({ name: `${name}/${p.name}`, shape: [...p.shape], dtype: 'float32' });
  });
  const inputLayer: KerasLayerJson = {
    class_name: 'InputLayer',
    config: {
      batch_input_shape: [null, ...model.inputShape],
      dtype: 'float32',
      sparse: false,
      name: 'input_1',
    },
  };
  return { inputLayer, layers, weights };
}
