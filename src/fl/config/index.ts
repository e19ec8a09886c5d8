/** Federation configuration of the fl module (re-exported by src/fl/index.ts). */
export {
  buildStrategy,
  configHash,
  configIssues,
  type FederationConfig,
  FederationSchema,
  federationModel,
  localTraining,
  parseFederation,
} from './federation.js';
