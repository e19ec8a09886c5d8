/**
 * The SecAgg server: collects each stage's messages, checks them, and finally removes the masks to learn only
 * the sum of the surviving clients' inputs. Transport-agnostic (the coordinator calls it); a stage closes when
 * the caller decides (deadline or everyone answered) with {@link SecAggServer.close}, and fails with a
 * ProtocolError when fewer than `threshold` clients are left, revealing nothing.
 */
import { addMod32, assertInteger, ProtocolError } from '../core/index.js';
import {
  agreementKeyPairFromPrivate,
  isValidX25519PublicKey,
  reconstructSecret,
  SHAMIR_PRIME,
  type Share,
  verify,
} from '../crypto/index.js';
import {
  type AdvertiseMessage,
  advertiseBytes,
  applyMask,
  type ConsistencyMessage,
  consistencyBytes,
  type MaskedInputMessage,
  pairSeed,
  SECRET_CHUNKS,
  type ShareKeysMessage,
  type UnmaskMessage,
} from './common.js';
import { COMPLETE_GRAPH, neighbourhoods, type SecAggGraph, validateGraph } from './graph.js';

type Stage = 'advertise' | 'share-keys' | 'masked-input' | 'consistency' | 'unmask' | 'done' | 'failed';
const ORDER: Stage[] = ['advertise', 'share-keys', 'masked-input', 'consistency', 'unmask', 'done'];

/** Options of {@link SecAggServer}. */
export interface SecAggServerOptions {
  readonly session: string;
  /** Shamir threshold within each neighbourhood (the whole roster under the complete graph). */
  readonly threshold: number;
  /** SecAgg's complete graph (default) or SecAgg+'s random k-regular graph; the clients must use the same. */
  readonly graph?: SecAggGraph;
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
  /** Clients whose masked input is in {@link sum}. */
  private readonly masked = new Set<string>();
  /** Running sum of the masked inputs (the server never keeps one client's masked input apart). */
  private readonly sum: Uint32Array;
  private graph = new Map<string, readonly string[]>();
  /** Rank of each roster client in id order (fixed when the advertise stage closes): fixes the Shamir points. */
  private rank = new Map<string, number>();
  /** The signed bytes of the survivor list (set at the first consistency message). */
  private survivorBytes: Uint8Array | null = null;
  private readonly signatures = new Map<string, ConsistencyMessage>();
  private readonly unmasks = new Set<string>();
  /** Unmask-stage shares by the client whose secret they rebuild. */
  private readonly selfShares = new Map<string, Share[]>();
  private readonly keyShares = new Map<string, Share[]>();
  private readonly dropped: Record<string, string[]> = {};
  private failure: string | null = null;

  constructor(options: SecAggServerOptions) {
    validateGraph(options.graph ?? COMPLETE_GRAPH, 'SecAggServer');
    assertInteger('SecAggServer', 'threshold', options.threshold, 2, 65535);
    this.o = options;
    this.sum = new Uint32Array(options.length);
  }

  /** Neighbours of `client` in this aggregation's graph (fixed once the advertise stage is closed). */
  neighboursOf(client: string): readonly string[] {
    return this.graph.get(client) ?? [];
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
    seen: { has(id: string): boolean },
    eligible: (id: string) => boolean,
  ): void {
    if (this.stage !== stage) this.refuse(`a ${stage} message from "${from}" arrived during ${this.stage}`);
    if (!eligible(from)) this.refuse(`"${from}" is not a client of this stage`);
    if (seen.has(from)) this.refuse(`a second ${stage} message from "${from}" (replay?)`);
  }

  receiveAdvertise(m: AdvertiseMessage): void {
    this.accept('advertise', m.from, this.adverts, (id) => this.o.clients.has(id));
    // A key no peer can agree with (wrong length, small order: all-zero secret) would make every honest
    // neighbour refuse the round at share-keys or masked-input; refused here, its sender never joins the roster.
    for (const [name, key] of [
      ['encryption', m.encryptionKey],
      ['mask', m.maskKey],
    ] as const) {
      if (!isValidX25519PublicKey(key)) {
        this.refuse(
          `the ${name} key advertised by "${m.from}" is not a valid X25519 public key (${key instanceof Uint8Array ? `${key.length} bytes` : typeof key}; allowed: 32 bytes, not a small-order point)`,
        );
      }
    }
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
    const expected = this.neighboursOf(m.from);
    if (
      new Set(to).size !== to.length ||
      to.length !== expected.length ||
      expected.some((id) => !to.includes(id))
    ) {
      this.refuse(`"${m.from}" must send exactly one ciphertext to each of its neighbours in the roster`);
    }
    this.shares.set(m.from, m);
  }

  /** The ciphertexts addressed to `client`, from every neighbour that completed stage 1. */
  sharesFor(client: string): { from: string; ciphertext: Uint8Array }[] {
    if (!this.shares.has(client)) return [];
    const out: { from: string; ciphertext: Uint8Array }[] = [];
    for (const from of this.neighboursOf(client)) {
      const m = this.shares.get(from);
      if (m) out.push({ from, ciphertext: m.shares.find((s) => s.to === client)!.ciphertext });
    }
    return out;
  }

  receiveMaskedInput(m: MaskedInputMessage): void {
    this.accept('masked-input', m.from, this.masked, (id) => this.shares.has(id));
    if (!(m.masked instanceof Uint32Array) || m.masked.length !== this.o.length) {
      this.refuse(`the masked input of "${m.from}" must have ${this.o.length} words`);
    }
    addMod32(this.sum, m.masked, this.sum);
    this.masked.add(m.from);
  }

  /** The clients whose masked input the server holds (stage 3's list). */
  survivors(): string[] {
    return [...this.masked].sort();
  }

  receiveConsistency(m: ConsistencyMessage): void {
    this.accept('consistency', m.from, this.signatures, (id) => this.masked.has(id));
    // the list is fixed once the masked-input stage closed: frame it once, not once per message
    this.survivorBytes ??= consistencyBytes(this.o.session, this.survivors());
    if (!verify(this.o.clients.get(m.from)!, this.survivorBytes, m.signature)) {
      this.refuse(`the consistency signature of "${m.from}" does not cover the survivor list`);
    }
    this.signatures.set(m.from, m);
  }

  /** The signatures to forward with the unmask request. */
  consistencySignatures(): ConsistencyMessage[] {
    return [...this.signatures.values()];
  }

  /**
   * The evaluation point at which `holder` holds the shares of `of`'s secrets: the client numbered its
   * neighbourhood (itself and its neighbours) in id order from 1 (SecAggClient.shareKeys, shareSecret).
   */
  private pointOf(of: string, holder: string): number {
    const near = this.neighboursOf(of);
    const r = this.rank.get(holder)!;
    // complete graph: the neighbourhood is the whole roster
    if (near.length === this.rank.size - 1) return r + 1;
    let x = 1;
    if (this.rank.get(of)! < r) x++;
    for (const v of near) if (this.rank.get(v)! < r) x++;
    return x;
  }

  /**
   * Checks one unmask share: the point must be the sender's own (an integer in [1, p) by construction, and
   * distinct from every other holder's, so no two shares of one secret ever share a point, whoever sent them),
   * and the values {@link SECRET_CHUNKS} field elements. Reconstruction (result()) then cannot fail. What no
   * check can catch: a share at the right point with wrong values in [0, p) silently rebuilds a wrong secret
   * (plain Shamir shares carry no proof; see docs/secure-aggregation.md).
   */
  private checkShare(from: string, kind: 'self-mask' | 'mask-key', of: string, share: Share): void {
    const what = `"${from}" sent a ${kind} share of "${of}"`;
    const x: unknown = share?.x;
    const expected = this.pointOf(of, from);
    if (x !== expected) {
      this.refuse(
        `${what} at evaluation point x = ${String(x)}, but "${from}" holds x = ${expected} of that secret (allowed: its own point, an integer in [1, ${SHAMIR_PRIME}) no other holder has)`,
      );
    }
    const y: unknown = share.y;
    if (!(y instanceof Uint32Array) || y.length !== SECRET_CHUNKS || y.some((v) => v >= SHAMIR_PRIME)) {
      this.refuse(
        `${what} whose y is not ${SECRET_CHUNKS} words below p (allowed: a Uint32Array of ${SECRET_CHUNKS} values in [0, ${SHAMIR_PRIME}); got ${y instanceof Uint32Array ? `${y.length} words` : typeof y})`,
      );
    }
  }

  receiveUnmask(m: UnmaskMessage): void {
    this.accept('unmask', m.from, this.unmasks, (id) => this.signatures.has(id));
    if (!Array.isArray(m.selfMaskShares) || !Array.isArray(m.maskKeyShares))
      this.refuse(`the unmask message of "${m.from}" must carry two lists of shares`);
    // Everything is checked before anything is stored: a refused message leaves no share behind, and its sender
    // is dropped at this stage like a client that never answered (it may still send a valid message in time).
    const near = new Set([m.from, ...this.neighboursOf(m.from)]);
    const seen = new Set<string>();
    for (const s of m.selfMaskShares) {
      if (!this.masked.has(s.of) || !near.has(s.of) || seen.has(s.of))
        this.refuse(`"${m.from}" sent a self-mask share of "${s.of}", which is not a surviving neighbour`);
      seen.add(s.of);
      this.checkShare(m.from, 'self-mask', s.of, s.share);
    }
    for (const s of m.maskKeyShares) {
      if (this.masked.has(s.of) || !this.shares.has(s.of) || !near.has(s.of) || seen.has(s.of))
        this.refuse(`"${m.from}" sent a mask-key share of "${s.of}", which is not a dropped neighbour`);
      seen.add(s.of);
      this.checkShare(m.from, 'mask-key', s.of, s.share);
    }
    for (const [list, into] of [
      [m.selfMaskShares, this.selfShares],
      [m.maskKeyShares, this.keyShares],
    ] as const) {
      for (const s of list) {
        const got = into.get(s.of);
        if (got) got.push(s.share);
        else into.set(s.of, [s.share]);
      }
    }
    this.unmasks.add(m.from);
  }

  /** Shares of one secret of `of` received in the unmask stage. */
  private collect(kind: 'self' | 'key', of: string): Share[] {
    return (kind === 'self' ? this.selfShares : this.keyShares).get(of) ?? [];
  }

  /** Clients whose mask key must be rebuilt: they shared keys but their masked input never came. */
  private droppedAfterSharing(): string[] {
    return [...this.shares.keys()].filter((id) => !this.masked.has(id)).sort();
  }

  /**
   * Closes the current stage: the clients that answered go on, the others are dropped. Fails (ProtocolError,
   * nothing revealed) when fewer than `threshold` answered.
   */
  close(): void {
    const stage = this.stage;
    if (stage === 'done' || stage === 'failed') this.refuse(`no stage to close (${stage})`);
    const [answered, eligible]: [{ has(id: string): boolean; size: number }, string[]] =
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
    const fail = (why: string): never => {
      this.stage = 'failed';
      this.failure = `${stage}: ${why}; the round is aborted and nothing is unmasked`;
      throw new ProtocolError(`secagg server: ${this.failure}`, { stage });
    };
    if (answered.size < this.o.threshold)
      fail(`${answered.size} clients answered, fewer than the threshold ${this.o.threshold}`);
    if (stage === 'advertise') {
      this.graph = neighbourhoods(this.o.session, [...this.adverts.keys()], this.o.graph ?? COMPLETE_GRAPH);
      this.rank = new Map([...this.adverts.keys()].sort().map((id, i) => [id, i]));
    }
    if (stage === 'unmask') {
      for (const u of this.survivors()) {
        const got = this.collect('self', u).length;
        if (got < this.o.threshold)
          fail(`${got} shares of the self mask of "${u}", fewer than the threshold ${this.o.threshold}`);
      }
      for (const u of this.droppedAfterSharing()) {
        const got = this.collect('key', u).length;
        if (got < this.o.threshold)
          fail(
            `${got} shares of the mask key of dropped "${u}", fewer than the threshold ${this.o.threshold}`,
          );
      }
    }
    this.stage = ORDER[ORDER.indexOf(stage) + 1]!;
  }

  /**
   * After the unmask stage is closed: removes the masks and returns the sum. Every share and key it uses was
   * checked on receipt, so this does not fail; should it anyway, it fails with a ProtocolError (the stage becomes
   * 'failed', nothing is returned), never with another error. A share with wrong values at the right point is
   * not detectable: the sum is then wrong (see {@link SecAggServer.checkShare}).
   */
  result(): SecAggResult {
    if (this.stage !== 'done') this.refuse('the result exists only after the unmask stage is closed');
    try {
      return this.unmask();
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      this.stage = 'failed';
      this.failure = `unmask: the masks could not be removed (${err instanceof Error ? err.message : String(err)}); nothing is revealed`;
      throw new ProtocolError(`secagg server: ${this.failure}`, { stage: 'unmask' });
    }
  }

  private unmask(): SecAggResult {
    const survivors = this.survivors();
    const sum = Uint32Array.from(this.sum);
    const t = this.o.threshold;
    for (const u of survivors) {
      const seed = reconstructSecret(this.collect('self', u), t, 32);
      applyMask(sum, seed, -1);
    }
    for (const u of this.droppedAfterSharing()) {
      const sk = agreementKeyPairFromPrivate(reconstructSecret(this.collect('key', u), t, 32));
      // survivors that held u's shares masked against u
      for (const v of this.neighboursOf(u)) {
        if (!this.masked.has(v)) continue;
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
