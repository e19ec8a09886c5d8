/**
 * What the demo compares the federated model with, on the same held-out test set: the same model trained on the
 * pooled data without privacy (what sharing the data would give), and each hospital training alone under the
 * same budget. Also the accuracy of a global model of the federation.
 */
import { type Rng, seededRng } from '../../core/index.js';
import { type FederatedData, federationModel, loadParams } from '../../fl/index.js';
import { type Dataset, SequentialModel } from '../../ml/index.js';
import { evaluateModel, trainModel } from '../../train/index.js';
import { type DemoSettings, demoFederation } from './federation.js';

/** Trains the demo's model centrally on `train` (a baseline) and returns its accuracy on `data.test`. */
export function trainAlone(
  data: FederatedData,
  s: DemoSettings,
  train: Dataset,
  privacy: 'dp' | 'non-private',
  rng: Rng,
): number {
  const { spec } = federationModel(
    demoFederation(s, data.nodes.length),
    train.featureShape,
    train.numClasses,
  );
  const model = new SequentialModel(spec, train.featureShape, train.numClasses, rng);
  const epochs = s.rounds * s.localEpochs; // the same passes over the data as the federation's nodes make
  trainModel({
    model,
    train,
    epochs,
    batchSize: Math.min(s.batchSize, train.numExamples),
    // the demo's hospital sizes are fixed by its settings, so public by construction
    publicSize: train.numExamples,
    optimizer: { kind: 'sgd', learningRate: s.learningRate, momentum: 0 },
    privacy:
      privacy === 'dp'
        ? { kind: 'dp', targetEpsilon: s.localEpsilon, delta: s.delta }
        : { kind: 'non-private' },
    ...(privacy === 'dp' ? { clipping: { kind: 'flat', maxGradNorm: s.maxGradNorm } } : {}),
    rng,
  });
  return evaluateModel(model, data.test).accuracy;
}

/** The accuracy on `data.test` of the federation's global model `global` (its parameters). */
export function globalAccuracy(data: FederatedData, s: DemoSettings, global: Float32Array): number {
  const first = data.nodes[0]!.train;
  const { spec } = federationModel(
    demoFederation(s, data.nodes.length),
    first.featureShape,
    first.numClasses,
  );
  const model = new SequentialModel(spec, first.featureShape, first.numClasses, seededRng(0));
  loadParams(model.params, global);
  return evaluateModel(model, data.test).accuracy;
}
