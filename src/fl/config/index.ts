/** Federation configuration of the fl module (re-exported by src/fl/index.ts). */
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
} from './federation.js';
