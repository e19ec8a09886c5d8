/**
 * Base oblivious transfer: the Chou–Orlandi "simplest OT" (LATINCRYPT 2015, ePrint 2015/267) in the
 * 2048-bit MODP group 14 (see group.ts), batched: one message each way for a random OT of any count, one more
 * for chosen messages.
 *
 * Why Chou–Orlandi over Naor–Pinkas (SODA 2001): the same cost here (the receiver two exponentiations per OT,
 * the sender one plus two overall) but one fewer group element per message and no public parameter C to agree
 * on. Its later-found gap (Genç, Iovino & Rial, ePrint 2017/1203; fixed by Hauck & Loss, ePrint 2017/1011)
 * concerns UC security against a malicious sender, not the semi-honest model used here.
 *
 * Protocol, for OT number i: the sender draws a, sends A = g^a. The receiver with choice c_i draws b_i, sends
 * B_i = g^{b_i} (c_i = 0) or A · g^{b_i} (c_i = 1) and keeps k_{c_i} = H(i, A, B_i, A^{b_i}). The sender
 * derives k_0 = H(i, A, B_i, B_i^a) and k_1 = H(i, A, B_i, (B_i / A)^a). H is SHA-256 with a domain prefix.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { assertInteger, csprng, InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import type { Channel } from '../channel.js';
import { assertChoices, recvExact, tagOption } from './checks.js';
import {
  decodeElement,
  ELEMENT_BYTES,
  Exponentiator,
  encodeElement,
  isValidElement,
  MODP14_ORDER,
  mulMod,
  randomExponent,
} from './group.js';

/** Bytes of a base-OT key. */
export const BASE_OT_KEY_BYTES = 32;
/** The most base OTs one call may run. */
export const MAX_BASE_OTS = 4096;
const DOMAIN = Buffer.from('veil.mpc.ot.base.chou-orlandi-2015.v1');

/** Options of the base-OT functions. */
export interface BaseOtOptions {
  /** Randomness (default: the CSPRNG). A seeded generator makes the OT insecure: tests only. */
  readonly rng?: Rng;
  /** Prefix of the message tags (default `ot.base`): the steps are `<tag>.A`, `<tag>.B`, `<tag>.C`. */
  readonly tag?: string;
}

/** The sender's keys of a random base OT: `keys0[i]` and `keys1[i]`, 32 bytes each. */
export interface RandomBaseOtKeys {
  readonly keys0: Uint8Array[];
  readonly keys1: Uint8Array[];
}

function keyOf(index: number, a: Uint8Array, b: Uint8Array, element: Uint8Array): Uint8Array {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(index);
  return createHash('sha256').update(DOMAIN).update(counter).update(a).update(b).update(element).digest();
}

function checkElements(ch: Channel, tag: string, bytes: Uint8Array, count: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const x = decodeElement(bytes.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES));
    if (!isValidElement(x))
      throw new ProtocolError(`${ch.peer} sent group element ${i} of ${tag} outside 1 < x < p - 1`, {
        peer: ch.peer,
        stage: tag,
        expected: 'a group element 1 < x < p - 1',
      });
    out.push(x);
  }
  return out;
}

const tagOf = (fn: string, options: BaseOtOptions) => tagOption(fn, options.tag, 'ot.base');

/**
 * The sender's side of `count` random base OTs (Chou–Orlandi 2015): two 32-byte keys per OT, of which the
 * receiver learns exactly the one it chose.
 *
 * Security (semi-honest, random-oracle model for SHA-256, CDH in the group-14 subgroup with 256-bit exponents):
 * the sender learns nothing about the choices (each B_i is a uniform subgroup element whatever c_i); the
 * receiver learns k_{c_i} and nothing about k_{1-c_i}, which needs g^{a^2} from g^a (CDH).
 * @param ch - the channel to the receiver
 * @param count - number of OTs, an integer in [1, 4096]
 * @param options - randomness and tag prefix
 * @returns the key pairs, `keys0[i]` / `keys1[i]`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad count or tag
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length, or an element
 *   outside 1 < x < p - 1
 * @example
 * const [s, r] = memoryChannelPair();
 * const [{ keys0, keys1 }, keys] = await Promise.all([randomBaseOtSend(s, 2), randomBaseOtReceive(r, choices)]);
 */
export async function randomBaseOtSend(
  ch: Channel,
  count: number,
  options: BaseOtOptions = {},
): Promise<RandomBaseOtKeys> {
  assertInteger('randomBaseOtSend', 'count', count, 1, MAX_BASE_OTS);
  const tag = tagOf('randomBaseOtSend', options);
  const rng = options.rng ?? csprng();
  const exp = new Exponentiator();
  const a = randomExponent(rng);
  const bigA = exp.powG(a);
  ch.send(`${tag}.A`, bigA);
  const message = await recvExact(ch, `${tag}.B`, count * ELEMENT_BYTES);
  checkElements(ch, `${tag}.B`, message, count);
  // (B / A)^a = B^a · A^{-a}, and A^{-a} = A^{q - a} since A has order q
  const minusA = encodeElement((MODP14_ORDER - decodeElement(a)) % MODP14_ORDER);
  const inverseT = decodeElement(exp.pow(bigA, minusA));
  const keys0: Uint8Array[] = [];
  const keys1: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = message.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES);
    const ba = exp.pow(b, a);
    keys0.push(keyOf(i, bigA, b, ba));
    keys1.push(keyOf(i, bigA, b, encodeElement(mulMod(decodeElement(ba), inverseT))));
  }
  a.fill(0);
  minusA.fill(0);
  return { keys0, keys1 };
}

/**
 * The receiver's side of random base OTs (Chou–Orlandi 2015): the key `keys_{choices[i]}[i]` of each OT.
 * Security as {@link randomBaseOtSend}.
 * @param ch - the channel to the sender
 * @param choices - one 0/1 byte per OT, 1 to 4096 of them
 * @param options - randomness and tag prefix
 * @returns the chosen 32-byte keys
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for choices that are not 0/1 or a bad count
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length, or A outside
 *   1 < A < p - 1
 */
export async function randomBaseOtReceive(
  ch: Channel,
  choices: Uint8Array,
  options: BaseOtOptions = {},
): Promise<Uint8Array[]> {
  assertChoices('randomBaseOtReceive', 'choices', choices);
  assertInteger('randomBaseOtReceive', 'choices.length', choices.length, 1, MAX_BASE_OTS);
  const tag = tagOf('randomBaseOtReceive', options);
  const rng = options.rng ?? csprng();
  const count = choices.length;
  const bigABytes = await recvExact(ch, `${tag}.A`, ELEMENT_BYTES);
  const bigA = checkElements(ch, `${tag}.A`, bigABytes, 1)[0]!;
  const exp = new Exponentiator();
  const message = new Uint8Array(count * ELEMENT_BYTES);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = randomExponent(rng);
    const gb = exp.powG(b);
    const agb = encodeElement(mulMod(bigA, decodeElement(gb)));
    // select g^b or A·g^b without branching on the choice
    const mask = -choices[i]! & 0xff;
    const out = message.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES);
    for (let k = 0; k < ELEMENT_BYTES; k++) out[k] = gb[k]! ^ (mask & (gb[k]! ^ agb[k]!));
    keys.push(keyOf(i, bigABytes, out, exp.pow(bigABytes, b)));
    b.fill(0);
  }
  ch.send(`${tag}.B`, message);
  return keys;
}

/** A keystream of `length` bytes under a one-time 32-byte key (AES-256-CTR, zero IV). */
function keystream(key: Uint8Array, length: number): Uint8Array {
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/**
 * The sender's side of chosen-message base OTs: the receiver learns `m0[i]` or `m1[i]` as it chose, and
 * nothing of the other. Random base OTs ({@link randomBaseOtSend}) whose keys encrypt the messages (one-time
 * AES-256-CTR keystream), three messages in all. Security as {@link randomBaseOtSend}.
 * @param ch - the channel to the receiver
 * @param m0 - the messages for choice 0, 1 to 4096 of them, all of one length (up to 2^20 bytes)
 * @param m1 - the messages for choice 1, as many and as long as `m0`
 * @param options - randomness and tag prefix
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for messages of unequal counts or lengths
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION as {@link randomBaseOtSend}
 */
export async function baseOtSend(
  ch: Channel,
  m0: readonly Uint8Array[],
  m1: readonly Uint8Array[],
  options: BaseOtOptions = {},
): Promise<void> {
  const fn = 'baseOtSend';
  if (!Array.isArray(m0) || m0.length < 1 || m0.length > MAX_BASE_OTS)
    throw new InvalidParameterError({ fn, param: 'm0', value: m0, allowed: '1 to 4096 Uint8Arrays' });
  if (!Array.isArray(m1) || m1.length !== m0.length)
    throw new InvalidParameterError({ fn, param: 'm1', value: m1, allowed: `${m0.length} Uint8Arrays` });
  const length = m0[0] instanceof Uint8Array ? m0[0].length : -1;
  if (length < 0 || length > 2 ** 20)
    throw new InvalidParameterError({
      fn,
      param: 'm0[0]',
      value: m0[0],
      allowed: 'a Uint8Array of ≤ 2^20 bytes',
    });
  for (const [name, list] of [
    ['m0', m0],
    ['m1', m1],
  ] as const)
    list.forEach((m, i) => {
      if (!(m instanceof Uint8Array) || m.length !== length)
        throw new InvalidParameterError({ fn, param: `${name}[${i}]`, value: m, allowed: `${length} bytes` });
    });
  const tag = tagOf(fn, options);
  const { keys0, keys1 } = await randomBaseOtSend(ch, m0.length, options);
  const out = new Uint8Array(m0.length * 2 * length);
  for (let i = 0; i < m0.length; i++) {
    const pads = [keystream(keys0[i]!, length), keystream(keys1[i]!, length)];
    for (let side = 0; side < 2; side++) {
      const m = (side === 0 ? m0 : m1)[i]!;
      const pad = pads[side]!;
      const at = (2 * i + side) * length;
      for (let k = 0; k < length; k++) out[at + k] = m[k]! ^ pad[k]!;
    }
  }
  ch.send(`${tag}.C`, out);
}

/**
 * The receiver's side of chosen-message base OTs: message `choices[i]` of pair i. Security as
 * {@link baseOtSend}.
 * @param ch - the channel to the sender
 * @param choices - one 0/1 byte per OT, 1 to 4096 of them
 * @param length - bytes per message, an integer in [0, 2^20]; must match the sender's
 * @param options - randomness and tag prefix
 * @returns the chosen messages
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for choices that are not 0/1 or a bad length
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION as {@link randomBaseOtReceive}, or ciphertexts of a wrong
 *   length
 */
export async function baseOtReceive(
  ch: Channel,
  choices: Uint8Array,
  length: number,
  options: BaseOtOptions = {},
): Promise<Uint8Array[]> {
  assertInteger('baseOtReceive', 'length', length, 0, 2 ** 20);
  const tag = tagOf('baseOtReceive', options);
  const keys = await randomBaseOtReceive(ch, choices, options);
  const message = await recvExact(ch, `${tag}.C`, choices.length * 2 * length);
  return keys.map((key, i) => {
    const pad = keystream(key, length);
    const mask = -choices[i]! & 0xff;
    const e0 = message.subarray(2 * i * length, (2 * i + 1) * length);
    const e1 = message.subarray((2 * i + 1) * length, (2 * i + 2) * length);
    const out = new Uint8Array(length);
    for (let k = 0; k < length; k++) out[k] = e0[k]! ^ (mask & (e0[k]! ^ e1[k]!)) ^ pad[k]!;
    return out;
  });
}
