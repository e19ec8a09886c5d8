/**
 * @module veil/secagg
 *
 * Secure aggregation (Bonawitz et al., CCS 2017) and SecAgg+ (Bell et al., CCS 2020: the same protocol over a
 * random k-regular graph, k = O(log n)) as client and server state machines that know nothing of the transport. The server learns the sum of the surviving clients' inputs (mod 2^32) and nothing else, as long
 * as at least the threshold of clients survive every stage; below it the round is aborted.
 *
 * @example
 * import { SecAggClient, SecAggServer } from 'veil/secagg';
 */

export { SecAggClient, type SecAggClientOptions } from './client.js';
export {
  type AdvertiseMessage,
  /** The bytes an advertisement's signature covers (for peers and tests that build one by hand). */
  advertiseBytes,
  type ConsistencyMessage,
  type MaskedInputMessage,
  type ShareKeysMessage,
  type UnmaskMessage,
} from './common.js';
export {
  accountingEvent,
  addDiscreteGaussianNoise,
  type DistributedNoisePlan,
  decodeSum,
  distributedNoisePlan,
  encodeClipped,
  type FixedPointPlan,
  type FixedPointPlanOptions,
  integerL2Sensitivity,
  planFixedPoint,
} from './fixed-point.js';
export {
  COMPLETE_GRAPH,
  isConnected,
  MIN_NEIGHBOURHOOD,
  neighbourhoodSize,
  neighbourhoods,
  type SecAggGraph,
  type SecAggPlusParameters,
  secAggPlusParameters,
  thresholdProblem,
} from './graph.js';
export { type SecAggResult, SecAggServer, type SecAggServerOptions } from './server.js';
