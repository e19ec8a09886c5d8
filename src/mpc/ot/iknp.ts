/**
 * The IKNP core (Ishai, Kilian, Nissim & Petrank, CRYPTO 2003), shared by the extension's sender and receiver:
 * the column PRGs seeded by κ = 128 base OTs with the roles reversed, the receiver's matrices T and
 * U = T ⊕ G(k¹) ⊕ r, the sender's Q = G(k^s) ⊕ s·U = T ⊕ r·s, and their transposes (one 128-bit row per OT).
 *
 * Columns are AES-128-CTR keystreams (seed = the first 16 bytes of a base-OT key, zero IV) that carry on from
 * one extension to the next, so a session is set up once and extended many times. Kernels here validate
 * nothing; the sender and receiver classes check arguments and message lengths.
 */
import { type Cipher, createCipheriv } from 'node:crypto';
import { endianness } from 'node:os';
import { UnsupportedError } from '../../core/index.js';
import { wordsOf } from './checks.js';
import { transposeBits } from './transpose.js';

/** The computational security parameter: base OTs per session and bits per extended row. */
export const KAPPA = 128;
/**
 * OTs per message of one extension (2^16: a 1 MiB U matrix, 1 MiB of correlated or 0.5 MiB of additive
 * corrections); larger calls send one message per chunk, so every message fits the relay's limit (8 MiB).
 */
export const CHUNK_OTS = 1 << 16;

/** OTs per chunk of chosen-message OT of `length`-byte messages: at most 2 MiB of corrections per message. */
export function chosenChunk(length: number): number {
  return Math.max(1, Math.min(CHUNK_OTS, Math.floor(2 ** 21 / (2 * length))));
}

/** Refuses big-endian machines: the bit matrices are read through little-endian 32-bit word views. */
export function assertLittleEndian(fn: string): void {
  if (endianness() !== 'LE') throw new UnsupportedError(`${fn}: needs a little-endian machine`);
}

/** Columns padded to a multiple of 32 OTs (whole 32-bit words). */
export function paddedWords(n: number): number {
  return Math.ceil(n / 32);
}

/** κ keystreams, one per base-OT seed; each call continues every stream where the last stopped. */
export class ColumnPrgs {
  private readonly ciphers: Cipher[];

  constructor(seeds: readonly Uint8Array[]) {
    this.ciphers = seeds.map((seed) => createCipheriv('aes-128-ctr', seed.subarray(0, 16), Buffer.alloc(16)));
  }

  /** The next `input.length` bytes of stream j XORed into `input` (a new buffer). */
  next(j: number, input: Uint8Array): Uint8Array {
    return this.ciphers[j]!.update(input);
  }
}

/** Packs 0/1 bytes `choices[from, from + n)` into `words` little-endian words (zero padded). */
export function packChoices(choices: Uint8Array, from: number, n: number, words: number): Uint32Array {
  const r = new Uint32Array(words);
  for (let i = 0; i < n; i++) r[i >>> 5] = r[i >>> 5]! | (choices[from + i]! << (i & 31));
  return r;
}

/**
 * The receiver's matrices for one chunk: T's transpose (4 words per OT, `32 · words` rows) and the message
 * U (κ rows of `4 · words` bytes), u_j = t_j ⊕ G(k¹_j) ⊕ r.
 * @param prg0 - the streams of the keys k⁰ (t_j = G(k⁰_j))
 * @param prg1 - the streams of the keys k¹
 * @param r - the packed choice bits, `words` words
 * @param words - 32-bit words per column (OTs / 32, rounded up)
 * @returns the rows t^i and the message U
 */
export function receiverMatrices(
  prg0: ColumnPrgs,
  prg1: ColumnPrgs,
  r: Uint32Array,
  words: number,
): { rows: Uint32Array; u: Uint8Array } {
  const rowBytes = 4 * words;
  const t = new Uint32Array(KAPPA * words);
  const tBytes = new Uint8Array(t.buffer);
  const u = new Uint8Array(KAPPA * rowBytes);
  const zeros = new Uint8Array(rowBytes);
  const x = new Uint32Array(words);
  const xBytes = new Uint8Array(x.buffer);
  for (let j = 0; j < KAPPA; j++) {
    tBytes.set(prg0.next(j, zeros), j * rowBytes);
    const base = j * words;
    for (let w = 0; w < words; w++) x[w] = t[base + w]! ^ r[w]!;
    u.set(prg1.next(j, xBytes), j * rowBytes);
  }
  const rows = new Uint32Array(4 * 32 * words);
  transposeBits(t, KAPPA, 32 * words, rows);
  return { rows, u };
}

/**
 * The sender's matrix for one chunk, transposed: q_j = G(k^{s_j}_j) ⊕ s_j·u_j, row i = t^i ⊕ r_i·s.
 * @param prg - the streams of the keys k^{s_j} it received in the base OTs
 * @param s - the sender's κ choice bits, 4 words
 * @param u - the receiver's message, κ rows of `4 · words` bytes (length checked by the caller)
 * @param words - 32-bit words per column
 * @returns the rows q^i, 4 words each
 */
export function senderRows(prg: ColumnPrgs, s: Uint32Array, u: Uint8Array, words: number): Uint32Array {
  const rowBytes = 4 * words;
  const q = new Uint32Array(KAPPA * words);
  const qBytes = new Uint8Array(q.buffer);
  const masked = new Uint32Array(words);
  const maskedBytes = new Uint8Array(masked.buffer);
  const uWords = wordsOf(u);
  for (let j = 0; j < KAPPA; j++) {
    // no branch on the secret bit s_j: the stream always encrypts s_j·u_j
    const mask = -((s[j >>> 5]! >>> (j & 31)) & 1) | 0;
    const base = j * words;
    for (let w = 0; w < words; w++) masked[w] = uWords[base + w]! & mask;
    qBytes.set(prg.next(j, maskedBytes), j * rowBytes);
  }
  const rows = new Uint32Array(4 * 32 * words);
  transposeBits(q, KAPPA, 32 * words, rows);
  return rows;
}
