/**
 * @module veil/ml
 *
 * The tensor engine for private training (ARCHITECTURE decision 3): a minimal float32 tensor, layers that own
 * their forward/backward algebra and return per-example gradients in factored form (ghost norms for dense
 * layers, batched products over unfolded patches for convolutions), losses, sequential models built from
 * declarative specs, optimizers, metrics, datasets and the embedded demo data. Heavy matrix products run on
 * TensorFlow.js' WASM backend (backend.ts, the only importer of @tensorflow/*); call `initBackend()` first.
 *
 * @example
 * import { initBackend, parseModelSpec, SequentialModel, Tensor } from 'veil/ml';
 * await initBackend();
 * const model = new SequentialModel(parseModelSpec('mlp:64', 2), [10], 2, seededRng(1));
 * const { loss, grads } = model.lossAndGradients(new Tensor([4, 10]), Int32Array.of(0, 1, 0, 1));
 */
export { type BackendInfo, backendTensorCount, initBackend } from './backend.js';
export {
  DEMO_HOSPITALS,
  DIABETES_MODEL,
  generateHospital,
  type HospitalProfile,
  type PatientRecord,
} from './data/hospitals.js';
export { type ActivationSpec, TANH_AS_TEMPERED } from './layers/activation.js';
export type { BackwardResult, ForwardResult, Layer, Param, ParamGradient } from './layers/layer.js';
export {
  binaryCrossEntropy,
  type LossKind,
  type LossResult,
  lossFunction,
  softmaxCrossEntropy,
} from './losses/losses.js';
export { accuracy } from './metrics/metrics.js';
export { buildLayer, type ForwardPass, SequentialModel } from './models/sequential.js';
export {
  type LayerSpec,
  LayerSpecSchema,
  MODEL_SHORTHANDS,
  type ModelSpec,
  parseLayerSpec,
  parseModelSpec,
  SUPPORTED_LAYERS,
} from './models/spec.js';
export { createOptimizer, type Optimizer, type OptimizerSpec } from './optimizers/optimizers.js';
export { checkShape, shapeSize, Tensor } from './tensor.js';
