/** Server strategies of the fl module (re-exported by src/fl/index.ts). */
export { type FedOptOptions, fedAdagrad, fedAdam, fedYogi } from './adaptive.js';
export { type FedAvgOptions, type FedProxOptions, fedAvg, fedProx } from './fedavg.js';
export {
  type AggregationResult,
  DEFAULT_MAX_UPDATE_NORM,
  type RoundOutcome,
  type Strategy,
  type StrategyOptions,
  type StrategyState,
} from './strategy.js';
export {
  type ClippedSum,
  type NodeSampling,
  type ServerDpClipping,
  type ServerDpOptions,
  type ServerDpStrategy,
  withServerDp,
} from './with-server-dp.js';
