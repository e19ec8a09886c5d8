/** The coordinator of the fl module (re-exported by src/fl/index.ts). */
export {
  CHECKPOINT_VERSION,
  type CheckpointStore,
  type CoordinatorCheckpoint,
  fileCheckpointStore,
  memoryCheckpointStore,
} from './checkpoint.js';
export { type Clock, systemClock } from './clock.js';
export {
  type CompressionSpec,
  Coordinator,
  type CoordinatorEvent,
  type CoordinatorOptions,
  type CoordinatorSummary,
  type EvaluationRecord,
  type FederationModel,
  type LocalTrainingSpec,
  type NodeRecord,
  type RoundRecord,
  trainConfigMessage,
} from './coordinator.js';
export type { SecureAggregationSpec, SecureRoundRecord, SecureStage } from './secure-round.js';
