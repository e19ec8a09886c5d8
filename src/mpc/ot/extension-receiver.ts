/**
 * The receiver of the IKNP OT extension (Ishai, Kilian, Nissim & Petrank, CRYPTO 2003), the peer of
 * {@link OtExtensionSender}; its security statement is in extension-sender.ts. Here: the receiver learns only
 * the output of each choice; the sender learns nothing about the choices.
 *
 * Each mode sends the U matrix (16 bytes per OT) first, then receives the sender's corrections (none for random
 * OT). `startAdditive` splits the two steps so that a party can run its own sender in between: two parties
 * multiplying in both directions then need one round trip, not two (gilboa.ts).
 */
import { csprng, InvalidParameterError, ProtocolError } from '../../core/index.js';
import type { Channel } from '../channel.js';
import { randomBaseOtSend } from './base.js';
import { assertChoices, assertCount, recvExact, tagOption, wordsOf } from './checks.js';
import type { OtExtensionOptions } from './extension-sender.js';
import { MAX_MESSAGE_BYTES } from './extension-sender.js';
import {
  assertLittleEndian,
  CHUNK_OTS,
  ColumnPrgs,
  chosenChunk,
  KAPPA,
  packChoices,
  paddedWords,
  receiverMatrices,
} from './iknp.js';
import { TweakableHash } from './tccr.js';

/** The receiver's end of an IKNP OT-extension session. */
export class OtExtensionReceiver {
  private nextIndex = 0;
  private abortedBy: string | undefined;

  private constructor(
    private readonly ch: Channel,
    private readonly tag: string,
    private readonly prg0: ColumnPrgs,
    private readonly prg1: ColumnPrgs,
    private readonly hash: TweakableHash,
  ) {}

  /**
   * Sets up a session: 128 random base OTs in which this party is the base-OT sender.
   * @param ch - the channel to the sender
   * @param options - randomness and tag prefix (the same as the sender's)
   * @returns the session's receiver
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed base-OT message
   */
  static async setup(ch: Channel, options: OtExtensionOptions = {}): Promise<OtExtensionReceiver> {
    assertLittleEndian('OtExtensionReceiver.setup');
    const tag = tagOption('OtExtensionReceiver.setup', options.tag, 'ot.ext');
    const rng = options.rng ?? csprng();
    const { keys0, keys1 } = await randomBaseOtSend(ch, KAPPA, { rng, tag: `${tag}.base` });
    return new OtExtensionReceiver(
      ch,
      tag,
      new ColumnPrgs(keys0),
      new ColumnPrgs(keys1),
      new TweakableHash(),
    );
  }

  /** How many OTs this session has extended so far (the global index of the next one). */
  get count(): number {
    return this.nextIndex;
  }

  /**
   * Chosen-message OT: message `choices[i]` of each pair the sender offers.
   * @param choices - one 0/1 byte per OT
   * @param length - bytes per message, an integer in [1, 65536], the sender's
   * @returns the chosen messages, concatenated (choices.length · length bytes)
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for choices that are not 0/1 or a bad length
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length
   */
  async receive(choices: Uint8Array, length: number): Promise<Uint8Array> {
    const fn = 'OtExtensionReceiver.receive';
    assertChoices(fn, 'choices', choices);
    assertCount(fn, 'length', length);
    if (length < 1 || length > MAX_MESSAGE_BYTES)
      throw new InvalidParameterError({
        fn,
        param: 'length',
        value: length,
        allowed: 'an integer in [1, 65536]',
      });
    const blocks = Math.ceil(length / 16);
    const chunkOts = chosenChunk(length);
    const hashes = this.prepare(fn, choices, blocks, chunkOts);
    const out = new Uint8Array(choices.length * length);
    await this.finish(
      fn,
      choices.length,
      2 * length,
      (y, n, offset) => {
        const half = n * length;
        for (let i = 0; i < n; i++) {
          const mask = -choices[offset + i]! & 0xff;
          const at = i * length;
          const to = (offset + i) * length;
          const hAt = (offset + i) * 16 * blocks;
          for (let b = 0; b < length; b++) {
            const y0 = y[at + b]!;
            out[to + b] = y0 ^ (mask & (y0 ^ y[half + at + b]!)) ^ hashes[hAt + b]!;
          }
        }
      },
      chunkOts,
    );
    return out;
  }

  /**
   * Correlated OT with the sender's global offset Δ: x0_i ⊕ c_i·Δ for each choice c_i.
   * @param choices - one 0/1 byte per OT
   * @returns 16 bytes per OT
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for choices that are not 0/1
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length
   */
  async receiveCorrelated(choices: Uint8Array): Promise<Uint8Array> {
    const fn = 'OtExtensionReceiver.receiveCorrelated';
    assertChoices(fn, 'choices', choices);
    const out = this.prepare(fn, choices, 1);
    const o = wordsOf(out);
    await this.finish(fn, choices.length, 16, (y, n, offset) => {
      const yw = wordsOf(y);
      for (let i = 0; i < n; i++) {
        const mask = -choices[offset + i]! | 0;
        const w = 4 * (offset + i);
        o[w] = o[w]! ^ (yw[4 * i]! & mask);
        o[w + 1] = o[w + 1]! ^ (yw[4 * i + 1]! & mask);
        o[w + 2] = o[w + 2]! ^ (yw[4 * i + 2]! & mask);
        o[w + 3] = o[w + 3]! ^ (yw[4 * i + 3]! & mask);
      }
    });
    return o.buffer === out.buffer ? out : new Uint8Array(o.buffer);
  }

  /**
   * Additive correlated OT over Z_2^64: s_i + c_i·delta_i mod 2^64, the sender holding s_i and delta_i.
   * @param choices - one 0/1 byte per OT
   * @returns one value per OT
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for choices that are not 0/1
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with a wrong tag or length
   */
  async receiveAdditive(choices: Uint8Array): Promise<BigUint64Array> {
    return this.startAdditive(choices)();
  }

  /**
   * {@link receiveAdditive} in two steps: sends this party's matrix now and returns the function that receives
   * the sender's corrections. Between the two a party may run its own {@link OtExtensionSender} on the same
   * channel, so that both directions of a multiplication share one round trip.
   * @param choices - one 0/1 byte per OT
   * @returns a function giving the outputs, to be called once
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for choices that are not 0/1
   */
  startAdditive(choices: Uint8Array): () => Promise<BigUint64Array> {
    const fn = 'OtExtensionReceiver.receiveAdditive';
    assertChoices(fn, 'choices', choices);
    const hashes = wordsOf(this.prepare(fn, choices, 1));
    choices = choices.slice(); // the caller may reuse its array before calling the finisher
    let finished = false;
    return async () => {
      if (finished)
        throw new InvalidParameterError({ fn, param: 'finish', value: 'a second call', allowed: 'one call' });
      finished = true;
      const out = new BigUint64Array(choices.length);
      const o = new Uint32Array(out.buffer);
      await this.finish(fn, choices.length, 8, (y, n, offset) => {
        const yw = wordsOf(y);
        for (let i = 0; i < n; i++) {
          const mask = -choices[offset + i]! | 0;
          const h = 4 * (offset + i);
          const lo = hashes[h]! + ((yw[2 * i]! & mask) >>> 0);
          const k = 2 * (offset + i);
          o[k] = lo >>> 0;
          o[k + 1] = (hashes[h + 1]! + (yw[2 * i + 1]! & mask) + (lo > 0xffffffff ? 1 : 0)) >>> 0;
        }
      });
      return out;
    };
  }

  /**
   * Random OT: the sender's random message `m_{c_i}` of each OT, 16 bytes.
   * @param choices - one 0/1 byte per OT
   * @returns 16 bytes per OT
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for choices that are not 0/1
   */
  async random(choices: Uint8Array): Promise<Uint8Array> {
    const fn = 'OtExtensionReceiver.random';
    assertChoices(fn, 'choices', choices);
    return this.prepare(fn, choices, 1);
  }

  /** Sends U for every chunk and returns H(i, t^i) (`blocks` blocks per OT). */
  private prepare(fn: string, choices: Uint8Array, blocks: number, chunkOts = CHUNK_OTS): Uint8Array {
    this.assertAlive(fn);
    const n = choices.length;
    const hashes = new Uint8Array(n * 16 * blocks);
    for (let offset = 0; offset < n; offset += chunkOts) {
      const chunk = Math.min(chunkOts, n - offset);
      const words = paddedWords(chunk);
      const r = packChoices(choices, offset, chunk, words);
      const { rows, u } = receiverMatrices(this.prg0, this.prg1, r, words);
      this.ch.send(`${this.tag}.u`, u);
      hashes.set(this.hash.hash(rows, chunk, this.nextIndex, blocks), offset * 16 * blocks);
      this.nextIndex += chunk;
    }
    return hashes;
  }

  /** Receives each chunk's corrections (`perOt` bytes per OT); marks the session aborted on error. */
  private async finish(
    fn: string,
    n: number,
    perOt: number,
    each: (y: Uint8Array, n: number, offset: number) => void,
    chunkOts = CHUNK_OTS,
  ): Promise<void> {
    this.assertAlive(fn);
    try {
      for (let offset = 0; offset < n; offset += chunkOts) {
        const chunk = Math.min(chunkOts, n - offset);
        each(await recvExact(this.ch, `${this.tag}.y`, chunk * perOt), chunk, offset);
      }
    } catch (error) {
      this.abortedBy = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  private assertAlive(fn: string): void {
    if (this.abortedBy !== undefined)
      throw new ProtocolError(`${fn}: the session with ${this.ch.peer} was aborted: ${this.abortedBy}`, {
        peer: this.ch.peer,
        stage: this.tag,
      });
  }
}
