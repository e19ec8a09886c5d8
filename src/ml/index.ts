/**
 * @module veil/ml
 *
 * The tensor engine for private training (ARCHITECTURE decision 3): a minimal float32 tensor, layers that own
 * their forward/backward algebra and return per-example gradients in factored form (ghost norms for dense
 * layers, batched products over unfolded patches for convolutions), losses, sequential models built from
 * declarative specs, optimizers, metrics, datasets and the embedded demo data. The heavy loops run in Veil's own
 * WebAssembly SIMD kernels (kernels/wasm); TensorFlow.js (backend.ts) is only a test oracle for them.
 *
 * @example
 * import { parseModelSpec, SequentialModel, Tensor } from 'veil/ml';
 * const model = new SequentialModel(parseModelSpec('mlp:64', 2), [10], 2, seededRng(1));
 * const { loss, grads } = model.lossAndGradients(new Tensor([4, 10]), Int32Array.of(0, 1, 0, 1));
 */
export {
  type CsvDataset,
  type CsvDatasetOptions,
  encodeCsv,
  encodeCsvFeatures,
  loadCsvDataset,
} from './data/csv.js';
export { type CsvSource, readCsvTable } from './data/csv-table.js';
export {
  type CreateDatasetOptions,
  classCounts,
  createDataset,
  type Dataset,
  type DatasetInfo,
  datasetInfo,
  exampleFeatures,
  featureSize,
  subset,
} from './data/dataset.js';
export {
  type CategorySpec,
  type ColumnDomain,
  type Domain,
  type DomainEntry,
  type DomainSpec,
  loadDomainFile,
  MAX_BINS,
  type NumericDomain,
  parseDomain,
} from './data/domain.js';
export {
  type CategoricalColumnEncoding,
  type ColumnEncoding,
  type ColumnProvenance,
  type Encoder,
  encoderFeatureNames,
  type LabelEncoding,
  type NumericColumnEncoding,
  parseEncoder,
} from './data/encoder.js';
export {
  NUMERIC_SCALINGS,
  type NumericBounds,
  type NumericScaling,
  oneHot,
  parseDecimal,
  scaleFeatures,
  scaleToBounds,
  standardise,
} from './data/encoding.js';
export type { CsvColumnReport, DeclaredBy } from './data/fit.js';
export { sampleDirichlet, sampleGamma, sampleLogGamma } from './data/gamma.js';
export {
  DEMO_HOSPITALS,
  DIABETES_MODEL,
  generateHospital,
  type HospitalProfile,
  type PatientRecord,
} from './data/hospitals.js';
export {
  encodeIdx,
  type IdxArray,
  type IdxData,
  type IdxDataType,
  parseIdx,
  readIdxFile,
} from './data/idx.js';
export {
  datasetFromIdx,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_DIR,
  FASHION_MNIST_FILES,
  loadFashionMnist,
  loadIdxDataset,
  type TrainTestDatasets,
} from './data/image-datasets.js';
export {
  type DatasetPartition,
  type PartitionOptions,
  partitionDirichlet,
  partitionIid,
  partitionQuantitySkew,
  type QuantitySkew,
} from './data/partition.js';
export { splitAt, type TrainTestSplit, type TrainTestSplitOptions, trainTestSplit } from './data/split.js';
export {
  loadModel,
  loadModelWithMetadata,
  MODEL_FILE,
  type SavedModelFiles,
  type SaveOptions,
  saveModel,
} from './export/files.js';
export { type ImportSource, importLayersModel, type LoadedModel } from './export/import-model.js';
export {
  type ExportedLayersModel,
  type ExportOptions,
  exportLayersModel,
  WEIGHTS_FILE,
} from './export/layers-model.js';
export type {
  JsonObject,
  KerasLayerJson,
  LayersModelJson,
  VeilModelMetadata,
  WeightGroupJson,
  WeightSpecJson,
} from './export/schema.js';
/** Frees the kernels' working memory; arrays from earlier passes become invalid (for code driving layers itself). */
export { arenaReset } from './kernels/wasm/runtime.js';
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
  modelParameterCount,
  parseLayerSpec,
  parseModelSpec,
  SUPPORTED_LAYERS,
} from './models/spec.js';
export { createOptimizer, type Optimizer, type OptimizerSpec } from './optimizers/optimizers.js';
export { checkShape, shapeSize, Tensor } from './tensor.js';
