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

export { greaterThan, lessThanZero, relu } from './arith/compare.js';
export {
  DEFAULT_FRAC_BITS,
  decodeFixed,
  encodeFixed,
  type FixedPointOptions,
  MAX_FRAC_BITS,
  maxEncodable,
} from './arith/fixed-point.js';
export {
  type ReciprocalOptions,
  reciprocal,
  reciprocalIterations,
  SIGMOID_MAX_ERROR,
  type SigmoidApproximation,
  sigmoid,
} from './arith/nonlinear.js';
export {
  ArithParty,
  type ArithPartyOptions,
  type ArithStats,
  type MatmulShape,
  type RevealTo,
} from './arith/party.js';
export type { RingShares, Role } from './arith/ring.js';
export {
  type BitTriples,
  type DealerOptions,
  dealerTriples,
  type ElementwiseTriples,
  type MatrixTriples,
  type TripleSource,
  type TripleSourceKind,
} from './arith/triples.js';
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
export {
  type BaseOtOptions,
  baseOtReceive,
  baseOtSend,
  randomBaseOtReceive,
  randomBaseOtSend,
} from './ot/base.js';
export { OtExtensionReceiver } from './ot/extension-receiver.js';
export { type OtExtensionOptions, OtExtensionSender, type RandomOtMessages } from './ot/extension-sender.js';
export {
  type BeaverTripleShares,
  type BitTripleShares,
  beaverTriples,
  bitTriples,
  OtPair,
  type OtPairOptions,
  type PartyRole,
  plaintextTimesSharedReceive,
  plaintextTimesSharedSend,
} from './ot/gilboa.js';
export { NORMALISE_RULES, type NormaliseRule, normaliseIds } from './psi/normalise.js';
export { type PsiOptions, type PsiResult, type PsiTraffic, psi } from './psi/psi.js';
export {
  MAX_CHUNK,
  MAX_SET,
  PSI_MODES,
  PSI_ROLES,
  PSI_SUITE,
  PSI_VERSION,
  type PsiMode,
  type PsiRole,
} from './psi/wire.js';
export { otTripleSource } from './triples-ot.js';
export {
  batches,
  exchangeLayouts,
  scores,
  trainVerticalLr,
  type VerticalLrOptions,
  type VerticalModelShares,
  type VerticalParty,
} from './vertical/lr.js';
export { accuracy, type PlainModel, plainScores, trainPlainLr } from './vertical/plain.js';
export { type FeatureLayout, type FeatureMatrix, timesWeights, transposeTimes } from './vertical/products.js';
