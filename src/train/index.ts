/**
 * @module veil/train
 *
 * Differentially private training: DP-SGD and DP-Adam with Poisson sampling, virtual steps, flat / per-layer /
 * adaptive clipping, Gaussian noise from the CSPRNG and an accountant fed every step; the same engine trains
 * without privacy for baselines.
 *
 * @example
 * import { trainModel } from 'veil/train';
 * const result = trainModel({ model, train, test, epochs: 5, batchSize: 256,
 *   optimizer: { kind: 'sgd', learningRate: 0.5 }, privacy: { kind: 'dp', targetEpsilon: 3, delta: 1e-5 },
 *   clipping: { kind: 'flat', maxGradNorm: 1 }, rng: csprng() });
 */
export {
  adaptiveGradientNoise,
  type ClippingSpec,
  ClippingState,
  checkClipping,
  countNoiseOf,
} from './clipping.js';
export {
  type PlanInput,
  type PrivacySpec,
  plannedEvents,
  planTraining,
  type TrainingPlan,
} from './plan.js';
export { permutation, poissonSample } from './sampling.js';
export {
  type EpochMetrics,
  evaluate,
  evaluateModel,
  type TrainingData,
  type TrainingProgress,
  type TrainOptions,
  type TrainResult,
  trainModel,
} from './trainer.js';
