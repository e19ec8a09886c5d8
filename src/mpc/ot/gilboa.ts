/**
 * Two-party multiplication from OT: Gilboa's product of additive shares over Z_2^64 (CRYPTO 1999) on the
 * additive correlated OTs of the IKNP extension, Beaver triples (Beaver, CRYPTO 1991) built from it, XOR-shared
 * AND triples from random OTs, and the product of one party's plaintext with the other's value, as shares.
 *
 * Security (semi-honest; the assumptions of the OT extension, extension-sender.ts): each party's outputs are
 * uniformly random shares whose sum (or XOR) is the product; a party learns nothing of the other's inputs
 * (its view is its own OT outputs, which are uniform given its inputs). Gilboa over Z_2^64 is exact: the
 * receiver picks s_j or s_j + y·2^j with bit x_j of its value, and Σ_j x_j·y·2^j = x·y mod 2^64.
 */
import { assertInteger, csprng, InvalidParameterError, type Rng } from '../../core/index.js';
import type { Channel } from '../channel.js';
import { assertCount, tagOption } from './checks.js';
import { OtExtensionReceiver } from './extension-receiver.js';
import { OtExtensionSender } from './extension-sender.js';
import { addInto, mulInto, shiftInto, subInto } from './u64.js';

/** Which of the two parties this is. */
export type PartyRole = 0 | 1;

/** Options of {@link OtPair.setup}. */
export interface OtPairOptions {
  /** Randomness (default: the CSPRNG). A seeded generator makes the OTs insecure: tests only. */
  readonly rng?: Rng;
  /** Tag prefix (default `ot.pair`): direction `<tag>.01` has party 0 as the sender, `<tag>.10` party 1. */
  readonly tag?: string;
}

/** Additive shares over Z_2^64 of n multiplication triples: (a0 + a1)(b0 + b1) = c0 + c1 mod 2^64. */
export interface BeaverTripleShares {
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
  readonly c: BigUint64Array;
}

/** XOR shares of n AND triples, one byte (0 or 1) per bit: (a0 ⊕ a1)(b0 ⊕ b1) = c0 ⊕ c1. */
export interface BitTripleShares {
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  readonly c: Uint8Array;
}

/** Both directions of OT extension between two parties: this party's sender and its receiver. */
export class OtPair {
  private constructor(
    /** This party's role, 0 or 1. */
    readonly role: PartyRole,
    /** Sends to the other party's receiver. */
    readonly sender: OtExtensionSender,
    /** Receives from the other party's sender. */
    readonly receiver: OtExtensionReceiver,
  ) {}

  /**
   * Sets up both directions (2 × 128 base OTs): party 0's sender pairs with party 1's receiver on tag
   * `<tag>.01`, party 1's sender with party 0's receiver on `<tag>.10`.
   * @param ch - the channel to the other party
   * @param role - 0 or 1; the two parties must take different roles
   * @param options - randomness and tag prefix
   * @returns this party's pair
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a role other than 0 or 1
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed base-OT message
   * @example
   * const [x, y] = memoryChannelPair();
   * const [p0, p1] = await Promise.all([OtPair.setup(x, 0), OtPair.setup(y, 1)]);
   * const [t0, t1] = await Promise.all([beaverTriples(p0, 1000), beaverTriples(p1, 1000)]);
   */
  static async setup(ch: Channel, role: PartyRole, options: OtPairOptions = {}): Promise<OtPair> {
    if (role !== 0 && role !== 1)
      throw new InvalidParameterError({ fn: 'OtPair.setup', param: 'role', value: role, allowed: '0 or 1' });
    const tag = tagOption('OtPair.setup', options.tag, 'ot.pair');
    const rng = options.rng ?? csprng();
    const mine = { rng, tag: `${tag}.${role}${1 - role}` };
    const theirs = { rng, tag: `${tag}.${1 - role}${role}` };
    if (role === 0) {
      const sender = await OtExtensionSender.setup(ch, mine);
      return new OtPair(role, sender, await OtExtensionReceiver.setup(ch, theirs));
    }
    const receiver = await OtExtensionReceiver.setup(ch, theirs);
    return new OtPair(role, await OtExtensionSender.setup(ch, mine), receiver);
  }
}

/** Bits `bits` low bits of each value, one 0/1 byte per OT (OT i·bits + j is bit j of value i). */
function choiceBits(x32: Uint32Array, n: number, bits: number): Uint8Array {
  const out = new Uint8Array(n * bits);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < bits; j++)
      out[i * bits + j] = j < 32 ? (x32[2 * i]! >>> j) & 1 : (x32[2 * i + 1]! >>> (j - 32)) & 1;
  return out;
}

/** The deltas y_i · 2^j, j < bits, for the sender of a Gilboa product. */
function shiftedDeltas(y32: Uint32Array, n: number, bits: number): BigUint64Array {
  const out = new BigUint64Array(n * bits);
  const o = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < bits; j++) shiftInto(o, 2 * (i * bits + j), y32[2 * i]!, y32[2 * i + 1]!, j);
  return out;
}

/** out_i (+|-)= Σ_j v_{i·bits + j}. */
function sumGroups(out: Uint32Array, values: BigUint64Array, bits: number, sign: 1 | -1): void {
  const v = new Uint32Array(values.buffer, values.byteOffset, 2 * values.length);
  const n = out.length / 2;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < bits; j++) {
      const k = 2 * (i * bits + j);
      if (sign === 1) addInto(out, 2 * i, v[k]!, v[k + 1]!);
      else subInto(out, 2 * i, v[k]!, v[k + 1]!);
    }
}

const words = (x: BigUint64Array) => new Uint32Array(x.buffer, x.byteOffset, 2 * x.length);

/**
 * This party's shares of n Beaver triples over Z_2^64 (Gilboa 1999): random a, b; the cross terms a0·b1 and
 * a1·b0 each cost 64 additive correlated OTs per triple (24 bytes each), both directions in one round trip.
 * Both parties call it with the same n.
 * @param pair - this party's {@link OtPair}
 * @param n - number of triples, an integer in [0, 2^24]
 * @param options - randomness for a and b (default: the CSPRNG)
 * @returns this party's shares a, b, c
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad n
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed message
 */
export async function beaverTriples(
  pair: OtPair,
  n: number,
  options: { readonly rng?: Rng } = {},
): Promise<BeaverTripleShares> {
  assertInteger('beaverTriples', 'n', n, 0, 2 ** 24);
  const rng = options.rng ?? csprng();
  const a = new BigUint64Array(n);
  const b = new BigUint64Array(n);
  rng.fillBytes(new Uint8Array(a.buffer));
  rng.fillBytes(new Uint8Array(b.buffer));
  const [a32, b32] = [words(a), words(b)];
  // cross term (my a) · (their b): I receive with the bits of a; (their a) · (my b): I send deltas b · 2^j
  const finish = pair.receiver.startAdditive(choiceBits(a32, n, 64));
  const sent = await pair.sender.sendAdditive(shiftedDeltas(b32, n, 64));
  const received = await finish();
  const c = new BigUint64Array(n);
  const c32 = words(c);
  for (let i = 0; i < n; i++) mulInto(c32, 2 * i, a32[2 * i]!, a32[2 * i + 1]!, b32[2 * i]!, b32[2 * i + 1]!);
  sumGroups(c32, received, 64, 1);
  sumGroups(c32, sent, 64, -1);
  return { a, b, c };
}

/**
 * This party's XOR shares of n AND triples from random OT (two ROTs per triple, one per direction): as ROT
 * sender with messages m0, m1 it sets a = lsb(m0) ⊕ lsb(m1), u = lsb(m0); as ROT receiver with a random choice
 * b it gets v = lsb(m_b); then a_0·b_1 = u_0 ⊕ v_1, and c = a·b ⊕ u ⊕ v. One byte (0 or 1) per bit, unpacked.
 * Both parties call it with the same n.
 * @param pair - this party's {@link OtPair}
 * @param n - number of triples, an integer in [0, 2^30]
 * @param options - randomness for b (default: the CSPRNG)
 * @returns this party's shares a, b, c
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad n
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed message
 */
export async function bitTriples(
  pair: OtPair,
  n: number,
  options: { readonly rng?: Rng } = {},
): Promise<BitTripleShares> {
  assertCount('bitTriples', 'n', n);
  const rng = options.rng ?? csprng();
  const b = new Uint8Array(n);
  rng.fillBytes(b);
  for (let i = 0; i < n; i++) b[i] = b[i]! & 1;
  const v = await pair.receiver.random(b);
  const { m0, m1 } = await pair.sender.random(n);
  const a = new Uint8Array(n);
  const c = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = m0[16 * i]! & 1;
    a[i] = u ^ (m1[16 * i]! & 1);
    c[i] = (a[i]! & b[i]!) ^ u ^ (v[16 * i]! & 1);
  }
  return { a, b, c };
}

function checkProductArguments(
  fn: string,
  param: string,
  values: unknown,
  bits: unknown,
): asserts bits is number {
  if (!(values instanceof BigUint64Array) || values.length > 2 ** 24)
    throw new InvalidParameterError({
      fn,
      param,
      value: values,
      allowed: 'a BigUint64Array of ≤ 2^24 entries',
    });
  assertInteger(fn, 'bits', bits, 1, 64);
}

/**
 * The receiver's side of plaintext × other party's value (Gilboa): this party knows x in the clear, the other
 * party holds y (a share, or its own value); they end with shares of x_i·y_i mod 2^64. Costs `bits` OTs per
 * entry (24 bytes each), so 0/1 features cost one. For X·w with a plaintext matrix X (n × d), flatten X row by
 * row and let the sender repeat w per row, then sum the d products of each row locally.
 * @param pair - this party's {@link OtPair}; the other party calls {@link plaintextTimesSharedSend}
 * @param x - this party's plaintext values, each < 2^bits
 * @param bits - how many low bits of each x_i take part, 1 to 64 (the same on both sides)
 * @returns this party's shares: share_receiver + share_sender = x_i·y_i mod 2^64
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bits or an x_i ≥ 2^bits
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed message
 */
export async function plaintextTimesSharedReceive(
  pair: OtPair,
  x: BigUint64Array,
  bits: number,
): Promise<BigUint64Array> {
  const fn = 'plaintextTimesSharedReceive';
  checkProductArguments(fn, 'x', x, bits);
  const x32 = words(x);
  for (let i = 0; i < x.length && bits < 64; i++) {
    const high = bits >= 32 ? x32[2 * i + 1]! >>> (bits - 32) : x32[2 * i + 1]! | (x32[2 * i]! >>> bits);
    if (high !== 0)
      throw new InvalidParameterError({ fn, param: `x[${i}]`, value: x[i], allowed: `< 2^${bits} (bits)` });
  }
  const received = await pair.receiver.receiveAdditive(choiceBits(x32, x.length, bits));
  const out = new BigUint64Array(x.length);
  sumGroups(words(out), received, bits, 1);
  return out;
}

/**
 * The sender's side of {@link plaintextTimesSharedReceive}: this party holds y (one value per entry of the
 * other party's x) and gets its share of x_i·y_i mod 2^64. It learns nothing of x.
 * @param pair - this party's {@link OtPair}
 * @param y - this party's values, as many as the other party's x
 * @param bits - the receiver's bits, 1 to 64
 * @returns this party's shares
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bits or y
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed message (e.g. another length of x)
 */
export async function plaintextTimesSharedSend(
  pair: OtPair,
  y: BigUint64Array,
  bits: number,
): Promise<BigUint64Array> {
  checkProductArguments('plaintextTimesSharedSend', 'y', y, bits);
  const sent = await pair.sender.sendAdditive(shiftedDeltas(words(y), y.length, bits));
  const out = new BigUint64Array(y.length);
  sumGroups(words(out), sent, bits, -1);
  return out;
}
