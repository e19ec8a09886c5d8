/**
 * One round attempt under secure aggregation, on the coordinator: the SecAgg server state machine (veil/secagg)
 * plus what the federation needs around it — the setup sent with the training task, one task per stage and
 * node, the conversion of wire messages, the fixed-point decoding of the unmasked sum, and the distributed-DP
 * event. The coordinator never sees an individual update: it receives masked vectors and learns their sum.
 */
import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import type { PrivacyEvent } from '../../accounting/index.js';
import { InvalidParameterError, ProtocolError } from '../../core/index.js';
import {
  type AdvertiseMessage,
  accountingEvent,
  type DistributedNoisePlan,
  decodeSum,
  distributedNoisePlan,
  type FixedPointPlan,
  MIN_NEIGHBOURHOOD,
  neighbourhoodSize,
  planFixedPoint,
  type SecAggGraph,
  SecAggServer,
  secAggPlusParameters,
  thresholdProblem,
} from '../../secagg/index.js';
import {
  type GetTaskResponse,
  GetTaskResponseSchema,
  type SecAggSetup,
  SecAggSetupSchema,
  type SecAggTaskSchema,
  type SubmitSecAggRequest,
  SubmitSecAggRequestSchema,
} from '../../transport/index.js';
import { wordsFromBytes } from '../protocol/index.js';
import type { SecureAggregationSpec } from './options.js';
import type { SecureRoundRecord, SecureStage } from './records.js';

// Names this file exported before its option and record types moved, for importers of './secure-round.js'.

const STAGES: readonly SecureStage[] = ['advertise', 'share-keys', 'masked-input', 'consistency', 'unmask'];

/** What a node reported with its advertisement. */
export interface AdvertisedMeta {
  readonly numExamples: number;
  readonly trainLoss: number;
  readonly localEpsilon: number;
  readonly localDelta: number;
}

export class SecureRound {
  readonly session: string;
  readonly round: number;
  readonly threshold: number;
  readonly graph: SecAggGraph;
  readonly plan: FixedPointPlan;
  readonly noiseSigma: number;
  private readonly noise: DistributedNoisePlan | null;
  private readonly colluders: number;
  /** Nodes a stage's task was delivered to (a node sitting a stage out polls again: counted once). */
  private readonly delivered = new Set<string>();
  private readonly server: SecAggServer;
  private readonly spec: SecureAggregationSpec;
  private readonly participants: readonly string[];
  private readonly keys: ReadonlyMap<string, Uint8Array>;
  private readonly bindings: ReadonlyMap<
    string,
    { readonly certificate: Uint8Array; readonly signature: Uint8Array }
  >;
  private stage: SecureStage | 'done' | 'failed' = 'advertise';
  private readonly answered = new Set<string>();
  private readonly meta = new Map<string, AdvertisedMeta>();
  private readonly uploaded = new Map<string, number>();
  private readonly downloaded = new Map<string, number>();
  private stageTask: GetTaskResponse | null = null;
  private readonly perNodeTask = new Map<string, GetTaskResponse>();
  /** Deadline of the current stage after the advertisement (ms since the epoch; set by the coordinator). */
  deadline = 0;

  constructor(options: {
    readonly round: number;
    readonly session: string;
    readonly spec: SecureAggregationSpec;
    /** The selected nodes and their registered Ed25519 signing keys. */
    readonly participants: ReadonlyMap<string, Uint8Array>;
    /** Each node's key binding (its certificate and signature over the key), relayed unchanged to its peers. */
    readonly bindings?: ReadonlyMap<
      string,
      { readonly certificate: Uint8Array; readonly signature: Uint8Array }
    >;
    readonly dimension: number;
  }) {
    this.bindings = options.bindings ?? new Map();
    this.round = options.round;
    this.session = options.session;
    this.spec = options.spec;
    this.keys = options.participants;
    this.participants = [...options.participants.keys()].sort();
    const n = this.participants.length;
    if (n < MIN_NEIGHBOURHOOD) {
      // nodes refuse smaller rosters (with two, the sum reveals each update to the other node)
      throw new ProtocolError(
        `secure aggregation needs at least ${MIN_NEIGHBOURHOOD} selected nodes (nodes refuse smaller rosters: with two, the sum reveals each update to the other); ${n} selected`,
        { stage: 'advertise' },
      );
    }
    if (options.spec.protocol === 'secagg+') {
      const p = secAggPlusParameters(n, {
        dropout: options.spec.expectedDropout ?? 0.1,
        corrupt: options.spec.corruptFraction ?? 0.05,
      });
      this.graph = p.graph;
      this.threshold = p.threshold;
    } else {
      this.graph = { kind: 'complete' };
      // Nodes refuse a threshold that is not a strict majority of the roster (thresholdProblem): never send one.
      const wanted = Math.ceil((options.spec.thresholdFraction ?? 2 / 3) * n);
      this.threshold = Math.min(n, Math.max(Math.floor(n / 2) + 1, wanted));
    }
    const problem = thresholdProblem(this.threshold, neighbourhoodSize(n, this.graph));
    if (problem)
      throw new ProtocolError(`secure aggregation of round ${options.round}: ${problem}`, {
        stage: 'advertise',
      });
    // The sum must carry noise of std targetStd once `threshold` nodes' shares are in it; with every node in it
    // the noise is sqrt(n / threshold) times larger, and the fixed-point plan leaves room for that.
    const targetStd = (options.spec.distributedDp?.noiseMultiplier ?? 0) * options.spec.clipNorm;
    this.plan = planFixedPoint({
      nodes: n,
      clip: options.spec.clipNorm,
      dimension: options.dimension,
      noiseStd:
        targetStd * Math.sqrt(n / Math.max(1, this.threshold - (options.spec.distributedDp?.colluders ?? 0))),
    });
    this.colluders = options.spec.distributedDp?.colluders ?? 0;
    if (targetStd > 0 && this.threshold - this.colluders < 1) {
      throw new InvalidParameterError({
        fn: 'SecureRound',
        param: 'secureAggregation.distributedDp.colluders',
        value: this.colluders,
        allowed: `fewer than the round's threshold (${this.threshold}): some noise must be unknown to the adversary`,
      });
    }
    // Honest noise guaranteed in the sum: that of `threshold` survivors, less the colluders'.
    const honest = this.threshold - this.colluders;
    this.noise =
      targetStd > 0 ? distributedNoisePlan({ targetStd, minParties: honest, plan: this.plan }) : null;
    this.noiseSigma = this.noise?.sigmaInteger ?? 0;
    this.server = new SecAggServer({
      session: this.session,
      threshold: this.threshold,
      length: options.dimension,
      clients: this.keys,
      graph: this.graph,
    });
  }

  get currentStage(): SecureStage | 'done' | 'failed' {
    return this.stage;
  }

  /** The setup sent with the round's training task. */
  setup(): SecAggSetup {
    return create(SecAggSetupSchema, {
      session: this.session,
      protocol: this.spec.protocol,
      threshold: this.threshold,
      degree: this.graph.kind === 'harary' ? this.graph.degree : 0,
      fractionalBits: this.plan.fractionalBits,
      clipNorm: this.plan.clip,
      noiseSigma: this.noiseSigma,
      peers: this.participants.map((node) => ({
        node,
        signingKey: this.keys.get(node)!,
        certificate: this.bindings.get(node)?.certificate ?? new Uint8Array(0),
        keySignature: this.bindings.get(node)?.signature ?? new Uint8Array(0),
      })),
    });
  }

  /** Nodes expected to answer the current stage. */
  eligible(): string[] {
    switch (this.stage) {
      case 'advertise':
        return [...this.participants];
      case 'share-keys':
        return this.server.roster().map((a) => a.from);
      case 'masked-input':
        return this.sharedKeys;
      case 'consistency':
        return this.server.survivors();
      case 'unmask':
        return this.server.consistencySignatures().map((s) => s.from);
      default:
        return [];
    }
  }
  private sharedKeys: string[] = [];

  hasAnswered(id: string): boolean {
    return this.answered.has(id);
  }

  /** Every node expected at this stage has answered. */
  allAnswered(): boolean {
    return this.eligible().every((id) => this.answered.has(id));
  }

  /** The task of the current stage for `id` (null when it has nothing to do). */
  taskFor(id: string): GetTaskResponse | null {
    if (this.stage === 'advertise' || this.stage === 'done' || this.stage === 'failed') return null;
    if (this.answered.has(id) || !this.eligible().includes(id)) return null;
    let task: GetTaskResponse;
    if (this.stage === 'masked-input') {
      task = this.perNodeTask.get(id) ?? this.buildTask(id);
      this.perNodeTask.set(id, task);
    } else {
      task = this.stageTask ?? this.buildTask(id);
      this.stageTask = task;
    }
    return task;
  }

  /** Bytes of a task as it goes on the wire, counted for the node that fetched it (call once per delivery). */
  countDownload(id: string, task: GetTaskResponse): void {
    const key = `${this.stage}/${id}`;
    if (this.delivered.has(key)) return;
    this.delivered.add(key);
    this.downloaded.set(id, (this.downloaded.get(id) ?? 0) + toBinary(GetTaskResponseSchema, task).length);
  }

  private buildTask(id: string): GetTaskResponse {
    const base = { round: this.round, session: this.session, deadlineUnixMs: BigInt(this.deadline) };
    let stage: MessageInitShape<typeof SecAggTaskSchema>['stage'];
    switch (this.stage) {
      case 'share-keys':
        stage = {
          case: 'shareKeys',
          value: {
            advertisements: this.server.roster().map((a) => ({
              node: a.from,
              encryptionKey: a.encryptionKey,
              maskKey: a.maskKey,
              signature: a.signature,
            })),
          },
        };
        break;
      case 'masked-input':
        stage = {
          case: 'maskedInput',
          value: {
            shares: this.server.sharesFor(id).map((s) => ({ node: s.from, ciphertext: s.ciphertext })),
          },
        };
        break;
      case 'consistency':
        stage = { case: 'consistency', value: { nodes: this.server.survivors() } };
        break;
      default:
        stage = {
          case: 'unmask',
          value: {
            survivors: this.server.survivors(),
            signatures: this.server
              .consistencySignatures()
              .map((s) => ({ node: s.from, signature: s.signature })),
          },
        };
    }
    return create(GetTaskResponseSchema, {
      task: { case: 'secagg', value: { ...base, stage } },
    });
  }

  /**
   * Takes one node's message of the current stage. Returns the reason it was refused, or null. A refused node
   * is not dropped at once: it may still send a valid message before the stage closes.
   */
  submit(id: string, request: SubmitSecAggRequest): string | null {
    if (request.session !== this.session)
      return `secure aggregation session "${request.session}" is not open`;
    const m = request.message;
    const expected: Record<SecureStage, string> = {
      advertise: 'advertise',
      'share-keys': 'shareKeys',
      'masked-input': 'maskedInput',
      consistency: 'consistencySignature',
      unmask: 'unmask',
    };
    if (this.stage === 'done' || this.stage === 'failed' || m.case !== expected[this.stage]) {
      return `a ${m.case ?? 'empty'} message during the ${this.stage} stage`;
    }
    if (this.answered.has(id)) return `a second ${this.stage} message from "${id}"`;
    try {
      switch (m.case) {
        case 'advertise': {
          const a: AdvertiseMessage = {
            from: id,
            encryptionKey: m.value.encryptionKey,
            maskKey: m.value.maskKey,
            signature: m.value.signature,
          };
          this.server.receiveAdvertise(a);
          const claimed = Number(m.value.numExamples);
          this.meta.set(id, {
            numExamples: Number.isSafeInteger(claimed) && claimed >= 0 ? claimed : 0,
            trainLoss: Number.isFinite(m.value.trainLoss) ? m.value.trainLoss : Number.NaN,
            localEpsilon: m.value.localEpsilon,
            localDelta: m.value.localDelta,
          });
          break;
        }
        case 'shareKeys':
          this.server.receiveShareKeys({
            from: id,
            shares: m.value.shares.map((s) => ({ to: s.node, ciphertext: s.ciphertext })),
          });
          break;
        case 'maskedInput': {
          const words = wordsFromBytes(m.value);
          if (!words) return 'the masked input is not a whole number of 32-bit words';
          this.server.receiveMaskedInput({ from: id, masked: words });
          break;
        }
        case 'consistencySignature':
          this.server.receiveConsistency({ from: id, signature: m.value });
          break;
        case 'unmask': {
          const shares = (list: typeof m.value.maskKeyShares) =>
            list.map((s) => {
              const y = wordsFromBytes(s.y);
              if (!y)
                throw new ProtocolError('a share is not a whole number of 32-bit words', { stage: 'unmask' });
              return { of: s.of, share: { x: s.x, y } };
            });
          this.server.receiveUnmask({
            from: id,
            maskKeyShares: shares(m.value.maskKeyShares),
            selfMaskShares: shares(m.value.selfMaskShares),
          });
          break;
        }
      }
    } catch (err) {
      // The server checks a message whole before it stores any of it: a refusal changes nothing.
      if (err instanceof ProtocolError || err instanceof InvalidParameterError) return err.message;
      throw err;
    }
    this.answered.add(id);
    this.uploaded.set(id, (this.uploaded.get(id) ?? 0) + toBinary(SubmitSecAggRequestSchema, request).length);
    return null;
  }

  /** What a node reported with its advertisement. */
  metaOf(id: string): AdvertisedMeta | undefined {
    return this.meta.get(id);
  }

  /**
   * Closes the current stage. Returns true when the unmasking stage closed (the result is ready).
   * @throws {ProtocolError} when fewer than the threshold answered: the attempt is over and nothing was unmasked
   */
  close(): boolean {
    if (this.stage === 'done' || this.stage === 'failed') return this.stage === 'done';
    try {
      this.server.close();
    } catch (err) {
      this.stage = 'failed';
      throw err;
    }
    if (this.stage === 'share-keys') this.sharedKeys = this.eligible().filter((id) => this.answered.has(id));
    const next = STAGES.indexOf(this.stage) + 1;
    this.stage = next < STAGES.length ? STAGES[next]! : 'done';
    this.answered.clear();
    this.stageTask = null;
    this.perNodeTask.clear();
    return this.stage === 'done';
  }

  /** The nodes whose masked input is in the sum (fixed once the masked-input stage closed). */
  survivors(): readonly string[] {
    return this.server.survivors();
  }

  /**
   * The privacy events unmasking the sum releases, known before it is unmasked (so they can be charged first):
   * every survivor's noise is in the sum (a node adds it before masking); the colluders' is known to the
   * adversary and does not count.
   */
  releaseEvents(): readonly PrivacyEvent[] {
    return this.noise
      ? [accountingEvent({ noise: this.noise, parties: this.server.survivors().length - this.colluders })]
      : [];
  }

  /**
   * The mean of the survivors' clipped deltas (with the distributed noise, when asked), the privacy event of
   * the release, and the round record.
   */
  result(): {
    readonly mean: Float32Array;
    readonly survivors: readonly string[];
    readonly events: readonly PrivacyEvent[];
    readonly record: SecureRoundRecord;
    readonly uploadBytes: ReadonlyMap<string, number>;
    readonly downloadBytes: ReadonlyMap<string, number>;
  } {
    const r = this.server.result();
    const sum = decodeSum(r.sum, this.plan);
    const mean = new Float32Array(sum.length);
    for (let i = 0; i < sum.length; i++) mean[i] = sum[i]! / r.survivors.length;
    const events = this.releaseEvents();
    return {
      mean,
      survivors: r.survivors,
      events,
      uploadBytes: this.uploaded,
      downloadBytes: this.downloaded,
      record: {
        protocol: this.spec.protocol,
        threshold: this.threshold,
        degree: this.graph.kind === 'harary' ? this.graph.degree : this.participants.length - 1,
        fractionalBits: this.plan.fractionalBits,
        survivors: r.survivors.length,
        dropped: r.dropped,
        noiseSigma: this.noiseSigma,
      },
    };
  }
}
