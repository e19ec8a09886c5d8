/**
 * The sender of the IKNP OT extension (Ishai, Kilian, Nissim & Petrank, CRYPTO 2003), semi-honest: a session
 * of κ = 128 base OTs (Chou–Orlandi, the roles reversed) is set up once and then extended any number of times
 * in four modes: chosen messages, correlated OT with a global XOR offset, additive correlated OT over Z_2^64,
 * and random OT. Its peer is an {@link OtExtensionReceiver} set up with the same tag.
 *
 * Security (semi-honest; the base OT's assumptions — CDH in MODP group 14, SHA-256 as a random oracle; AES-128
 * as a PRG; fixed-key AES as a random permutation for the TCCR hash of Guo et al. 2020, see tccr.ts): the
 * receiver learns, for each OT, only the output of its choice; the sender learns nothing about the choices
 * (it sees U = T ⊕ G(k¹) ⊕ r, pseudorandom without k¹). Every OT of a session has its own global index, used
 * as the hash tweak, so outputs of different calls are independent. One call at a time per session; after a
 * protocol error the session refuses further use.
 */
import { csprng, InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import type { Channel } from '../channel.js';
import { randomBaseOtReceive } from './base.js';
import { assertBytes, assertCount, MAX_OTS, recvExact, tagOption, wordsOf } from './checks.js';
import {
  assertLittleEndian,
  CHUNK_OTS,
  ColumnPrgs,
  chosenChunk,
  KAPPA,
  packChoices,
  paddedWords,
  senderRows,
} from './iknp.js';
import { TweakableHash } from './tccr.js';

/** Options of an OT-extension session. */
export interface OtExtensionOptions {
  /** Randomness (default: the CSPRNG). A seeded generator makes the OTs insecure: tests only. */
  readonly rng?: Rng;
  /** Prefix of the message tags (default `ot.ext`); both ends of a session must use the same. */
  readonly tag?: string;
}

/** The sender's two messages of each random OT, 16 bytes per OT each, concatenated. */
export interface RandomOtMessages {
  readonly m0: Uint8Array;
  readonly m1: Uint8Array;
}

/** The most bytes per message of chosen-message OT. */
export const MAX_MESSAGE_BYTES = 1 << 16;

/** One chunk of extended OTs on the sender's side: the rows Q (4 words per OT), their count, first index. */
interface SenderChunk {
  readonly rows: Uint32Array;
  readonly n: number;
  readonly first: number;
  readonly offset: number;
}

/** The sender's end of an IKNP OT-extension session; see the file comment for its security. */
export class OtExtensionSender {
  private nextIndex = 0;
  private abortedBy: string | undefined;

  private constructor(
    private readonly ch: Channel,
    private readonly tag: string,
    private readonly s: Uint32Array,
    private readonly prg: ColumnPrgs,
    private readonly hash: TweakableHash,
  ) {}

  /**
   * Sets up a session: 128 random base OTs in which this party is the base-OT receiver with random choices s.
   * @param ch - the channel to the receiver
   * @param options - randomness and tag prefix (steps `<tag>.base.A`, `<tag>.base.B`, `<tag>.u`, `<tag>.y`)
   * @returns the session's sender
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed base-OT message
   * @example
   * const [a, b] = memoryChannelPair();
   * const [sender, receiver] = await Promise.all([OtExtensionSender.setup(a), OtExtensionReceiver.setup(b)]);
   */
  static async setup(ch: Channel, options: OtExtensionOptions = {}): Promise<OtExtensionSender> {
    assertLittleEndian('OtExtensionSender.setup');
    const tag = tagOption('OtExtensionSender.setup', options.tag, 'ot.ext');
    const rng = options.rng ?? csprng();
    const bits = new Uint8Array(KAPPA / 8);
    rng.fillBytes(bits);
    const choices = new Uint8Array(KAPPA);
    for (let j = 0; j < KAPPA; j++) choices[j] = (bits[j >>> 3]! >>> (j & 7)) & 1;
    const keys = await randomBaseOtReceive(ch, choices, { rng, tag: `${tag}.base` });
    const s = packChoices(choices, 0, KAPPA, 4);
    choices.fill(0);
    return new OtExtensionSender(ch, tag, s, new ColumnPrgs(keys), new TweakableHash());
  }

  /** How many OTs this session has extended so far (the global index of the next one). */
  get count(): number {
    return this.nextIndex;
  }

  /**
   * Chosen-message OT: the receiver learns `m0[i]` or `m1[i]` (message i: bytes [i·length, (i+1)·length)) as
   * its choice bit says, and nothing of the other. Sends 2·length bytes per OT.
   * @param m0 - the n messages for choice 0, concatenated (n · length bytes)
   * @param m1 - the n messages for choice 1, concatenated, as long as `m0`
   * @param length - bytes per message, an integer in [1, 65536]
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad length or message arrays
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length
   */
  async send(m0: Uint8Array, m1: Uint8Array, length: number): Promise<void> {
    const fn = 'OtExtensionSender.send';
    assertCount(fn, 'length', length);
    if (length < 1 || length > MAX_MESSAGE_BYTES)
      throw new InvalidParameterError({
        fn,
        param: 'length',
        value: length,
        allowed: 'an integer in [1, 65536]',
      });
    if (!(m0 instanceof Uint8Array) || m0.length % length !== 0 || m0.length / length > MAX_OTS)
      throw new InvalidParameterError({
        fn,
        param: 'm0',
        value: m0,
        allowed: `a Uint8Array of n · ${length} bytes`,
      });
    assertBytes(fn, 'm1', m1, m0.length);
    const blocks = Math.ceil(length / 16);
    await this.run(
      fn,
      m0.length / length,
      (c) => {
        const h0 = this.hash.hash(c.rows, c.n, c.first, blocks);
        const h1 = this.hash.hash(c.rows, c.n, c.first, blocks, this.s);
        const y = new Uint8Array(2 * c.n * length);
        const half = c.n * length;
        for (let i = 0; i < c.n; i++) {
          const at = i * length;
          const from = (c.offset + i) * length;
          const hAt = i * 16 * blocks;
          for (let b = 0; b < length; b++) {
            y[at + b] = m0[from + b]! ^ h0[hAt + b]!;
            y[half + at + b] = m1[from + b]! ^ h1[hAt + b]!;
          }
        }
        this.ch.send(`${this.tag}.y`, y);
      },
      chosenChunk(length),
    );
  }

  /**
   * Correlated OT with a global offset Δ (free-XOR wire labels): returns this party's labels x0_i; the receiver
   * gets x0_i ⊕ c_i·Δ. The x0_i are pseudorandom, the receiver learns nothing of Δ or of x0_i ⊕ Δ where c_i = 0
   * beyond what its outputs give. Sends 16 bytes per OT.
   * @param n - number of OTs, an integer in [0, 2^30]
   * @param delta - the 16-byte offset Δ
   * @returns the labels x0, 16 bytes per OT (16·n bytes)
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad n or delta
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length
   */
  async sendCorrelated(n: number, delta: Uint8Array): Promise<Uint8Array> {
    const fn = 'OtExtensionSender.sendCorrelated';
    assertCount(fn, 'n', n);
    assertBytes(fn, 'delta', delta, 16);
    const d = new Uint32Array(4);
    new Uint8Array(d.buffer).set(delta);
    const out = new Uint8Array(16 * n);
    await this.run(fn, n, (c) => {
      const h0 = this.hash.hash(c.rows, c.n, c.first, 1);
      const w0 = wordsOf(h0);
      const w1 = wordsOf(this.hash.hash(c.rows, c.n, c.first, 1, this.s));
      const y = new Uint32Array(4 * c.n);
      for (let w = 0; w < 4 * c.n; w += 4) {
        y[w] = w0[w]! ^ w1[w]! ^ d[0]!;
        y[w + 1] = w0[w + 1]! ^ w1[w + 1]! ^ d[1]!;
        y[w + 2] = w0[w + 2]! ^ w1[w + 2]! ^ d[2]!;
        y[w + 3] = w0[w + 3]! ^ w1[w + 3]! ^ d[3]!;
      }
      out.set(h0, 16 * c.offset);
      this.ch.send(`${this.tag}.y`, new Uint8Array(y.buffer));
    });
    d.fill(0);
    return out;
  }

  /**
   * Additive correlated OT over Z_2^64 with a delta per OT (Gilboa multiplication): returns s_i; the receiver
   * gets s_i + c_i·delta_i mod 2^64. Sends 8 bytes per OT.
   * @param deltas - one delta per OT, 0 to 2^30 of them
   * @returns this party's s_i, pseudorandom
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER if deltas is not a BigUint64Array
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length
   */
  async sendAdditive(deltas: BigUint64Array): Promise<BigUint64Array> {
    const fn = 'OtExtensionSender.sendAdditive';
    if (!(deltas instanceof BigUint64Array) || deltas.length > MAX_OTS)
      throw new InvalidParameterError({ fn, param: 'deltas', value: deltas, allowed: 'a BigUint64Array' });
    const n = deltas.length;
    const out = new BigUint64Array(n);
    const out32 = new Uint32Array(out.buffer);
    const d32 = new Uint32Array(deltas.buffer, deltas.byteOffset, 2 * n);
    await this.run(fn, n, (c) => {
      const w0 = wordsOf(this.hash.hash(c.rows, c.n, c.first, 1));
      const w1 = wordsOf(this.hash.hash(c.rows, c.n, c.first, 1, this.s));
      const y = new Uint32Array(2 * c.n);
      for (let i = 0; i < c.n; i++) {
        const s0 = w0[4 * i]!;
        const s1 = w0[4 * i + 1]!;
        const k = 2 * (c.offset + i);
        // y = s + delta - H(q ⊕ s), on 32-bit halves with carry and borrow
        const lo = s0 + d32[k]!;
        const hi = s1 + d32[k + 1]! + (lo > 0xffffffff ? 1 : 0);
        const lo2 = (lo >>> 0) - w1[4 * i]!;
        y[2 * i] = lo2 >>> 0;
        y[2 * i + 1] = (hi - w1[4 * i + 1]! - (lo2 < 0 ? 1 : 0)) >>> 0;
        out32[k] = s0;
        out32[k + 1] = s1;
      }
      this.ch.send(`${this.tag}.y`, new Uint8Array(y.buffer));
    });
    return out;
  }

  /**
   * Random OT: two pseudorandom 16-byte messages per OT; the receiver learns the one of its choice. Sends
   * nothing beyond the receiver's matrix.
   * @param n - number of OTs, an integer in [0, 2^30]
   * @returns m0 and m1, 16·n bytes each
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad n
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length
   */
  async random(n: number): Promise<RandomOtMessages> {
    const fn = 'OtExtensionSender.random';
    assertCount(fn, 'n', n);
    const m0 = new Uint8Array(16 * n);
    const m1 = new Uint8Array(16 * n);
    await this.run(fn, n, (c) => {
      m0.set(this.hash.hash(c.rows, c.n, c.first, 1), 16 * c.offset);
      m1.set(this.hash.hash(c.rows, c.n, c.first, 1, this.s), 16 * c.offset);
    });
    return { m0, m1 };
  }

  /** Receives U chunk by chunk, derives the rows, hands each chunk to `each`; marks the session aborted on error. */
  private async run(
    fn: string,
    n: number,
    each: (chunk: SenderChunk) => void,
    chunkOts = CHUNK_OTS,
  ): Promise<void> {
    if (this.abortedBy !== undefined)
      throw new ProtocolError(`${fn}: the session with ${this.ch.peer} was aborted: ${this.abortedBy}`, {
        peer: this.ch.peer,
        stage: this.tag,
      });
    try {
      for (let offset = 0; offset < n; offset += chunkOts) {
        const chunk = Math.min(chunkOts, n - offset);
        const words = paddedWords(chunk);
        const u = await recvExact(this.ch, `${this.tag}.u`, KAPPA * 4 * words);
        const first = this.nextIndex;
        this.nextIndex += chunk;
        each({ rows: senderRows(this.prg, this.s, u, words), n: chunk, first, offset });
      }
    } catch (error) {
      this.abortedBy = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }
}
