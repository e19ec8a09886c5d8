/**
 * The SecAgg server: collects each stage's messages, checks them, and finally removes the masks to learn only
 * the sum of the surviving clients' inputs. Transport-agnostic (the coordinator calls it); a stage closes when
 * the caller decides (deadline or everyone answered) with {@link SecAggServer.close}, and fails with a
 * ProtocolError when fewer than `threshold` clients are left, revealing nothing.
 */
import { ProtocolError } from '../core/index.js';
import { agreementKeyPairFromPrivate, reconstructSecret, type Share, verify } from '../crypto/index.js';
import {
  type AdvertiseMessage,
  advertiseBytes,
  applyMask,
  type ConsistencyMessage,
  consistencyBytes,
  type MaskedInputMessage,
  pairSeed,
  type ShareKeysMessage,
  type UnmaskMessage,
} from './common.js';

type Stage = 'advertise' | 'share-keys' | 'masked-input' | 'consistency' | 'unmask' | 'done' | 'failed';
const ORDER: Stage[] = ['advertise', 'share-keys', 'masked-input', 'consistency', 'unmask', 'done'];

/** Options of {@link SecAggServer}. */
export interface SecAggServerOptions {
  readonly session: string;
  readonly threshold: number;
  /** Length of every input vector (words of Z_2^32). */
  readonly length: number;
  /** Long-term Ed25519 public keys of the clients allowed to take part, by id. */
  readonly clients: ReadonlyMap<string, Uint8Array>;
}

/** What the server learned. */
export interface SecAggResult {
  /** Sum of the survivors' inputs, mod 2^32. */
  readonly sum: Uint32Array;
  /** Clients whose input is in the sum. */
  readonly survivors: readonly string[];
  /** Clients dropped at each stage (by the stage they failed to complete). */
  readonly dropped: Readonly<
    Record<'advertise' | 'share-keys' | 'masked-input' | 'consistency' | 'unmask', readonly string[]>
  >;
}

export class SecAggServer {
  private stage: Stage = 'advertise';
  private readonly o: SecAggServerOptions;
  private readonly adverts = new Map<string, AdvertiseMessage>();
  private readonly shares = new Map<string, ShareKeysMessage>();
  private readonly masked = new Map<string, Uint32Array>();
  private readonly signatures = new Map<string, ConsistencyMessage>();
  private readonly unmasks = new Map<string, UnmaskMessage>();
  private readonly dropped: Record<string, string[]> = {};
  private failure: string | null = null;

  constructor(options: SecAggServerOptions) {
    this.o = options;
  }

  get currentStage(): Stage {
    return this.stage;
  }

  private refuse(reason: string): never {
    throw new ProtocolError(`secagg server: ${reason}`, { stage: this.stage });
  }

  private accept(
    stage: Stage,
    from: string,
    seen: Map<string, unknown>,
    eligible: (id: string) => boolean,
  ): void {
    if (this.stage !== stage) this.refuse(`a ${stage} message from "${from}" arrived during ${this.stage}`);
    if (!eligible(from)) this.refuse(`"${from}" is not a client of this stage`);
    if (seen.has(from)) this.refuse(`a second ${stage} message from "${from}" (replay?)`);
  }

  receiveAdvertise(m: AdvertiseMessage): void {
    this.accept('advertise', m.from, this.adverts, (id) => this.o.clients.has(id));
    if (!verify(this.o.clients.get(m.from)!, advertiseBytes(this.o.session, m), m.signature)) {
      this.refuse(`the advertisement of "${m.from}" is not signed by its key`);
    }
    this.adverts.set(m.from, m);
  }

  /** The roster for stage 1 (after closing stage 0). */
  roster(): AdvertiseMessage[] {
    return [...this.adverts.values()].sort((a, b) => (a.from < b.from ? -1 : 1));
  }

  receiveShareKeys(m: ShareKeysMessage): void {
    this.accept('share-keys', m.from, this.shares, (id) => this.adverts.has(id));
    const to = m.shares.map((s) => s.to);
    const expected = [...this.adverts.keys()].filter((id) => id !== m.from);
    if (
      new Set(to).size !== to.length ||
      to.length !== expected.length ||
      expected.some((id) => !to.includes(id))
    ) {
      this.refuse(`"${m.from}" must send exactly one ciphertext to each other client of the roster`);
    }
    this.shares.set(m.from, m);
  }

  /** The ciphertexts addressed to `client`, from every client that completed stage 1. */
  sharesFor(client: string): { from: string; ciphertext: Uint8Array }[] {
    if (!this.shares.has(client)) return [];
    const out: { from: string; ciphertext: Uint8Array }[] = [];
    for (const [from, m] of this.shares) {
      if (from === client) continue;
      out.push({ from, ciphertext: m.shares.find((s) => s.to === client)!.ciphertext });
    }
    return out;
  }

  receiveMaskedInput(m: MaskedInputMessage): void {
    this.accept('masked-input', m.from, this.masked, (id) => this.shares.has(id));
    if (!(m.masked instanceof Uint32Array) || m.masked.length !== this.o.length) {
      this.refuse(`the masked input of "${m.from}" must have ${this.o.length} words`);
    }
    this.masked.set(m.from, Uint32Array.from(m.masked));
  }

  /** The clients whose masked input the server holds (stage 3's list). */
  survivors(): string[] {
    return [...this.masked.keys()].sort();
  }

  receiveConsistency(m: ConsistencyMessage): void {
    this.accept('consistency', m.from, this.signatures, (id) => this.masked.has(id));
    if (
      !verify(this.o.clients.get(m.from)!, consistencyBytes(this.o.session, this.survivors()), m.signature)
    ) {
      this.refuse(`the consistency signature of "${m.from}" does not cover the survivor list`);
    }
    this.signatures.set(m.from, m);
  }

  /** The signatures to forward with the unmask request. */
  consistencySignatures(): ConsistencyMessage[] {
    return [...this.signatures.values()];
  }

  receiveUnmask(m: UnmaskMessage): void {
    this.accept('unmask', m.from, this.unmasks, (id) => this.signatures.has(id));
    const alive = new Set(this.survivors());
    const sharedWith = new Set(this.shares.keys());
    for (const s of m.selfMaskShares)
      if (!alive.has(s.of)) this.refuse(`"${m.from}" sent a self-mask share of non-survivor "${s.of}"`);
    for (const s of m.maskKeyShares) {
      if (alive.has(s.of) || !sharedWith.has(s.of))
        this.refuse(`"${m.from}" sent a mask-key share of "${s.of}", which is not a dropped client`);
    }
    this.unmasks.set(m.from, m);
  }

  /**
   * Closes the current stage: the clients that answered go on, the others are dropped. Fails (ProtocolError,
   * nothing revealed) when fewer than `threshold` answered.
   */
  close(): void {
    const stage = this.stage;
    if (stage === 'done' || stage === 'failed') this.refuse(`no stage to close (${stage})`);
    const [answered, eligible]: [Map<string, unknown>, string[]] =
      stage === 'advertise'
        ? [this.adverts, [...this.o.clients.keys()]]
        : stage === 'share-keys'
          ? [this.shares, [...this.adverts.keys()]]
          : stage === 'masked-input'
            ? [this.masked, [...this.shares.keys()]]
            : stage === 'consistency'
              ? [this.signatures, [...this.masked.keys()]]
              : [this.unmasks, [...this.signatures.keys()]];
    this.dropped[stage] = eligible.filter((id) => !answered.has(id)).sort();
    if (answered.size < this.o.threshold) {
      this.stage = 'failed';
      this.failure = `${stage}: ${answered.size} clients answered, fewer than the threshold ${this.o.threshold}; the round is aborted and nothing is unmasked`;
      throw new ProtocolError(`secagg server: ${this.failure}`, { stage });
    }
    this.stage = ORDER[ORDER.indexOf(stage) + 1]!;
  }

  /** After the unmask stage is closed: removes the masks and returns the sum. */
  result(): SecAggResult {
    if (this.stage !== 'done') this.refuse('the result exists only after the unmask stage is closed');
    const survivors = this.survivors();
    const alive = new Set(survivors);
    const sum = new Uint32Array(this.o.length);
    for (const v of this.masked.values())
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i]! + v[i]!) >>> 0;
    const collect = (kind: 'selfMaskShares' | 'maskKeyShares', of: string): Share[] => {
      const out: Share[] = [];
      for (const m of this.unmasks.values()) for (const s of m[kind]) if (s.of === of) out.push(s.share);
      return out;
    };
    const t = this.o.threshold;
    for (const u of survivors) {
      const seed = reconstructSecret(collect('selfMaskShares', u), t, 32);
      applyMask(sum, seed, -1);
    }
    const droppedAfterSharing = [...this.shares.keys()].filter((id) => !alive.has(id));
    for (const u of droppedAfterSharing) {
      const sk = agreementKeyPairFromPrivate(reconstructSecret(collect('maskKeyShares', u), t, 32));
      for (const v of survivors) {
        // v added +PRG if v < u, -PRG otherwise: subtract what v added
        const seed = pairSeed(this.o.session, sk.privateKey, this.adverts.get(v)!.maskKey, u, v);
        applyMask(sum, seed, v < u ? -1 : 1);
      }
    }
    return {
      sum,
      survivors,
      dropped: {
        advertise: this.dropped.advertise ?? [],
        'share-keys': this.dropped['share-keys'] ?? [],
        'masked-input': this.dropped['masked-input'] ?? [],
        consistency: this.dropped.consistency ?? [],
        unmask: this.dropped.unmask ?? [],
      },
    };
  }
}
