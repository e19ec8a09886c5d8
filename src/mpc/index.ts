/**
 * @module veil/mpc
 *
 * Secure two-party computation, semi-honest: oblivious transfer (a base OT and an OT extension), garbled
 * circuits (Bristol Fashion circuits, free-XOR and half-gates), additive secret sharing over Z_2^64 with Beaver
 * triples, and private set intersection. Every protocol is an async function of one party over a
 * {@link Channel}; {@link memoryChannelPair} joins two parties in one process, and the jobs layer binds the same
 * channel to gRPC over mutual TLS. What each party and each coalition learns is stated per protocol and in
 * docs/mpc.md.
 *
 * @example
 * import { memoryChannelPair } from 'veil/mpc';
 * const [toEvaluator, toGarbler] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
 */
export { type Channel, type ChannelStats, type MemoryChannelOptions, memoryChannelPair } from './channel.js';
export { type BitOrder, bitsToHex, hexToBits } from './garbled/bits.js';
export { type Circuit, evaluatePlain, GATE, parseBristol } from './garbled/circuit.js';
export {
  activeLabels,
  evaluateGarbled,
  type GarbledTables,
  type Garbling,
  garble,
  inputWireCount,
  outputWireCount,
} from './garbled/garble.js';
export {
  circuitDigest,
  type GcResult,
  type GcRoles,
  type LabelOtReceiver,
  type LabelOtSender,
  runEvaluator,
  runGarbler,
} from './garbled/protocol.js';
