/**
 * The node's side of secure aggregation (SecAgg / SecAgg+), driving a {@link SecAggClient}: whether to join a
 * round at all (its setup checked before the node trains, every peer's key binding verified, or the node's own
 * minimum threshold), the advertisement sent after local training (the delta clipped, encoded in fixed point
 * with this node's share of the distributed noise, and kept here), then one answer per stage the coordinator
 * delivers through the long poll. A node that cannot join says so (event `secagg-refused`) and sits the round
 * out; it never stops over a setup.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  BudgetExceededError,
  IntegrityError,
  InvalidParameterError,
  ProtocolError,
} from '../../core/index.js';
import {
  addDiscreteGaussianNoise,
  encodeClipped,
  type FixedPointPlan,
  SecAggClient,
  type SecAggGraph,
} from '../../secagg/index.js';
import {
  type SecAggSetup,
  type SecAggTask,
  SubmitSecAggRequestSchema,
  type TrainTask,
} from '../../transport/index.js';
import { bytesFromWords } from '../protocol/index.js';
import type { NodeSigningKey } from './key-binding.js';
import type { CoordinatorLink, TrafficCount } from './link.js';
import type { NodeOptions } from './options.js';
import type { NodePrivacy } from './privacy.js';
import type { NodeProgress } from './records.js';

/** What the secure-aggregation client works with. */
export interface SecureClientContext {
  readonly o: NodeOptions;
  readonly link: CoordinatorLink;
  readonly signing: NodeSigningKey;
  readonly privacy: NodePrivacy;
  readonly progress: NodeProgress;
}

/** The stages after the advertisement, as the node names them. */
type Stage = 'share-keys' | 'masked-input' | 'consistency' | 'unmask';

/** A node's secure aggregation client, across rounds. */
export class SecureRoundClient {
  /** Secure aggregations this node cannot join (set up before it restarted, or refused). */
  private readonly satOut = new Set<string>();
  /** The round's secure aggregation in progress. */
  private secure: {
    readonly round: number;
    readonly session: string;
    readonly client: SecAggClient;
    input: Uint32Array | null;
    readonly before: TrafficCount;
  } | null = null;

  constructor(private readonly ctx: SecureClientContext) {}

  /**
   * Whether this node sits out a secure round, deciding before it trains: one set up with the key of an earlier
   * run of this node (it restarted) cannot be joined, and an invalid setup (see {@link setupProblem}) or a peer
   * key not bound to a node certificate is refused. The node says so once (event `secagg-refused`) and waits for
   * the next round without training; it never stops over a setup.
   */
  async sitsOut(round: number, setup: SecAggSetup, dimension: number): Promise<boolean> {
    if (this.satOut.has(setup.session)) {
      await this.ctx.link.sleep(1_000);
      return true;
    }
    const me = this.ctx.signing.ownPeer(setup);
    let reason: string | null = me
      ? null
      : 'the round was set up with another signing key of this node (it restarted); sitting it out';
    if (!reason) {
      const problem = this.setupProblem(setup, dimension);
      if (problem) reason = `invalid secure aggregation setup: ${problem}; sitting the round out`;
    }
    if (!reason) reason = this.ctx.signing.unboundPeer(setup, me);
    if (!reason) return false;
    this.satOut.add(setup.session);
    this.ctx.o.onEvent?.({ kind: 'secagg-refused', round, reason });
    return true;
  }

  /**
   * Under `requireSecureAggregation`: whether this node refuses the round (a plain update asked for, or a
   * threshold below its minimum). It says so once per round and then waits, never training for it.
   */
  async refusesRound(task: TrainTask): Promise<boolean> {
    const min = this.ctx.o.requireSecureAggregation?.minThreshold ?? 2;
    const key = `refused/${task.round}/${task.secagg?.session ?? 'plain'}`;
    if (this.satOut.has(key)) {
      await this.ctx.link.sleep(1_000);
      return true;
    }
    const reason = !task.secagg
      ? 'this node requires secure aggregation and the round asks for a plain update'
      : task.secagg.threshold < min
        ? `this node requires a secure aggregation threshold of at least ${min} (the round's is ${task.secagg.threshold})`
        : null;
    if (!reason) return false;
    this.satOut.add(key);
    this.ctx.o.onEvent?.({ kind: 'secagg-refused', round: task.round, reason });
    return true;
  }

  /**
   * Secure aggregation after local training: the delta is clipped, encoded in fixed point (with this node's
   * share of the distributed noise), and kept here; only the signed key advertisement goes out now.
   */
  async advertise(
    task: TrainTask,
    setup: SecAggSetup,
    delta: Float32Array,
    loss: number,
    epsilon: number | null,
    before: TrafficCount,
  ): Promise<void> {
    const round = task.round;
    // sitsOut checked the setup (setupProblem) before training; a failure left here is sat out, never fatal.
    const refuse = (why: string): void => {
      this.satOut.add(setup.session);
      this.ctx.o.onEvent?.({
        kind: 'secagg-refused',
        round,
        reason: `invalid secure aggregation setup: ${why}; sitting the round out`,
      });
    };
    const me = this.ctx.signing.ownPeer(setup)!;
    const peers = new Map<string, Uint8Array>();
    for (const p of setup.peers) if (p !== me) peers.set(p.node, p.signingKey);
    // One stream per session: a round drawn again (new session) gets fresh keys, seeds and shares even from a
    // seeded rng, so no secret of one attempt is reused in another.
    const rng = this.ctx.o.rng(`round/${round}/secagg/${setup.session}`);
    let client: SecAggClient;
    let input: Uint32Array;
    try {
      input = encodeClipped(delta, planFromSetup(setup, delta.length)!, rng);
      if (setup.noiseSigma > 0) addDiscreteGaussianNoise(input, setup.noiseSigma, rng);
      client = new SecAggClient({
        id: me.node,
        session: setup.session,
        threshold: setup.threshold,
        signingKey: this.ctx.signing.privateKey,
        peers,
        rng,
        graph: graphOf(setup),
      });
    } catch (err) {
      if (!(err instanceof ProtocolError || err instanceof InvalidParameterError)) throw err;
      return refuse(err.message);
    }
    const ad = client.advertise();
    this.secure = { round, session: setup.session, client, input, before };
    const response = await this.ctx.link.call(() =>
      this.ctx.o.client.submitSecAgg(
        create(SubmitSecAggRequestSchema, {
          round,
          session: setup.session,
          message: {
            case: 'advertise',
            value: {
              encryptionKey: ad.encryptionKey,
              maskKey: ad.maskKey,
              signature: ad.signature,
              numExamples: BigInt(this.ctx.privacy.recordCount()),
              trainLoss: this.ctx.privacy.releasesMetrics() && Number.isFinite(loss) ? loss : Number.NaN,
              localEpsilon: epsilon ?? 0,
              localDelta: this.ctx.privacy.reportedDelta(),
            },
          },
        }),
      ),
    );
    if (this.ctx.progress.lastRound !== round) this.ctx.progress.roundsTrained++;
    this.ctx.progress.lastRound = round;
    if (!response.accepted) this.secure = null;
    const after = this.ctx.link.counter();
    this.ctx.o.onEvent?.({
      kind: 'trained',
      round,
      loss,
      epsilon,
      accepted: response.accepted,
      reason: response.reason,
      uploadBytes: after.sent - before.sent,
      downloadBytes: after.received - before.received,
    });
  }

  /**
   * One stage of the round's secure aggregation. Before the masked input, the update's first release, the round's
   * local DP-SGD is charged (once per round: see privacy.ts); a refusal leaves the round unsent and returns why the
   * node must leave the federation. Null otherwise.
   */
  async stage(task: SecAggTask): Promise<string | null> {
    const st = this.secure;
    if (!st || st.session !== task.session || st.round !== task.round) {
      // A stage of an aggregation this node holds no state for (it restarted, or refused earlier): sit it out.
      await this.ctx.link.sleep(1_000);
      return null;
    }
    const s = task.stage;
    const names = {
      shareKeys: 'share-keys',
      maskedInput: 'masked-input',
      consistency: 'consistency',
      unmask: 'unmask',
    } as const;
    if (s.case && this.ctx.o.secaggDropout?.(st.session) === names[s.case]) {
      this.secure = null;
      return null;
    }
    let stage: Stage;
    let message: MessageInitShape<typeof SubmitSecAggRequestSchema>['message'];
    try {
      switch (s.case) {
        case 'shareKeys': {
          stage = 'share-keys';
          const m = st.client.shareKeys(
            s.value.advertisements.map((a) => ({
              from: a.node,
              encryptionKey: a.encryptionKey,
              maskKey: a.maskKey,
              signature: a.signature,
            })),
          );
          message = {
            case: 'shareKeys',
            value: { shares: m.shares.map((x) => ({ node: x.to, ciphertext: x.ciphertext })) },
          };
          break;
        }
        case 'maskedInput': {
          stage = 'masked-input';
          const m = st.client.maskedInput(
            s.value.shares.map((x) => ({ from: x.node, ciphertext: x.ciphertext })),
            st.input ?? new Uint32Array(0),
          );
          st.input?.fill(0);
          st.input = null;
          message = { case: 'maskedInput', value: bytesFromWords(m.masked) };
          break;
        }
        case 'consistency': {
          stage = 'consistency';
          message = { case: 'consistencySignature', value: st.client.consistency(s.value.nodes).signature };
          break;
        }
        case 'unmask': {
          stage = 'unmask';
          const m = st.client.unmask(
            s.value.survivors,
            s.value.signatures.map((x) => ({ from: x.node, signature: x.signature })),
          );
          const wire = (list: typeof m.maskKeyShares) =>
            list.map((x) => ({ of: x.of, x: x.share.x, y: bytesFromWords(x.share.y) }));
          message = {
            case: 'unmask',
            value: { maskKeyShares: wire(m.maskKeyShares), selfMaskShares: wire(m.selfMaskShares) },
          };
          break;
        }
        default:
          throw new ProtocolError('the coordinator sent an empty secure aggregation stage', {
            stage: 'secagg',
          });
      }
    } catch (err) {
      // An honest node refuses (both shares of one node, an unsigned survivor list, a share that does not
      // decrypt, a small-order key...) and leaves the round; one bad peer must not stop its neighbours.
      if (
        !(
          err instanceof ProtocolError ||
          err instanceof IntegrityError ||
          err instanceof InvalidParameterError
        )
      )
        throw err;
      this.secure = null;
      this.ctx.o.onEvent?.({ kind: 'secagg-refused', round: st.round, reason: err.message });
      return null;
    }
    if (stage === 'masked-input') {
      // the update's first release: charged now, once per round (a round drawn again sends the same update)
      try {
        await this.ctx.privacy.chargeRelease(st.round);
      } catch (err) {
        if (!(err instanceof BudgetExceededError)) throw err;
        this.secure = null;
        return `local privacy budget exhausted at round ${st.round} (its masked update was not sent): ${err.message}`;
      }
    }
    const response = await this.ctx.link.call(() =>
      this.ctx.o.client.submitSecAgg(
        create(SubmitSecAggRequestSchema, { round: st.round, session: st.session, message }),
      ),
    );
    this.ctx.o.onEvent?.({
      kind: 'secagg-stage',
      round: st.round,
      stage,
      accepted: response.accepted,
      reason: response.reason,
    });
    if (stage === 'unmask' || !response.accepted) {
      this.secure = null;
      const after = this.ctx.link.counter();
      if (response.accepted) {
        this.ctx.progress.updatesAccepted++;
        this.ctx.progress.traffic.push({
          round: st.round,
          sent: after.sent - st.before.sent,
          received: after.received - st.before.received,
        });
      }
    }
    return null;
  }

  /**
   * Why a secure aggregation setup is unacceptable, or null. Whatever `requireSecureAggregation` says, the
   * threshold must be a strict majority of this node's neighbourhood of at least 3 nodes (the rule its
   * SecAggClient applies again at share-keys): otherwise a coordinator showing two survivor lists could rebuild
   * both of this node's secrets and unmask its update.
   */
  private setupProblem(setup: SecAggSetup, dimension: number): string | null {
    if (!this.ctx.signing.ownPeer(setup)) return 'this node is not among its peers';
    if (setup.protocol !== 'secagg' && setup.protocol !== 'secagg+')
      return `unknown protocol "${setup.protocol}"`;
    if (setup.session === '') return 'empty session';
    if (!(setup.clipNorm > 0) || !(setup.noiseSigma >= 0) || !Number.isFinite(setup.noiseSigma))
      return 'clip norm must be > 0 and noise sigma >= 0';
    const names = new Set<string>();
    for (const p of setup.peers) {
      if (p.signingKey.length !== 32 || names.has(p.node))
        return `peer "${p.node}" has a bad or repeated key`;
      names.add(p.node);
    }
    if (!planFromSetup(setup, dimension))
      return `fractional bits ${setup.fractionalBits} could wrap the sum of ${setup.peers.length} nodes`;
    return SecAggClient.setupProblem({
      threshold: setup.threshold,
      rosterSize: setup.peers.length,
      graph: graphOf(setup),
    });
  }
}

/** The communication graph a setup names: SecAgg+'s Harary graph of `degree`, or SecAgg's complete graph (0). */
function graphOf(setup: SecAggSetup): SecAggGraph {
  return setup.degree > 0 ? { kind: 'harary', degree: setup.degree } : { kind: 'complete' };
}

/**
 * The fixed-point plan of a secure aggregation setup, after checking that it cannot wrap: every node's clipped
 * coordinate plus rounding, plus 8 standard deviations of every node's noise, must stay below 2^31 (the
 * coordinator's plan guarantees it; a node does not take a setup on trust). Null when it could wrap.
 */
function planFromSetup(setup: SecAggSetup, dimension: number): FixedPointPlan | null {
  const f = setup.fractionalBits;
  const nodes = setup.peers.length;
  if (!Number.isInteger(f) || f < 0 || f > 30) return null;
  const scale = 2 ** f;
  const noiseStd = (setup.noiseSigma * Math.sqrt(nodes)) / scale;
  const sumBound = nodes * (setup.clipNorm * scale + 1) + 8 * noiseStd * scale;
  if (!(sumBound < 2 ** 31)) return null;
  return {
    nodes,
    clip: setup.clipNorm,
    dimension,
    noiseStd,
    tailSigmas: 8,
    fractionalBits: f,
    scale,
    integerClip: setup.clipNorm * scale,
    sumBound,
    headroomBits: Math.floor(31 - Math.log2(sumBound)),
  };
}
