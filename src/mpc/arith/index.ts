/**
 * Arithmetic secret sharing over Z_2^64 with Beaver triples (semi-honest, two parties): fixed-point encoding,
 * a session object per party ({@link ArithParty}), triple sources (a trusted dealer here; OT-based triples in
 * ../ot), secure comparison, ReLU, sigmoid and reciprocal. What each party learns and the precision of each
 * operation are stated per function; see also docs/mpc.md.
 *
 * @example
 * const [a, b] = memoryChannelPair();
 * const [t0, t1] = dealerTriples();
 * const alice = new ArithParty({ ch: a, role: 0, triples: t0 });
 * const bob = new ArithParty({ ch: b, role: 1, triples: t1 });
 */
export { greaterThan, lessThanZero, relu } from './compare.js';
export {
  DEFAULT_FRAC_BITS,
  decodeFixed,
  encodeFixed,
  type FixedPointOptions,
  MAX_FRAC_BITS,
  maxEncodable,
} from './fixed-point.js';
export {
  type ReciprocalOptions,
  reciprocal,
  reciprocalIterations,
  SIGMOID_MAX_ERROR,
  type SigmoidApproximation,
  sigmoid,
} from './nonlinear.js';
export {
  ArithParty,
  type ArithPartyOptions,
  type ArithStats,
  type MatmulShape,
  type RevealTo,
} from './party.js';
export type { RingShares, Role } from './ring.js';
export {
  type BitTriples,
  type DealerOptions,
  dealerTriples,
  type ElementwiseTriples,
  type MatrixTriples,
  type TripleSource,
  type TripleSourceKind,
} from './triples.js';
