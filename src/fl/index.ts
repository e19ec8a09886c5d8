/**
 * @module veil/fl
 *
 * Federated learning: the coordinator and node state machines (transport-agnostic: the same code runs over
 * gRPC with mutual TLS and in the in-memory simulation), server strategies (FedAvg, FedProx, FedAdam, FedYogi,
 * FedAdagrad), central DP as a wrapper (DP-FedAvg with adaptive clipping), robust aggregators (norm bound,
 * coordinate-wise median, trimmed mean, Krum/multi-Krum, geometric median), node selection, update compression
 * (stochastic quantisation, top-k with error feedback), personalisation (FedPer, Ditto) and update validation.
 *
 * @example
 * import { Coordinator, FederatedNode, fedAvg } from 'veil/fl';
 * import { createInMemoryClient } from 'veil/transport';
 */
export {
  type AggregatorKind,
  type AggregatorOutput,
  type AggregatorSpec,
  checkAggregatorSpec,
  combineUpdates,
  coordinateMedian,
  type GeometricMedianOptions,
  geometricMedian,
  type KrumOptions,
  krum,
  krumMinimumUpdates,
  type MeanOptions,
  minimumUpdates,
  type NormBoundOptions,
  normBound,
  type TrimmedMeanOptions,
  trimmedMean,
  type Weighting,
  weightedMean,
} from './aggregators/index.js';
export { epsilonSpent, memoryBudget, type PrivacyBudget } from './budget.js';
export {
  densify,
  dequantize,
  type EncodedUpdate,
  encodedBytes,
  packedLength,
  packLevels,
  type QuantizationBits,
  type QuantizedVector,
  type QuantizeOptions,
  quantize,
  type SparseVector,
  TopKCompressor,
  unpackLevels,
} from './compression/index.js';
export {
  buildStrategy,
  centralDelta,
  configHash,
  configIssues,
  coordinatorOptionsFrom,
  type FederationConfig,
  type FederationOptionKey,
  FederationSchema,
  federationModel,
  localTraining,
  parseFederation,
  secureAggregationSpec,
} from './config/index.js';
export {
  type CheckpointStore,
  type CompressionSpec,
  Coordinator,
  type CoordinatorCheckpoint,
  type CoordinatorEvent,
  type CoordinatorOptions,
  type CoordinatorSummary,
  type EvaluationRecord,
  type FederationModel,
  fileCheckpointStore,
  type LocalTrainingSpec,
  memoryCheckpointStore,
  type NodeRecord,
  type RoundRecord,
  type SecureAggregationSpec,
  type SecureRoundRecord,
  type SecureStage,
} from './coordinator/index.js';
export {
  FederatedNode,
  type LocalPrivacySpec,
  type NodeEvent,
  type NodeOptions,
  type NodeSummary,
  type PersonalizationSpec,
} from './node/index.js';
export {
  maskLocal,
  mergeGlobalIntoLocal,
  proximalGradient,
  proximalPenalty,
  sharedMask,
} from './personalization/index.js';
export {
  decodeDelta,
  decodeParameters,
  encodeDelta,
  encodeParameters,
  flattenParams,
  loadParams,
  PROTOCOL_VERSION,
} from './protocol/index.js';
export {
  type PlannedSamples,
  SAMPLES_PROTOCOL_VERSION,
  SampleCollector,
  type SampleCollectorOptions,
  type SampleRecord,
  type SamplesClient,
  sampleTerms,
  sendSamples,
  termsProblem,
} from './samples/index.js';
export {
  type Candidate,
  checkSelectionSpec,
  expectedSelectionSize,
  type SelectionSpec,
  selectNodes,
} from './selection/index.js';
export {
  type ByzantineSpec,
  type FederatedData,
  hospitalDataset,
  loadedDataShape,
  loadFederatedData,
  MAX_SECURE_ROUND_NODES,
  NODE_OBJECT_BYTES,
  type NodeData,
  type NodeRoundBytes,
  PARAMETER_COPIES,
  parseSimulationData,
  rngFactory,
  SECURE_PAIR_BYTES,
  type SimulationData,
  SimulationDataSchema,
  type SimulationDataShape,
  type SimulationFootprint,
  type SimulationLocalPrivacy,
  type SimulationOptions,
  type SimulationResult,
  simulate,
  simulationDataShape,
  simulationFootprint,
} from './simulation/index.js';
export {
  type AggregationResult,
  type ClippedSum,
  DEFAULT_MAX_UPDATE_NORM,
  type FedAvgOptions,
  type FedOptOptions,
  type FedProxOptions,
  fedAdagrad,
  fedAdam,
  fedAvg,
  fedProx,
  fedYogi,
  type NodeSampling,
  type RoundOutcome,
  type ServerDpClipping,
  type ServerDpOptions,
  type ServerDpStrategy,
  type Strategy,
  type StrategyOptions,
  type StrategyState,
  withServerDp,
} from './strategies/index.js';
export {
  type ClientUpdate,
  checkUpdateCheck,
  type Rejection,
  type ScreenedUpdate,
  type ScreenResult,
  screenUpdates,
  type UpdateCheck,
  type UpdateProblem,
  type UpdateVerdict,
  validateUpdate,
} from './validation/index.js';
