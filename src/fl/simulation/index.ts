/** In-process federations of the fl module (re-exported by src/fl/index.ts). */
export {
  type FederatedData,
  hospitalDataset,
  loadFederatedData,
  type NodeData,
  parseSimulationData,
  type SimulationData,
  SimulationDataSchema,
} from './data.js';
export {
  loadedDataShape,
  MAX_SECURE_ROUND_NODES,
  NODE_OBJECT_BYTES,
  PARAMETER_COPIES,
  SECURE_PAIR_BYTES,
  type SimulationDataShape,
  type SimulationFootprint,
  simulationDataShape,
  simulationFootprint,
} from './footprint.js';
export {
  type ByzantineSpec,
  type NodeRoundBytes,
  rngFactory,
  type SimulationLocalPrivacy,
  type SimulationOptions,
  type SimulationResult,
  simulate,
} from './simulate.js';
