import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { SequentialModel } from '../models/sequential.js';
import { parseModelSpec } from '../models/spec.js';
import { exportLayersModel } from './layers-model.js';
import { buildCase, CNN, expectVeilError, LOGREG, MLP, TEXT } from './testing.js';

describe('exportLayersModel', () => {
  it('writes cnn:papernot as a Keras Sequential topology tfjs-layers can deserialise', () => {
    const model = buildCase(CNN);
    const { modelJson, weightData } = exportLayersModel(model);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.modelTopology.class_name).toBe('Sequential');
    const layers = modelJson.modelTopology.config.layers;
    expect(layers.map((l) => l.class_name)).toEqual([
      'InputLayer',
      'Conv2D',
      'Activation',
      'MaxPooling2D',
      'Conv2D',
      'Activation',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Activation',
      'Dense',
    ]);
    expect(layers[0]!.config).toMatchObject({ batch_input_shape: [null, 28, 28, 1], dtype: 'float32' });
    expect(layers[1]!.config).toMatchObject({
      name: 'conv2d_1',
      filters: 16,
      kernel_size: [8, 8],
      strides: [2, 2],
      padding: 'same',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'linear',
      use_bias: true,
    });
    expect(layers[3]!.config).toMatchObject({
      name: 'max_pooling2d_1',
      pool_size: [2, 2],
      strides: [1, 1],
      padding: 'valid',
    });
    expect(layers[10]!.config).toMatchObject({ name: 'dense_2', units: 10, activation: 'linear' });
    const weights = modelJson.weightsManifest[0]!.weights;
    expect(modelJson.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    expect(weights.map((w) => w.name)).toEqual([
      'conv2d_1/kernel',
      'conv2d_1/bias',
      'conv2d_2/kernel',
      'conv2d_2/bias',
      'dense_1/kernel',
      'dense_1/bias',
      'dense_2/kernel',
      'dense_2/bias',
    ]);
    expect(weights[0]).toEqual({ name: 'conv2d_1/kernel', shape: [8, 8, 1, 16], dtype: 'float32' });
    expect(weightData.length).toBe(4 * model.parameterCount);
    const veil = modelJson.userDefinedMetadata.veil;
    expect(veil).toMatchObject({
      formatVersion: 1,
      loss: 'softmax-cross-entropy',
      numClasses: 10,
      output: 'logits',
    });
    expect(veil.spec).toEqual(model.spec);
    expect(veil.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes a binary logreg as one logit, its identity flatten as a Reshape', () => {
    const { modelJson } = exportLayersModel(buildCase(LOGREG), { classNames: ['no', 'yes'] });
    const layers = modelJson.modelTopology.config.layers;
    expect(layers.map((l) => l.class_name)).toEqual(['InputLayer', 'Reshape', 'Dense']);
    expect(layers[1]!.config).toMatchObject({ target_shape: [6] });
    expect(layers[2]!.config).toMatchObject({ units: 1, activation: 'linear' });
    expect(modelJson.userDefinedMetadata.veil).toMatchObject({
      loss: 'binary-cross-entropy',
      numClasses: 2,
      output: 'logits',
      classNames: ['no', 'yes'],
    });
    expect(modelJson.modelTopology.config.name).toBe('logreg');
  });

  it('writes the tempered sigmoid (2, 2, 1) as tanh and keeps the Veil spec in the metadata', () => {
    const { modelJson } = exportLayersModel(buildCase(TEXT));
    const activation = modelJson.modelTopology.config.layers.find((l) => l.class_name === 'Activation');
    expect(activation?.config['activation']).toBe('tanh');
    expect(JSON.stringify(modelJson.userDefinedMetadata.veil.spec)).toContain('temperedSigmoid');
  });

  it('refuses groupNorm, naming the layer and why', () => {
    const spec = parseModelSpec(
      JSON.stringify({
        layers: [
          { type: 'conv2d', filters: 4, kernelSize: 3 },
          { type: 'groupNorm', groups: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 2 },
        ],
      }),
      2,
    );
    const model = new SequentialModel(spec, [5, 5, 1], 2, seededRng(1));
    const error = expectVeilError(() => exportLayersModel(model), 'VEIL_UNSUPPORTED');
    expect(error.message).toContain('layer 1 (groupNorm)');
    expect(error.message).toContain('no GroupNormalization');
  });

  it('refuses a tempered sigmoid that is not tanh', () => {
    const activation = { type: 'temperedSigmoid', scale: 1.5, inverseTemperature: 2, offset: 0.5 };
    const spec = parseModelSpec(
      JSON.stringify({
        layers: [
          { type: 'dense', units: 4 },
          { type: 'activation', activation },
          { type: 'dense', units: 2 },
        ],
      }),
      2,
    );
    const model = new SequentialModel(spec, [3], 2, seededRng(1));
    const error = expectVeilError(() => exportLayersModel(model), 'VEIL_UNSUPPORTED');
    expect(error.message).toContain('layer 1 (activation)');
    expect(error.message).toContain('exactly tanh');
  });

  it('refuses class names of the wrong count and metadata that is not a JSON object', () => {
    const model = buildCase(MLP);
    expectVeilError(() => exportLayersModel(model, { classNames: ['a', 'b'] }), 'VEIL_INVALID_PARAMETER');
    const cyclic: { [key: string]: unknown } = {};
    cyclic['self'] = cyclic;
    expectVeilError(() => exportLayersModel(model, { privacy: cyclic }), 'VEIL_INVALID_PARAMETER');
    expectVeilError(
      () => exportLayersModel(model, { preprocessing: [1, 2] as unknown as { [key: string]: unknown } }),
      'VEIL_INVALID_PARAMETER',
    );
  });
});
