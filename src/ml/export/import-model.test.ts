import { describe, expect, it } from 'vitest';
import { importLayersModel } from './import-model.js';
import { exportLayersModel } from './layers-model.js';
import type { LayersModelJson } from './schema.js';
import {
  buildCase,
  caseInput,
  expectConfigIssue,
  expectSameParams,
  expectVeilError,
  LOGREG,
  logitsOf,
  MLP,
  MODEL_CASES,
} from './testing.js';

/** A deep, mutable copy of a model.json to damage in a test. */
type Mutable = { [key: string]: Mutable } & Mutable[];
const copy = (json: LayersModelJson): Mutable => JSON.parse(JSON.stringify(json)) as Mutable;

describe('importLayersModel', () => {
  it.each(MODEL_CASES)('reads back $label with the same parameters and logits, bit for bit', (c) => {
    const model = buildCase(c);
    const x = caseInput(c, 4);
    const expected = logitsOf(model, x);
    const { modelJson, weightData } = exportLayersModel(model, { privacy: { epsilon: 3, delta: 1e-5 } });
    const { model: loaded, metadata } = importLayersModel(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.spec).toEqual(model.spec);
    expect(loaded.inputShape).toEqual(model.inputShape);
    expectSameParams(loaded, model);
    expect(logitsOf(loaded, x)).toEqual(expected);
    expect(metadata?.privacy).toEqual({ epsilon: 3, delta: 1e-5 });
    expect(exportLayersModel(loaded, { privacy: { epsilon: 3, delta: 1e-5 } }).modelJson).toEqual(modelJson);
  });

  it('reads a LayersModel without a Veil block, inferring the loss from the output width', () => {
    const model = buildCase(LOGREG);
    const { modelJson, weightData } = exportLayersModel(model);
    const json = copy(modelJson) as unknown as { userDefinedMetadata?: unknown };
    delete json.userDefinedMetadata;
    const { model: loaded, metadata } = importLayersModel(json, weightData);
    expect(metadata).toBeNull();
    expect(loaded.loss).toBe('binary-cross-entropy');
    expect(loaded.spec.layers).toEqual(model.spec.layers);
    const x = caseInput(LOGREG, 3);
    expect(logitsOf(loaded, x)).toEqual(logitsOf(model, x));
  });

  it('maps a Keras Dense with an activation to dense + activation', () => {
    const { modelJson, weightData } = exportLayersModel(buildCase(MLP));
    const json = copy(modelJson);
    delete json['userDefinedMetadata'];
    const layers = json['modelTopology']!['config']!['layers']!;
    layers[2]!['config']!['activation'] = 'relu' as unknown as Mutable;
    const { model } = importLayersModel(json, weightData);
    expect(model.spec.layers.slice(0, 4)).toEqual([
      { type: 'flatten' },
      { type: 'dense', units: 16 },
      { type: 'activation', activation: 'relu' },
      { type: 'activation', activation: 'tanh' },
    ]);
  });

  it('reads Keras variants: batch_input_shape on the first layer, a model_config wrapper', () => {
    const model = buildCase(MLP);
    const { modelJson, weightData } = exportLayersModel(model);
    const json = copy(modelJson);
    delete json['userDefinedMetadata'];
    const config = json['modelTopology']!['config']!;
    const [input, first] = [config['layers']![0]!, config['layers']![1]!];
    first['config']!['batch_input_shape'] = input['config']!['batch_input_shape']!;
    config['layers']!.shift();
    json['modelTopology'] = {
      keras_version: '2.15.0',
      model_config: json['modelTopology'],
    } as unknown as Mutable;
    const x = caseInput(MLP, 3);
    expect(logitsOf(importLayersModel(json, weightData).model, x)).toEqual(logitsOf(model, x));
  });

  it('refuses, without a Veil block, an output layer that does not give logits', () => {
    const { modelJson, weightData } = exportLayersModel(buildCase(LOGREG));
    const json = copy(modelJson);
    delete json['userDefinedMetadata'];
    json['modelTopology']!['config']!['layers']![2]!['config']!['activation'] =
      'sigmoid' as unknown as Mutable;
    const error = expectConfigIssue(
      () => importLayersModel(json, weightData),
      "modelTopology.config.layers (the last layer, 'dense_1')",
    );
    expect(error.message).toContain('output logits');
  });

  describe('refuses malformed artifacts, naming the field', () => {
    const model = buildCase(MLP);
    const { modelJson, weightData } = exportLayersModel(model);
    const damaged = (edit: (json: Mutable) => void): Mutable => {
      const json = copy(modelJson);
      edit(json);
      return json;
    };
    const layer = (json: Mutable, i: number) => json['modelTopology']!['config']!['layers']![i]!;
    const weight = (json: Mutable, i: number) => json['weightsManifest']![0]!['weights']![i]!;
    const set = (obj: Mutable, key: string, value: unknown) => {
      obj[key] = value as Mutable;
    };

    it('a graph model or a missing manifest', () => {
      expectConfigIssue(
        () =>
          importLayersModel(
            damaged((j) => set(j, 'format', 'graph-model')),
            weightData,
          ),
        'format',
      );
      expectConfigIssue(
        () =>
          importLayersModel(
            damaged((j) => delete j['weightsManifest']),
            weightData,
          ),
        'weightsManifest',
      );
      expectConfigIssue(() => importLayersModel(null, weightData), '(root)');
    });

    it('layers Veil has no equivalent for', () => {
      const lstm = damaged((j) => set(layer(j, 2), 'class_name', 'LSTM'));
      expectConfigIssue(
        () => importLayersModel(lstm, weightData),
        'modelTopology.config.layers[2].class_name',
      );
      const softmax = damaged((j) => set(layer(j, 5)['config']!, 'activation', 'softmax'));
      const error = expectConfigIssue(
        () => importLayersModel(softmax, weightData),
        'modelTopology.config.layers[5].config.activation',
      );
      expect(error.message).toContain('drop a final softmax');
      const noUnits = damaged((j) => delete layer(j, 2)['config']!['units']);
      expectConfigIssue(
        () => importLayersModel(noUnits, weightData),
        'modelTopology.config.layers[2].config.units',
      );
    });

    it('weights that are not float32, duplicated, missing, misshapen or unknown', () => {
      expectConfigIssue(
        () =>
          importLayersModel(
            damaged((j) => set(weight(j, 0), 'dtype', 'int32')),
            weightData,
          ),
        'weightsManifest[0].weights[0].dtype',
      );
      expectConfigIssue(
        () =>
          importLayersModel(
            damaged((j) => set(weight(j, 1), 'name', 'dense_1/kernel')),
            weightData,
          ),
        'weightsManifest[0].weights[1].name',
      );
      expectConfigIssue(
        () =>
          importLayersModel(
            damaged((j) => set(weight(j, 1), 'name', 'dense_9/bias')),
            weightData,
          ),
        'weightsManifest: dense_1/bias',
      );
      expectConfigIssue(
        () =>
          importLayersModel(
            damaged((j) => set(weight(j, 0), 'shape', [16, 6])),
            weightData,
          ),
        'weightsManifest[0].weights[0].shape',
      );
      expectConfigIssue(
        () =>
          importLayersModel(
            damaged((j) => set(j['weightsManifest']![0]!, 'paths', ['../x.bin'])),
            weightData,
          ),
        'weightsManifest[0].paths[0]',
      );
    });

    it('weight bytes of the wrong length, or that fail the recorded SHA-256', () => {
      const error = expectConfigIssue(
        () => importLayersModel(modelJson, weightData.subarray(0, weightData.length - 4)),
        'weights.bin',
      );
      expect(error.message).toContain(`${weightData.length} bytes`);
      const flipped = Uint8Array.from(weightData);
      flipped[10]! ^= 1;
      expectVeilError(() => importLayersModel(modelJson, flipped), 'VEIL_INTEGRITY_FAILED');
    });

    it('a Veil block that does not describe the topology', () => {
      const json = damaged((j) =>
        set(j['userDefinedMetadata']!['veil']!['spec']!['layers']![1]!, 'units', 17),
      );
      expectConfigIssue(() => importLayersModel(json, weightData), 'userDefinedMetadata.veil.spec');
      const version = damaged((j) => set(j['userDefinedMetadata']!['veil']!, 'formatVersion', 2));
      expectConfigIssue(
        () => importLayersModel(version, weightData),
        'userDefinedMetadata.veil.formatVersion',
      );
    });
  });
});
