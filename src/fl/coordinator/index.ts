/** The coordinator of the fl module (re-exported by src/fl/index.ts). */
export {
  CHECKPOINT_VERSION,
  type CheckpointStore,
  type CoordinatorCheckpoint,
  fileCheckpointStore,
  memoryCheckpointStore,
} from './checkpoint.js';
export { type Clock, systemClock } from './clock.js';
export { Coordinator } from './coordinator.js';
export {
  type CompressionSpec,
  type CoordinatorOptions,
  type FederationModel,
  type LocalTrainingSpec,
  type SecureAggregationSpec,
  trainConfigMessage,
} from './options.js';
export type {
  CoordinatorEvent,
  CoordinatorSummary,
  EvaluationRecord,
  NodeRecord,
  RoundRecord,
  SecureRoundRecord,
  SecureStage,
} from './records.js';
