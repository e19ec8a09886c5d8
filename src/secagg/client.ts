/**
 * The SecAgg client (Bonawitz et al., CCS 2017, semi-honest server with signatures and the consistency check
 * against an active one). One instance per client per aggregation; its methods are the protocol's stages and
 * must be called in order. It never reveals both secrets of one peer: a peer named as dropped gets its mask-key
 * share released, a peer named as surviving its self-mask share, and a request naming a peer as both (or a
 * survivor list that was not signed by at least `threshold` clients) is refused. Because of that, a threshold
 * above half of the client's neighbourhood stops a server that shows different survivor lists to different
 * clients from collecting both secrets of one client from honest holders: the client refuses any other threshold
 * at share-keys (see docs/secure-aggregation.md for what this does not cover).
 */
import type { KeyObject } from 'node:crypto';
import { assertInteger, InvalidParameterError, ProtocolError, type Rng } from '../core/index.js';
import {
  agreementKeyPairFromPrivate,
  type KeyPair,
  open,
  type Share,
  seal,
  shareSecret,
  sign,
  verify,
} from '../crypto/index.js';
import {
  type AdvertiseMessage,
  advertiseBytes,
  applyMask,
  type ConsistencyMessage,
  consistencyBytes,
  type MaskedInputMessage,
  packShares,
  pairSeed,
  SECRET_CHUNKS,
  type ShareKeysMessage,
  shareAad,
  shareKey,
  type UnmaskMessage,
  unpackShares,
} from './common.js';
import {
  COMPLETE_GRAPH,
  isConnected,
  MIN_NEIGHBOURHOOD,
  neighbourhoodSize,
  neighbourhoods,
  type SecAggGraph,
  thresholdProblem,
  validateGraph,
} from './graph.js';

type Stage = 'advertise' | 'share-keys' | 'masked-input' | 'consistency' | 'unmask' | 'done';

/** Options of {@link SecAggClient}. */
export interface SecAggClientOptions {
  readonly id: string;
  /** The aggregation's unique id (a fresh one per round: it binds every signature and key). */
  readonly session: string;
  /**
   * Shamir threshold: the minimum number of clients of this client's neighbourhood (itself included; the whole
   * roster under the complete graph) that must survive each stage. It must be a strict majority of that
   * neighbourhood, which must hold at least 3 clients (`thresholdProblem` in graph.ts); the client refuses to
   * share keys otherwise. There is no opt-out.
   */
  readonly threshold: number;
  /** SecAgg's complete graph (default) or SecAgg+'s random k-regular graph; the server must use the same. */
  readonly graph?: SecAggGraph;
  /** This client's long-term Ed25519 key (its public half is known to everyone, e.g. through the PKI). */
  readonly signingKey: KeyObject;
  /** Long-term Ed25519 public keys of the other clients, by id. */
  readonly peers: ReadonlyMap<string, Uint8Array>;
  /** The CSPRNG (masks and shares protect the input). */
  readonly rng: Rng;
}

const NONCE = new Uint8Array(12); // each share key is used once (per session, per direction)

export class SecAggClient {
  private stage: Stage = 'advertise';
  private readonly o: SecAggClientOptions;
  private readonly encryption: KeyPair;
  private readonly maskSecret: Uint8Array;
  private readonly mask: KeyPair;
  private readonly selfSeed = new Uint8Array(32);
  private roster = new Map<string, AdvertiseMessage>();
  /** Every client's neighbours (fixed by the roster). */
  private graph = new Map<string, readonly string[]>();
  /** This client and its neighbours. */
  private scope = new Set<string>();
  /** Shares received from each peer in stage 1 (the clients of U2 as this client knows them). */
  private received = new Map<string, { mask: Share; self: Share }>();
  private maskedFor: readonly string[] = [];
  /** The survivor list this client signed in the consistency check (sorted). */
  private signedSurvivors: readonly string[] | null = null;

  constructor(options: SecAggClientOptions) {
    validateGraph(options.graph ?? COMPLETE_GRAPH, 'SecAggClient');
    // A threshold of 1 would let a sum of one input, which is that input, be unmasked.
    assertInteger('SecAggClient', 'threshold', options.threshold, 2, 65535);
    this.o = options;
    const secret = new Uint8Array(32);
    options.rng.fillBytes(secret);
    this.encryption = agreementKeyPairFromPrivate(secret);
    this.maskSecret = new Uint8Array(32);
    options.rng.fillBytes(this.maskSecret);
    this.mask = agreementKeyPairFromPrivate(this.maskSecret);
    options.rng.fillBytes(this.selfSeed);
  }

  /**
   * Why a client would refuse these parameters for a roster of `rosterSize` clients (the roster may only shrink
   * before share-keys), or null: a bad graph or threshold (the constructor's checks), or a threshold that is not
   * a strict majority of a neighbourhood of at least 3 clients (the check of {@link shareKeys}). Lets a caller
   * sit a round out before doing any work for it.
   */
  static setupProblem(options: {
    readonly threshold: number;
    readonly rosterSize: number;
    readonly graph?: SecAggGraph;
  }): string | null {
    const graph = options.graph ?? COMPLETE_GRAPH;
    try {
      validateGraph(graph, 'SecAggClient');
      assertInteger('SecAggClient', 'threshold', options.threshold, 2, 65535);
    } catch (err) {
      if (err instanceof InvalidParameterError) return err.message;
      throw err;
    }
    return thresholdProblem(options.threshold, neighbourhoodSize(options.rosterSize, graph));
  }

  private expect(stage: Stage): void {
    if (this.stage !== stage) {
      throw new ProtocolError(`secagg client ${this.o.id}: ${stage} requested during ${this.stage}`, {
        stage,
        expected: this.stage,
      });
    }
  }

  /** Stage 0: the signed public keys. */
  advertise(): AdvertiseMessage {
    this.expect('advertise');
    const m = { from: this.o.id, encryptionKey: this.encryption.publicKey, maskKey: this.mask.publicKey };
    this.stage = 'share-keys';
    return { ...m, signature: sign(this.o.signingKey, advertiseBytes(this.o.session, m)) };
  }

  /** Stage 1: checks the roster's signatures, then shares the mask key and the self-mask seed with every peer. */
  shareKeys(roster: readonly AdvertiseMessage[]): ShareKeysMessage {
    this.expect('share-keys');
    const ids = new Set<string>();
    for (const a of roster) {
      const pk = a.from === this.o.id ? null : this.o.peers.get(a.from);
      if (a.from !== this.o.id && (!pk || !verify(pk, advertiseBytes(this.o.session, a), a.signature))) {
        throw new ProtocolError(`secagg: the advertisement of "${a.from}" is not signed by its key`, {
          stage: 'share-keys',
        });
      }
      if (ids.has(a.from))
        throw new ProtocolError(`secagg: "${a.from}" appears twice in the roster`, { stage: 'share-keys' });
      ids.add(a.from);
    }
    if (!ids.has(this.o.id))
      throw new ProtocolError('secagg: this client is missing from the roster', { stage: 'share-keys' });
    const sorted = [...roster].sort((a, b) => (a.from < b.from ? -1 : 1));
    this.roster = new Map(sorted.map((a) => [a.from, a]));
    this.graph = neighbourhoods(this.o.session, [...this.roster.keys()], this.o.graph ?? COMPLETE_GRAPH);
    this.scope = new Set([this.o.id, ...this.graph.get(this.o.id)!]);
    // Checked against this client's own view of the roster, before any share leaves it: the holders of its
    // shares are exactly this scope, and each honest one releases one of its two secrets, so a threshold above
    // half the scope keeps a server that shows two survivor lists from rebuilding both.
    const unsafe = thresholdProblem(this.o.threshold, this.scope.size);
    if (unsafe) {
      throw new ProtocolError(`secagg client ${this.o.id}: refusing to share keys: ${unsafe}`, {
        stage: 'share-keys',
        expected: `a threshold above half of a neighbourhood of at least ${MIN_NEIGHBOURHOOD} clients`,
      });
    }
    const group = sorted.filter((a) => this.scope.has(a.from));
    const n = group.length;
    const maskShares = shareSecret(this.maskSecret, this.o.threshold, n, this.o.rng);
    const selfShares = shareSecret(this.selfSeed, this.o.threshold, n, this.o.rng);
    const shares: { to: string; ciphertext: Uint8Array }[] = [];
    group.forEach((a, i) => {
      if (a.from === this.o.id) {
        this.received.set(this.o.id, { mask: maskShares[i]!, self: selfShares[i]! });
        return;
      }
      const key = shareKey(this.o.session, this.encryption.privateKey, a.encryptionKey, this.o.id, a.from);
      shares.push({
        to: a.from,
        ciphertext: seal(
          key,
          NONCE,
          packShares(maskShares[i]!, selfShares[i]!),
          shareAad(this.o.session, this.o.id, a.from),
        ),
      });
    });
    this.stage = 'masked-input';
    return { from: this.o.id, shares };
  }

  /**
   * Stage 2: decrypts the shares addressed to this client (`from` must be in the roster), and masks `input`
   * (already encoded in Z_2^32) with the self mask and a pairwise mask for every client that shared.
   */
  maskedInput(
    incoming: readonly { readonly from: string; readonly ciphertext: Uint8Array }[],
    input: Uint32Array,
  ): MaskedInputMessage {
    this.expect('masked-input');
    for (const { from, ciphertext } of incoming) {
      const a = this.roster.get(from);
      if (!a || from === this.o.id || !this.scope.has(from) || this.received.has(from)) {
        throw new ProtocolError(`secagg: unexpected shares from "${from}"`, { stage: 'masked-input' });
      }
      const key = shareKey(this.o.session, this.encryption.privateKey, a.encryptionKey, from, this.o.id);
      const shares = unpackShares(
        open(key, NONCE, ciphertext, shareAad(this.o.session, from, this.o.id)),
        SECRET_CHUNKS,
      );
      if (!shares)
        throw new ProtocolError(`secagg: malformed shares from "${from}"`, { stage: 'masked-input' });
      this.received.set(from, shares);
    }
    if (this.received.size < this.o.threshold) {
      throw new ProtocolError(
        `secagg: shares from ${this.received.size} clients, fewer than the threshold ${this.o.threshold}`,
        {
          stage: 'masked-input',
        },
      );
    }
    const masked = Uint32Array.from(input);
    applyMask(masked, this.selfSeed, 1);
    for (const peer of this.received.keys()) {
      if (peer === this.o.id) continue;
      const seed = pairSeed(
        this.o.session,
        this.mask.privateKey,
        this.roster.get(peer)!.maskKey,
        this.o.id,
        peer,
      );
      applyMask(masked, seed, this.o.id < peer ? 1 : -1);
    }
    this.maskedFor = [...this.received.keys()];
    this.stage = 'consistency';
    return { from: this.o.id, masked };
  }

  /** Stage 3: signs the list of clients whose masked input the server says it holds (all must have shared). */
  consistency(survivors: readonly string[]): ConsistencyMessage {
    this.expect('consistency');
    this.checkSurvivors(survivors);
    this.signedSurvivors = [...survivors].sort();
    this.stage = 'unmask';
    return {
      from: this.o.id,
      signature: sign(this.o.signingKey, consistencyBytes(this.o.session, [...survivors].sort())),
    };
  }

  /**
   * The survivor list must name this client, no client twice, only roster clients, and, of this client's
   * neighbours, only those whose shares it holds (it masked against exactly those); at least `threshold` of its
   * neighbourhood must survive.
   */
  private checkSurvivors(survivors: readonly string[]): void {
    const known = new Set(this.maskedFor);
    if (
      new Set(survivors).size !== survivors.length ||
      survivors.some((s) => !this.roster.has(s) || (this.scope.has(s) && !known.has(s))) ||
      !survivors.includes(this.o.id)
    ) {
      throw new ProtocolError(
        'secagg: the survivor list names a client that did not share with this one, or repeats one',
        { stage: 'consistency' },
      );
    }
    const near = survivors.filter((s) => this.scope.has(s)).length;
    if (near < this.o.threshold) {
      throw new ProtocolError(
        `secagg: ${near} survivors in this client's neighbourhood, fewer than the threshold ${this.o.threshold}`,
        { stage: 'consistency' },
      );
    }
  }

  /**
   * Stage 4: after checking that at least `threshold` clients signed the same survivor list, releases, for every
   * client that shared with this one, exactly one secret's share: the mask key of a dropped client, the self-mask
   * seed of a survivor.
   */
  unmask(survivors: readonly string[], signatures: readonly ConsistencyMessage[]): UnmaskMessage {
    this.expect('unmask');
    // Only the list this client signed (Bonawitz et al., round 4): a server showing another list now is lying.
    const sorted = [...survivors].sort();
    if (
      sorted.length !== this.signedSurvivors!.length ||
      sorted.some((s, i) => s !== this.signedSurvivors![i])
    ) {
      throw new ProtocolError(
        'secagg: the survivor list differs from the one this client signed in the consistency check: refusing to unmask',
        { stage: 'unmask' },
      );
    }
    this.checkSurvivors(survivors);
    const bytes = consistencyBytes(this.o.session, [...survivors].sort());
    const signers = new Set<string>();
    for (const s of signatures) {
      if (!this.scope.has(s.from) || !survivors.includes(s.from)) continue;
      const pk = s.from === this.o.id ? null : this.o.peers.get(s.from);
      if (s.from === this.o.id || (pk && verify(pk, bytes, s.signature))) signers.add(s.from);
    }
    if (signers.size < this.o.threshold) {
      throw new ProtocolError(
        `secagg: only ${signers.size} valid signatures on the survivor list from this client's neighbourhood, fewer than the threshold ${this.o.threshold}: refusing to unmask`,
        { stage: 'unmask' },
      );
    }
    // With a sparse graph, survivors split into components would let the server unmask each component's sum.
    if (!isConnected(survivors, this.graph)) {
      throw new ProtocolError(
        'secagg: the survivors do not form a connected graph, so unmasking would reveal partial sums: refusing to unmask',
        { stage: 'unmask' },
      );
    }
    const alive = new Set(survivors);
    const maskKeyShares: UnmaskMessage['maskKeyShares'][number][] = [];
    const selfMaskShares: UnmaskMessage['selfMaskShares'][number][] = [];
    for (const [peer, shares] of this.received) {
      if (alive.has(peer)) selfMaskShares.push({ of: peer, share: shares.self });
      else maskKeyShares.push({ of: peer, share: shares.mask });
    }
    this.stage = 'done';
    this.maskSecret.fill(0);
    return { from: this.o.id, maskKeyShares, selfMaskShares };
  }
}
