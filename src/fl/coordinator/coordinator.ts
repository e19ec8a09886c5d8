/**
 * The federated coordinator as a transport-agnostic state machine (ARCHITECTURE decision 4): it implements
 * {@link CoordinatorHandler}, so the gRPC/TLS server and the in-memory simulation drive the same code.
 *
 * Phases: waiting for `minNodes` registrations → round r: select nodes, hand each the global model and the
 * local-training configuration, collect updates until every selected node has answered or the deadline passes
 * (stragglers dropped when the quorum holds; otherwise the round is re-drawn, up to `maxRoundAttempts`) →
 * aggregate with the strategy (updates in node-id order, so a seeded run is reproducible) → checkpoint →
 * optionally an evaluation round → … → finished. The model of a round is handed out only after its checkpoint
 * is written, so a privacy event is never released without being recorded.
 *
 * Identity is the transport's {@link PeerIdentity} (the certificate subject), never a message field. Every
 * request is checked (registered, right phase, right round, selected, first answer, sizes and values) before it
 * changes anything; a bad update is refused with its reason and recorded in the round's history.
 */
import { X509Certificate } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { PldAccountant, type PrivacyEvent, RdpAccountant } from '../../accounting/index.js';
import { ConfigError, InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import { MIN_NEIGHBOURHOOD } from '../../secagg/index.js';
import {
  type CoordinatorHandler,
  type GetTaskRequest,
  type GetTaskResponse,
  GetTaskResponseSchema,
  type LeaveRequest,
  type LeaveResponse,
  LeaveResponseSchema,
  type PeerIdentity,
  type RegisterRequest,
  type RegisterResponse,
  RegisterResponseSchema,
  type SubmitEvaluationRequest,
  type SubmitEvaluationResponse,
  SubmitEvaluationResponseSchema,
  type SubmitSecAggRequest,
  type SubmitSecAggResponse,
  SubmitSecAggResponseSchema,
  type SubmitUpdateRequest,
  SubmitUpdateRequestSchema,
  type SubmitUpdateResponse,
  SubmitUpdateResponseSchema,
  type TrainConfig,
  TrainConfigSchema,
  verifyKeyBinding,
} from '../../transport/index.js';
import { bytesFromWords, decodeDelta, encodeParameters, PROTOCOL_VERSION } from '../protocol/index.js';
import { type Candidate, type SelectionSpec, selectNodes } from '../selection/index.js';
import type { Strategy } from '../strategies/index.js';
import { type ClientUpdate, type Rejection, validateUpdate } from '../validation/index.js';
import { CHECKPOINT_VERSION, type CheckpointStore, type CoordinatorCheckpoint } from './checkpoint.js';
import { type Clock, systemClock } from './clock.js';
import { type SecureAggregationSpec, SecureRound, type SecureRoundRecord } from './secure-round.js';

/** The model every node builds. */
export interface FederationModel {
  /** The model spec as JSON (ml's ModelSpec). */
  readonly specJson: string;
  /** Hex SHA-256 of `specJson`, which nodes may pin. */
  readonly specSha256: string;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
}

/** How updates are compressed on the way to the coordinator. */
export type CompressionSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'quantization'; readonly bits: 2 | 4 | 8 }
  | { readonly kind: 'top-k'; readonly fraction: number };

/** The local training every selected node runs. */
export interface LocalTrainingSpec {
  readonly localEpochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly momentum: number;
  readonly compression: CompressionSpec;
  /** Layers (by index in the model) each node keeps to itself: FedPer personal layers. */
  readonly localLayers: readonly number[];
}

/** The TrainConfig message of a local-training spec. */
export function trainConfigMessage(spec: LocalTrainingSpec, proximalMu: number): TrainConfig {
  const c = spec.compression;
  return create(TrainConfigSchema, {
    localEpochs: spec.localEpochs,
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    momentum: spec.momentum,
    proximalMu,
    localLayers: [...spec.localLayers],
    compression: {
      kind:
        c.kind === 'quantization'
          ? { case: 'quantization', value: { bits: c.bits } }
          : c.kind === 'top-k'
            ? { case: 'topK', value: { fraction: c.fraction } }
            : { case: 'none', value: {} },
    },
  });
}

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  readonly model: FederationModel;
  /** Initial global parameters (flat, in the model's parameter order). */
  readonly initialGlobal: Float32Array;
  readonly rounds: number;
  /** Registrations needed before round 1, and updates needed for a round to count (not for Poisson selection). */
  readonly minNodes: number;
  readonly selection: SelectionSpec;
  /** Local training each selected node runs (sent in every task; FedProx's mu comes from the strategy). */
  readonly train: LocalTrainingSpec;
  readonly strategy: Strategy;
  /** Time a selected node has to answer, in ms. */
  readonly roundTimeoutMs: number;
  /** Draws of a round that may fail the quorum before the run fails (default 3). */
  readonly maxRoundAttempts?: number;
  /** Federated evaluation after every k-th round (0: only after the last; default 1). */
  readonly evaluateEvery?: number;
  /** Fraction of registered nodes asked to evaluate (default 1). */
  readonly evaluateFraction?: number;
  readonly evaluationTimeoutMs?: number;
  /** Nodes (certificate subjects) allowed to register; absent: any node the transport authenticated. */
  readonly allowedNodes?: readonly string[];
  /** Registrations awaited before round 1 (default minNodes). */
  readonly startAfterNodes?: number;
  /** A node not heard from for this long is not selected (default 2 long polls + 10 s). */
  readonly availabilityWindowMs?: number;
  /** Largest long-poll hold, in ms (default 25 s). */
  readonly maxLongPollMs?: number;
  /** Delta at which central (server-side DP) epsilon is reported. */
  readonly centralDelta?: number;
  /** SHA-256 of the configuration, stored in checkpoints so a resume with another configuration is refused. */
  readonly configSha256: string;
  readonly checkpoint?: CheckpointStore;
  /** Continue from the checkpoint (refused when there is none). */
  readonly resume?: boolean;
  /** The randomness of a purpose ("round/3/select", "round/3/aggregate"): the CSPRNG, or seeded per purpose. */
  readonly rng: (purpose: string) => Rng;
  /** Optional server-side evaluation of the global model on data the coordinator legitimately holds. */
  readonly serverEvaluate?: (global: Float32Array) => { readonly accuracy: number; readonly loss: number };
  readonly clock?: Clock;
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /**
   * Secure aggregation of every round (SecAgg or SecAgg+): the coordinator then learns only the sum of the
   * clipped updates of the nodes that survive the protocol, and applies their uniform mean with the strategy's
   * server optimizer. Needs the mean aggregator and no central DP (use its distributed DP instead).
   */
  readonly secureAggregation?: SecureAggregationSpec;
  /**
   * The federation's CA certificate (PEM). With secure aggregation, every node must then register its signing
   * key with a binding to its certificate that verifies against this CA for its certified name (the check every
   * node with an identity makes of its peers before it joins a round): a registration whose binding fails is
   * refused with the reason, so one node cannot make its honest peers sit out every round it is drawn in.
   * Without it the coordinator cannot check bindings (deployments pass the TLS CA).
   */
  readonly keyBindingCaPem?: string;
}

/** A registered node as the coordinator knows it. */
export interface NodeRecord {
  readonly id: string;
  fingerprint: string;
  numExamples: number;
  lastSeenUnixMs: number;
  roundsParticipated: number;
  updatesRejected: number;
  /** The node's own report of its cumulative local epsilon (informational: the node enforces its budget). */
  localEpsilon: number;
  localDelta: number;
  left: boolean;
  /** The node's Ed25519 key for secure aggregation, hex ('' when it registered none). */
  signingKey?: string;
  /** Its binding to the node's certificate: the certificate (DER) and the signature, base64 ('' for none). */
  signingKeyCertificate?: string;
  signingKeySignature?: string;
}

/** One round, as recorded. */
export interface RoundRecord {
  readonly round: number;
  readonly attempts: number;
  readonly selected: readonly string[];
  readonly used: readonly string[];
  readonly rejected: readonly Rejection[];
  /** Selected nodes that did not answer before the deadline. */
  readonly dropped: readonly string[];
  readonly meanTrainLoss: number | null;
  /** Bytes of the task each selected node downloaded (protobuf encoding). */
  readonly downloadBytesPerNode: number;
  /** Bytes of each received update request, by node. */
  readonly uploadBytes: Readonly<Record<string, number>>;
  readonly updateNorm: number;
  readonly events: readonly PrivacyEvent[];
  evaluation: EvaluationRecord | null;
  readonly serverEvaluation: { readonly accuracy: number; readonly loss: number } | null;
  readonly seconds: number;
  /** How the round was securely aggregated (absent without secure aggregation). */
  readonly secureAggregation?: SecureRoundRecord;
}

/** A federated evaluation: example-weighted means over the nodes that answered. */
export interface EvaluationRecord {
  readonly nodes: number;
  readonly examples: number;
  readonly accuracy: number;
  readonly loss: number;
}

/** What the coordinator reports as it goes. */
export type CoordinatorEvent =
  | { readonly kind: 'registered'; readonly node: string; readonly numExamples: number }
  | { readonly kind: 'refused'; readonly node: string; readonly reason: string }
  | { readonly kind: 'left'; readonly node: string; readonly reason: string }
  | {
      readonly kind: 'round-started';
      readonly round: number;
      readonly attempt: number;
      readonly selected: number;
    }
  | {
      readonly kind: 'update-rejected';
      readonly round: number;
      readonly node: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'round-retried';
      readonly round: number;
      readonly attempt: number;
      readonly received: number;
      /** Why the attempt did not count (a failed secure aggregation says which stage fell below the threshold). */
      readonly reason?: string;
    }
  | { readonly kind: 'round-finished'; readonly record: RoundRecord }
  | { readonly kind: 'evaluated'; readonly round: number; readonly evaluation: EvaluationRecord }
  | { readonly kind: 'checkpoint'; readonly round: number }
  | { readonly kind: 'resumed'; readonly roundsCompleted: number }
  | { readonly kind: 'finished'; readonly rounds: number }
  | { readonly kind: 'failed'; readonly reason: string };

/** The outcome of a federation. */
export interface CoordinatorSummary {
  readonly status: 'finished' | 'failed';
  readonly failure: string | null;
  readonly roundsCompleted: number;
  readonly rounds: number;
  readonly strategy: string;
  /** How rounds were aggregated: in the clear ('none') or with SecAgg / SecAgg+. */
  readonly secureAggregation: 'none' | 'secagg' | 'secagg+';
  readonly global: Float32Array;
  readonly history: readonly RoundRecord[];
  readonly finalEvaluation: EvaluationRecord | null;
  readonly finalServerEvaluation: { readonly accuracy: number; readonly loss: number } | null;
  /** Central DP spent (server-side noise), or null when the strategy adds none. */
  readonly central: {
    readonly events: readonly PrivacyEvent[];
    readonly delta: number;
    readonly epsilonRdp: number;
    /** Null when an event has no PLD analysis (the distributed discrete Gaussian has a zCDP bound only). */
    readonly epsilonPld: number | null;
  } | null;
  readonly nodes: readonly NodeRecord[];
  readonly resumedFrom: number | null;
}

type Phase =
  | { readonly kind: 'waiting' }
  | {
      readonly kind: 'training';
      readonly round: number;
      readonly attempt: number;
      readonly selected: ReadonlySet<string>;
      readonly task: GetTaskResponse;
      readonly taskBytes: number;
      readonly deadline: number;
      readonly startedMs: number;
      readonly updates: Map<string, { update: ClientUpdate; loss: number; bytes: number }>;
      readonly rejected: Rejection[];
      cancelTimer: () => void;
      /** The round's secure aggregation, when the federation uses it. */
      readonly secure: SecureRound | null;
    }
  | {
      readonly kind: 'evaluating';
      readonly round: number;
      readonly asked: Set<string>;
      readonly task: GetTaskResponse;
      readonly results: Map<string, { examples: number; accuracy: number; loss: number }>;
      cancelTimer: () => void;
    }
  | { readonly kind: 'done'; readonly task: GetTaskResponse }
  | { readonly kind: 'failed'; readonly reason: string };

const DEFAULT_LONG_POLL_MS = 25_000;

/** Whether a node has answered the round: its update was taken or refused. A node answers a round once. */
function hasAnswered(p: Extract<Phase, { kind: 'training' }>, id: string): boolean {
  if (p.secure) return p.secure.currentStage !== 'advertise' || p.secure.hasAnswered(id);
  return p.updates.has(id) || p.rejected.some((r) => r.nodeId === id);
}

/** The coordinator. Create it, hand it to a transport, await {@link Coordinator.finished}. */
export class Coordinator implements CoordinatorHandler {
  private readonly o: CoordinatorOptions;
  private readonly clock: Clock;
  private readonly trainConfig: TrainConfig;
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly history: RoundRecord[] = [];
  private readonly centralEvents: PrivacyEvent[] = [];
  private global: Float32Array;
  private roundsCompleted = 0;
  private phase: Phase = { kind: 'waiting' };
  private readonly waiters = new Set<() => void>();
  private resumedFrom: number | null = null;
  private readonly finishedDelivered = new Set<string>();
  /** Attempt number of the next draw of the current round (a failed quorum counts, waiting does not reset it). */
  private nextAttempt = 1;
  private settle!: (s: CoordinatorSummary) => void;
  /** Resolves when the federation finished or failed. */
  readonly finished: Promise<CoordinatorSummary>;

  constructor(options: CoordinatorOptions) {
    checkOptions(options);
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.trainConfig = trainConfigMessage(options.train, options.strategy.proximalMu);
    this.global = Float32Array.from(options.initialGlobal);
    this.finished = new Promise((resolve) => {
      this.settle = resolve;
    });
    if (options.resume) this.restore();
    if (this.roundsCompleted >= options.rounds) this.finish();
  }

  /** The current global model (a copy). */
  globalModel(): Float32Array {
    return Float32Array.from(this.global);
  }

  /** Where the federation stands. */
  status(): { phase: Phase['kind']; round: number; registered: number } {
    return {
      phase: this.phase.kind,
      round:
        this.phase.kind === 'training' || this.phase.kind === 'evaluating'
          ? this.phase.round
          : this.roundsCompleted,
      registered: this.nodes.size,
    };
  }

  /** Whether every node still in the federation has fetched the final model (after the last round). */
  allNodesHaveFinalModel(): boolean {
    return [...this.nodes.values()].every((n) => n.left || this.finishedDelivered.has(n.id));
  }

  /** Stops: pending long polls are answered, timers cancelled, the run is marked failed if not finished. */
  stop(reason = 'coordinator stopped'): void {
    if (this.phase.kind === 'done' || this.phase.kind === 'failed') return;
    this.fail(reason);
  }

  // ---- the handler ------------------------------------------------------------------------------------------

  async register(request: RegisterRequest, peer: PeerIdentity): Promise<RegisterResponse> {
    const refuse = (reason: string) => {
      this.emit({ kind: 'refused', node: peer.id, reason });
      return create(RegisterResponseSchema, { accepted: false, reason });
    };
    if (request.protocolVersion !== PROTOCOL_VERSION) {
      return refuse(
        `protocol version ${request.protocolVersion} is not supported (this coordinator speaks ${PROTOCOL_VERSION})`,
      );
    }
    if (this.o.allowedNodes && !this.o.allowedNodes.includes(peer.id)) {
      return refuse(`node "${peer.id}" is not in this federation's allowed nodes`);
    }
    if (request.modelSpecSha256 !== '' && request.modelSpecSha256 !== this.o.model.specSha256) {
      return refuse(
        `the node expects model spec ${request.modelSpecSha256}, the federation trains ${this.o.model.specSha256}`,
      );
    }
    const n = Number(request.numExamples);
    if (!(n >= 1 && Number.isSafeInteger(n))) {
      return refuse(`num_examples must be a positive integer, got ${request.numExamples}`);
    }
    const key = request.secaggSigningKey;
    if (this.o.secureAggregation && key.length !== 32) {
      return refuse(
        `this federation uses secure aggregation: the node must register a 32-byte Ed25519 signing key (got ${key.length} bytes)`,
      );
    }
    if (this.o.secureAggregation && this.o.keyBindingCaPem !== undefined) {
      // The same check the peers make (node.ts, sitsOut), against the name the transport authenticated: a node
      // whose binding fails would make every peer with an identity sit out each round it is drawn in.
      const why = verifyKeyBinding({
        caPem: this.o.keyBindingCaPem,
        certificateDer: request.secaggKeyCertificate,
        expectedName: peer.id,
        purpose: 'secagg',
        publicKey: key,
        signature: request.secaggKeySignature,
      });
      if (why) {
        return refuse(
          `node "${peer.id}": its secure-aggregation signing key is not bound to its certificate by the federation CA (${why}); its peers would refuse every round with it`,
        );
      }
    }
    const signingKey = Buffer.from(key).toString('hex');
    const signingKeyCertificate = Buffer.from(request.secaggKeyCertificate).toString('base64');
    const signingKeySignature = Buffer.from(request.secaggKeySignature).toString('base64');
    const existing = this.nodes.get(peer.id);
    if (existing) {
      existing.signingKey = signingKey;
      existing.signingKeyCertificate = signingKeyCertificate;
      existing.signingKeySignature = signingKeySignature;
      existing.fingerprint = peer.fingerprint;
      existing.numExamples = n;
      existing.lastSeenUnixMs = this.clock.now();
      existing.left = false;
    } else {
      this.nodes.set(peer.id, {
        id: peer.id,
        fingerprint: peer.fingerprint,
        numExamples: n,
        lastSeenUnixMs: this.clock.now(),
        roundsParticipated: 0,
        updatesRejected: 0,
        localEpsilon: 0,
        localDelta: 0,
        left: false,
        signingKey,
        signingKeyCertificate,
        signingKeySignature,
      });
    }
    this.emit({ kind: 'registered', node: peer.id, numExamples: n });
    if (this.phase.kind === 'waiting') this.maybeStartRound();
    return create(RegisterResponseSchema, {
      accepted: true,
      modelSpecJson: this.o.model.specJson,
      inputShape: [...this.o.model.inputShape],
      numClasses: this.o.model.numClasses,
      rounds: this.o.rounds,
      aggregateDp: 'roundEvent' in this.o.strategy || this.o.secureAggregation?.distributedDp !== undefined,
    });
  }

  async getTask(request: GetTaskRequest, peer: PeerIdentity): Promise<GetTaskResponse> {
    const node = this.requireNode(peer, 'GetTask');
    node.lastSeenUnixMs = this.clock.now();
    const immediate = this.taskFor(node.id);
    if (immediate) return immediate;
    if (this.phase.kind === 'failed') return this.waitResponse(node.id);
    if (this.phase.kind === 'waiting') {
      this.maybeStartRound();
      // This poll may have started the round (it made its node available again): answer now, not after the hold.
      const started = this.taskFor(node.id);
      if (started) return started;
    }
    const hold = Math.min(request.waitMs, this.o.maxLongPollMs ?? DEFAULT_LONG_POLL_MS);
    if (hold > 0) {
      await new Promise<void>((resolve) => {
        let cancel: () => void = () => {};
        const wake = () => {
          this.waiters.delete(wake);
          cancel();
          resolve();
        };
        this.waiters.add(wake);
        cancel = this.clock.setTimer(hold, wake);
      });
      node.lastSeenUnixMs = this.clock.now();
    }
    return this.taskFor(node.id) ?? this.waitResponse(node.id);
  }

  async submitUpdate(request: SubmitUpdateRequest, peer: PeerIdentity): Promise<SubmitUpdateResponse> {
    const node = this.requireNode(peer, 'SubmitUpdate');
    node.lastSeenUnixMs = this.clock.now();
    const p = this.phase;
    const answer = (accepted: boolean, reason = '') =>
      create(SubmitUpdateResponseSchema, { accepted, reason });
    if (p.kind !== 'training' || request.round !== p.round) {
      return answer(
        false,
        `round ${request.round} is not open for updates${p.kind === 'training' ? ` (round ${p.round} is)` : ''}`,
      );
    }
    if (node.left)
      return answer(false, `node "${node.id}" has left the federation (register again to rejoin)`);
    if (!p.selected.has(node.id))
      return answer(false, `node "${node.id}" was not selected for round ${p.round}`);
    if (p.secure) {
      return answer(
        false,
        `round ${p.round} uses secure aggregation (${p.secure.setup().protocol}): send the update with SubmitSecAgg`,
      );
    }
    if (hasAnswered(p, node.id))
      return answer(false, `node "${node.id}" already sent its update for round ${p.round}`);
    if (this.clock.now() > p.deadline) return answer(false, `round ${p.round}'s deadline has passed`);
    const reject = (reason: string) => {
      node.updatesRejected++;
      p.rejected.push({ nodeId: node.id, reason });
      this.emit({ kind: 'update-rejected', round: p.round, node: node.id, reason });
      this.maybeCloseRound();
      return answer(false, reason);
    };
    let delta: Float32Array;
    try {
      delta = decodeDelta(request.update, this.global.length);
    } catch (err) {
      return reject((err as Error).message);
    }
    const claimed = Number(request.numExamples);
    const update: ClientUpdate = {
      nodeId: node.id,
      delta,
      // Weights are self-reported; never more than the node registered.
      numExamples:
        Number.isSafeInteger(claimed) && claimed >= 1 ? Math.min(claimed, node.numExamples) : claimed,
    };
    const verdict = validateUpdate(update, {
      length: this.global.length,
      maxNorm: this.o.strategy.maxUpdateNorm,
    });
    if (!verdict.ok) return reject(verdict.reason);
    if (request.localEpsilon >= 0 && Number.isFinite(request.localEpsilon))
      node.localEpsilon = request.localEpsilon;
    if (request.localDelta >= 0 && request.localDelta < 1) node.localDelta = request.localDelta;
    p.updates.set(node.id, {
      update,
      loss: Number.isFinite(request.trainLoss) ? request.trainLoss : Number.NaN,
      bytes: toBinary(SubmitUpdateRequestSchema, request).length,
    });
    this.maybeCloseRound();
    return answer(true);
  }

  async submitSecAgg(request: SubmitSecAggRequest, peer: PeerIdentity): Promise<SubmitSecAggResponse> {
    const node = this.requireNode(peer, 'SubmitSecAgg');
    node.lastSeenUnixMs = this.clock.now();
    const p = this.phase;
    const answer = (accepted: boolean, reason = '') =>
      create(SubmitSecAggResponseSchema, { accepted, reason });
    if (p.kind !== 'training' || !p.secure || request.round !== p.round)
      return answer(false, `round ${request.round} has no secure aggregation open`);
    if (node.left)
      return answer(false, `node "${node.id}" has left the federation (register again to rejoin)`);
    if (!p.selected.has(node.id))
      return answer(false, `node "${node.id}" was not selected for round ${p.round}`);
    const secure = p.secure;
    if (secure.currentStage === 'advertise' && this.clock.now() > p.deadline)
      return answer(false, `round ${p.round}'s deadline has passed`);
    const reason = secure.submit(node.id, request);
    if (reason) {
      this.emit({ kind: 'update-rejected', round: p.round, node: node.id, reason });
      return answer(false, reason);
    }
    const meta = request.message.case === 'advertise' ? secure.metaOf(node.id) : undefined;
    if (meta) {
      if (meta.localEpsilon >= 0 && Number.isFinite(meta.localEpsilon)) node.localEpsilon = meta.localEpsilon;
      if (meta.localDelta >= 0 && meta.localDelta < 1) node.localDelta = meta.localDelta;
    }
    this.maybeCloseRound();
    return answer(true);
  }

  async submitEvaluation(
    request: SubmitEvaluationRequest,
    peer: PeerIdentity,
  ): Promise<SubmitEvaluationResponse> {
    const node = this.requireNode(peer, 'SubmitEvaluation');
    node.lastSeenUnixMs = this.clock.now();
    const p = this.phase;
    const no = create(SubmitEvaluationResponseSchema, { accepted: false });
    if (
      p.kind !== 'evaluating' ||
      request.round !== p.round ||
      !p.asked.has(node.id) ||
      p.results.has(node.id)
    )
      return no;
    const examples = Number(request.numExamples);
    const { accuracy, loss } = request;
    if (examples === 0) {
      // The node declines to release metrics on its data (its choice under local DP): answered, no result.
      p.asked.delete(node.id);
      if (p.results.size >= p.asked.size) this.closeEvaluation();
      return create(SubmitEvaluationResponseSchema, { accepted: true });
    }
    if (
      !(examples >= 1 && Number.isSafeInteger(examples)) ||
      !(accuracy >= 0 && accuracy <= 1) ||
      !Number.isFinite(loss)
    ) {
      return no;
    }
    p.results.set(node.id, { examples, accuracy, loss });
    if (p.results.size === p.asked.size) this.closeEvaluation();
    return create(SubmitEvaluationResponseSchema, { accepted: true });
  }

  async leave(request: LeaveRequest, peer: PeerIdentity): Promise<LeaveResponse> {
    const node = this.requireNode(peer, 'Leave');
    this.markLeft(node, request.reason.slice(0, 500));
    return create(LeaveResponseSchema, {});
  }

  /**
   * Stops counting on a node the operator has excluded (e.g. its certificate was revoked): as if it had left.
   * Returns false for an unknown node.
   */
  expel(nodeId: string, reason: string): boolean {
    const node = this.nodes.get(nodeId);
    if (!node || node.left) return false;
    this.markLeft(node, reason);
    return true;
  }

  private markLeft(node: NodeRecord, reason: string): void {
    node.left = true;
    this.emit({ kind: 'left', node: node.id, reason });
    this.maybeCloseRound();
    const p = this.phase;
    if (p.kind === 'evaluating' && p.asked.has(node.id) && !p.results.has(node.id)) {
      p.asked.delete(node.id);
      if (p.results.size >= p.asked.size) this.closeEvaluation();
    }
  }

  // ---- the state machine ------------------------------------------------------------------------------------

  private requireNode(peer: PeerIdentity, call: string): NodeRecord {
    const node = this.nodes.get(peer.id);
    if (!node) {
      throw new ProtocolError(`${call}: node "${peer.id}" is not registered (call Register first)`, {
        peer: peer.id,
        stage: 'register',
      });
    }
    return node;
  }

  private taskFor(id: string): GetTaskResponse | null {
    const p = this.phase;
    if (p.kind === 'done') {
      this.finishedDelivered.add(id);
      return p.task;
    }
    if (this.nodes.get(id)?.left) return null;
    if (p.kind === 'training' && p.secure && p.secure.currentStage !== 'advertise') {
      const task = p.secure.taskFor(id);
      if (task) p.secure.countDownload(id, task);
      return task;
    }
    if (
      p.kind === 'training' &&
      p.selected.has(id) &&
      !hasAnswered(p, id) &&
      this.clock.now() <= p.deadline
    ) {
      return p.task;
    }
    if (p.kind === 'evaluating' && p.asked.has(id) && !p.results.has(id)) return p.task;
    return null;
  }

  private waitResponse(id: string): GetTaskResponse {
    const p = this.phase;
    let reason: string;
    if (p.kind === 'waiting')
      reason = `waiting for nodes: ${this.activeNodes().length} of ${this.nodesNeeded()} registered`;
    else if (p.kind === 'training' && p.secure && p.selected.has(id))
      reason = `secure aggregation of round ${p.round}: ${p.secure.currentStage} stage`;
    else if (p.kind === 'training')
      reason = hasAnswered(p, id)
        ? `update received for round ${p.round}`
        : `not selected for round ${p.round}`;
    else if (p.kind === 'evaluating') reason = `evaluation of round ${p.round} in progress`;
    else if (p.kind === 'failed') reason = `the federation failed: ${p.reason}`;
    else reason = '';
    return create(GetTaskResponseSchema, {
      task: { case: 'wait', value: { retryAfterMs: p.kind === 'failed' ? 60_000 : 200, reason } },
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private emit(event: CoordinatorEvent): void {
    this.o.onEvent?.(event);
  }

  /** Nodes that can take part now: registered, not left, seen within the availability window. */
  private activeNodes(): NodeRecord[] {
    const now = this.clock.now();
    const window = this.o.availabilityWindowMs ?? 2 * (this.o.maxLongPollMs ?? DEFAULT_LONG_POLL_MS) + 10_000;
    return [...this.nodes.values()].filter((n) => !n.left && now - n.lastSeenUnixMs <= window);
  }

  private candidates(): Candidate[] {
    const active = new Set(this.activeNodes().map((n) => n.id));
    return [...this.nodes.values()].map((n) => ({
      nodeId: n.id,
      numExamples: n.numExamples,
      available: active.has(n.id),
    }));
  }

  /** Available nodes a round needs to start: startAfterNodes before the first round, minNodes after. */
  private nodesNeeded(): number {
    return this.roundsCompleted === 0 && this.history.length === 0
      ? (this.o.startAfterNodes ?? this.o.minNodes)
      : this.o.minNodes;
  }

  private maybeStartRound(): void {
    if (this.phase.kind !== 'waiting') return;
    if (this.activeNodes().length < this.nodesNeeded()) return;
    this.startRound(this.roundsCompleted + 1, this.nextAttempt);
  }

  private startRound(round: number, attempt: number): void {
    const selected = new Set(
      selectNodes(
        this.candidates(),
        this.o.selection,
        round,
        this.o.rng(`round/${round}/attempt/${attempt}/select`),
      ),
    );
    const deadline = this.clock.now() + this.o.roundTimeoutMs;
    let secure: SecureRound | null = null;
    if (this.o.secureAggregation) {
      const nonce = new Uint32Array(4);
      const rng = this.o.rng(`round/${round}/attempt/${attempt}/session`);
      for (let i = 0; i < 4; i++) nonce[i] = rng.uniformInt(2 ** 32);
      try {
        secure = new SecureRound({
          round,
          session: `veil/${this.o.configSha256.slice(0, 16)}/round/${round}/attempt/${attempt}/${Buffer.from(bytesFromWords(nonce)).toString('hex')}`,
          spec: this.o.secureAggregation,
          participants: new Map(
            [...selected].map((id) => [
              id,
              new Uint8Array(Buffer.from(this.nodes.get(id)!.signingKey ?? '', 'hex')),
            ]),
          ),
          bindings: new Map(
            [...selected].map((id) => [
              id,
              {
                certificate: new Uint8Array(
                  Buffer.from(this.nodes.get(id)!.signingKeyCertificate ?? '', 'base64'),
                ),
                signature: new Uint8Array(
                  Buffer.from(this.nodes.get(id)!.signingKeySignature ?? '', 'base64'),
                ),
              },
            ]),
          ),
          dimension: this.global.length,
        });
      } catch (err) {
        if (err instanceof InvalidParameterError) {
          // parameters no round can satisfy (noise below the sampler's range, a clip that cannot fit 2^31...)
          this.fail(`round ${round}: secure aggregation cannot be set up: ${err.message}`);
          return;
        }
        if (!(err instanceof ProtocolError)) throw err;
        this.phase = { kind: 'waiting' };
        this.retry(round, attempt, selected.size, err.message);
        return;
      }
    }
    const task = create(GetTaskResponseSchema, {
      task: {
        case: 'train',
        value: {
          round,
          global: encodeParameters(this.global),
          config: this.trainConfig,
          deadlineUnixMs: BigInt(deadline),
          ...(secure ? { secagg: secure.setup() } : {}),
        },
      },
    });
    this.phase = {
      kind: 'training',
      round,
      attempt,
      selected,
      task,
      taskBytes: toBinary(GetTaskResponseSchema, task).length,
      deadline,
      startedMs: this.clock.now(),
      updates: new Map(),
      rejected: [],
      cancelTimer: this.clock.setTimer(this.o.roundTimeoutMs + 1, () => this.onDeadline(round, attempt)),
      secure,
    };
    this.emit({ kind: 'round-started', round, attempt, selected: selected.size });
    this.wakeAll();
    this.maybeCloseRound();
  }

  /** Closes the round when every selected node has answered (an update or a refusal). */
  private maybeCloseRound(): void {
    const p = this.phase;
    if (p.kind !== 'training') return;
    if (p.secure) {
      const secure = p.secure;
      const pending = secure.eligible().filter((id) => !secure.hasAnswered(id) && !this.nodes.get(id)?.left);
      if (pending.length === 0) this.advanceSecure(p);
      return;
    }
    const answered = new Set([...p.updates.keys(), ...p.rejected.map((r) => r.nodeId)]);
    for (const id of p.selected) if (this.nodes.get(id)?.left) answered.add(id);
    if (answered.size >= p.selected.size) this.closeRound(false);
  }

  private onDeadline(round: number, attempt: number): void {
    const p = this.phase;
    if (p.kind !== 'training' || p.round !== round || p.attempt !== attempt) return;
    if (p.secure) {
      if (p.secure.currentStage === 'advertise') this.advanceSecure(p);
      return;
    }
    this.closeRound(true);
  }

  /** A round attempt that cannot count: retried with a new draw, or the run fails after maxRoundAttempts. */
  private retry(round: number, attempt: number, received: number, why: string): void {
    this.emit({ kind: 'round-retried', round, attempt, received, reason: why });
    if (attempt >= (this.o.maxRoundAttempts ?? 3)) {
      this.fail(`round ${round}: ${why} (after ${attempt} attempts)`);
      return;
    }
    this.phase = { kind: 'waiting' };
    this.nextAttempt = attempt + 1;
    if (this.activeNodes().length >= this.o.minNodes) this.startRound(round, this.nextAttempt);
  }

  /**
   * Closes the secure aggregation's current stage (everyone answered, or its deadline passed) and opens the
   * next, or finishes the round when the unmasking closed. Below the threshold the attempt is retried: nothing
   * was unmasked.
   */
  private advanceSecure(p: Extract<Phase, { kind: 'training' }>): void {
    const secure = p.secure!;
    p.cancelTimer();
    let done: boolean;
    try {
      done = secure.close();
    } catch (err) {
      // Below the threshold (ProtocolError), or anything else: this runs from a node's call or from a stage
      // timer, where an error would leave the round open with no timer left; the attempt fails and is redrawn.
      this.retry(p.round, p.attempt, 0, errorMessage(err));
      return;
    }
    if (done) {
      this.closeSecureRound(p);
      return;
    }
    const timeout = this.o.secureAggregation?.stageTimeoutMs ?? 60_000;
    secure.deadline = this.clock.now() + timeout;
    const stage = secure.currentStage;
    p.cancelTimer = this.clock.setTimer(timeout + 1, () => {
      if (this.phase === p && secure.currentStage === stage) this.advanceSecure(p);
    });
    this.wakeAll();
    this.maybeCloseRound();
  }

  private closeSecureRound(p: Extract<Phase, { kind: 'training' }>): void {
    let r: ReturnType<SecureRound['result']>;
    try {
      r = p.secure!.result();
    } catch (err) {
      // Every share was checked on receipt, so this should not happen; if it does, nothing was released and the
      // attempt is redrawn instead of leaving the federation stuck (the stage timer is already cancelled).
      this.retry(p.round, p.attempt, 0, `the unmasking failed: ${errorMessage(err)}`);
      return;
    }
    const quorum = this.o.selection.kind === 'poisson' ? 2 : this.o.minNodes;
    if (r.survivors.length < quorum) {
      // The sum was unmasked, so its distributed-DP release is charged even though the round is drawn again.
      this.centralEvents.push(...r.events);
      this.retry(
        p.round,
        p.attempt,
        r.survivors.length,
        `${r.survivors.length} survivors, the quorum is ${quorum} (the discarded sum's release is charged)`,
      );
      return;
    }
    const every = this.o.evaluateEvery ?? 1;
    const evaluate = p.round === this.o.rounds || (every > 0 && p.round % every === 0);
    this.global = this.o.strategy.applyDelta(this.global, r.mean, p.round);
    this.roundsCompleted = p.round;
    this.centralEvents.push(...r.events);
    for (const id of r.survivors) {
      const n = this.nodes.get(id);
      if (n) n.roundsParticipated++;
    }
    const losses = r.survivors
      .map((id) => p.secure!.metaOf(id)?.trainLoss ?? Number.NaN)
      .filter(Number.isFinite);
    let norm = 0;
    for (let i = 0; i < r.mean.length; i++) norm += r.mean[i]! * r.mean[i]!;
    const downloads = [...r.downloadBytes.values()];
    const alive = new Set(r.survivors);
    const record: RoundRecord = {
      round: p.round,
      attempts: p.attempt,
      selected: [...p.selected].sort(),
      used: r.survivors,
      rejected: [...p.rejected],
      dropped: [...p.selected].filter((id) => !alive.has(id)).sort(),
      meanTrainLoss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
      downloadBytesPerNode:
        p.taskBytes +
        (downloads.length ? Math.round(downloads.reduce((a, b) => a + b, 0) / downloads.length) : 0),
      uploadBytes: Object.fromEntries([...r.uploadBytes].sort(([a], [b]) => (a < b ? -1 : 1))),
      updateNorm: Math.sqrt(norm),
      events: r.events,
      evaluation: null,
      serverEvaluation: evaluate && this.o.serverEvaluate ? this.o.serverEvaluate(this.global) : null,
      seconds: (this.clock.now() - p.startedMs) / 1000,
      secureAggregation: r.record,
    };
    this.finishRound(record, evaluate);
  }

  private closeRound(deadlinePassed: boolean): void {
    const p = this.phase;
    if (p.kind !== 'training') return;
    p.cancelTimer();
    const quorum = this.o.selection.kind === 'poisson' ? 0 : this.o.minNodes;
    if (p.updates.size < quorum) {
      this.emit({ kind: 'round-retried', round: p.round, attempt: p.attempt, received: p.updates.size });
      if (p.attempt >= (this.o.maxRoundAttempts ?? 3)) {
        this.fail(
          `round ${p.round}: ${p.updates.size} usable updates after ${p.attempt} attempts, the quorum is ${quorum}` +
            (deadlinePassed ? ' (deadline passed)' : ''),
        );
        return;
      }
      this.phase = { kind: 'waiting' };
      this.nextAttempt = p.attempt + 1;
      if (this.activeNodes().length >= this.o.minNodes) this.startRound(p.round, this.nextAttempt);
      return;
    }
    const every = this.o.evaluateEvery ?? 1;
    const evaluate = p.round === this.o.rounds || (every > 0 && p.round % every === 0);
    const ids = [...p.updates.keys()].sort();
    const updates = ids.map((id) => p.updates.get(id)!.update);
    let outcome: ReturnType<Strategy['aggregate']>;
    try {
      outcome = this.o.strategy.aggregate(
        this.global,
        updates,
        p.round,
        this.o.rng(`round/${p.round}/aggregate`),
      );
    } catch (err) {
      // Possibly inside the deadline timer: an error must end this attempt, never the coordinator's progress.
      this.retry(p.round, p.attempt, p.updates.size, `the aggregation failed: ${errorMessage(err)}`);
      return;
    }
    const { global, result } = outcome;
    const answered = new Set([...p.updates.keys(), ...p.rejected.map((r) => r.nodeId)]);
    const losses = ids.map((id) => p.updates.get(id)!.loss).filter(Number.isFinite);
    for (const id of result.used) {
      const n = this.nodes.get(id);
      if (n) n.roundsParticipated++;
    }
    for (const r of result.rejected) {
      const n = this.nodes.get(r.nodeId);
      if (n) n.updatesRejected++;
    }
    let norm = 0;
    for (let i = 0; i < result.delta.length; i++) norm += result.delta[i]! * result.delta[i]!;
    this.global = global;
    this.roundsCompleted = p.round;
    this.centralEvents.push(...result.events);
    const record: RoundRecord = {
      round: p.round,
      attempts: p.attempt,
      selected: [...p.selected].sort(),
      used: result.used,
      rejected: [...p.rejected, ...result.rejected],
      dropped: [...p.selected].filter((id) => !answered.has(id)).sort(),
      meanTrainLoss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
      downloadBytesPerNode: p.taskBytes,
      uploadBytes: Object.fromEntries(ids.map((id) => [id, p.updates.get(id)!.bytes])),
      updateNorm: Math.sqrt(norm),
      events: result.events,
      evaluation: null,
      serverEvaluation: evaluate && this.o.serverEvaluate ? this.o.serverEvaluate(this.global) : null,
      seconds: (this.clock.now() - p.startedMs) / 1000,
    };
    this.finishRound(record, evaluate);
  }

  /** Records a completed round, checkpoints it (before the model is released), then evaluates or goes on. */
  private finishRound(record: RoundRecord, evaluate: boolean): void {
    this.history.push(record);
    this.nextAttempt = 1;
    if (!this.saveCheckpoint()) return;
    this.emit({ kind: 'round-finished', record });
    if ((this.phase as Phase).kind === 'failed') return; // stopped by a listener
    if (evaluate) this.startEvaluation(record.round);
    else this.next();
  }

  private next(): void {
    if (this.roundsCompleted >= this.o.rounds) {
      this.finish();
      return;
    }
    this.phase = { kind: 'waiting' };
    this.maybeStartRound();
    if (this.phase.kind === 'waiting') this.wakeAll();
  }

  private startEvaluation(round: number): void {
    const fraction = this.o.evaluateFraction ?? 1;
    const candidates = this.candidates();
    const asked =
      fraction >= 1
        ? new Set(candidates.filter((c) => c.available).map((c) => c.nodeId))
        : new Set(
            selectNodes(
              candidates,
              { kind: 'fraction', fraction },
              round,
              this.o.rng(`round/${round}/evaluate`),
            ),
          );
    if (asked.size === 0) {
      this.next();
      return;
    }
    const task = create(GetTaskResponseSchema, {
      task: { case: 'evaluate', value: { round, global: encodeParameters(this.global) } },
    });
    this.phase = {
      kind: 'evaluating',
      round,
      asked,
      task,
      results: new Map(),
      cancelTimer: this.clock.setTimer(this.o.evaluationTimeoutMs ?? this.o.roundTimeoutMs, () => {
        const q = this.phase;
        if (q.kind === 'evaluating' && q.round === round) this.closeEvaluation();
      }),
    };
    this.wakeAll();
  }

  private closeEvaluation(): void {
    const p = this.phase;
    if (p.kind !== 'evaluating') return;
    p.cancelTimer();
    const results = [...p.results.values()];
    const examples = results.reduce((s, r) => s + r.examples, 0);
    if (examples > 0) {
      const evaluation: EvaluationRecord = {
        nodes: results.length,
        examples,
        accuracy: results.reduce((s, r) => s + r.accuracy * r.examples, 0) / examples,
        loss: results.reduce((s, r) => s + r.loss * r.examples, 0) / examples,
      };
      const record = this.history.find((h) => h.round === p.round);
      if (record) record.evaluation = evaluation;
      this.emit({ kind: 'evaluated', round: p.round, evaluation });
      // the evaluation joins the round's checkpoint (it releases no model, only metrics)
      if (!this.saveCheckpoint()) return;
    }
    this.next();
  }

  private finish(): void {
    const task = create(GetTaskResponseSchema, {
      task: {
        case: 'finished',
        value: { rounds: this.roundsCompleted, global: encodeParameters(this.global) },
      },
    });
    this.phase = { kind: 'done', task };
    this.emit({ kind: 'finished', rounds: this.roundsCompleted });
    this.wakeAll();
    this.settle(this.summary('finished', null));
  }

  private fail(reason: string): void {
    const p = this.phase;
    if (p.kind === 'training' || p.kind === 'evaluating') p.cancelTimer();
    this.phase = { kind: 'failed', reason };
    this.emit({ kind: 'failed', reason });
    this.wakeAll();
    this.settle(this.summary('failed', reason));
  }

  /** The summary so far. */
  summary(status: 'finished' | 'failed' = 'finished', failure: string | null = null): CoordinatorSummary {
    const lastEval = [...this.history].reverse().find((h) => h.evaluation)?.evaluation ?? null;
    const lastServer = this.history[this.history.length - 1]?.serverEvaluation ?? null;
    const privateEvents = this.centralEvents.filter((e) => e.kind !== 'non-private' && e.kind !== 'no-op');
    let central: CoordinatorSummary['central'] = null;
    if (privateEvents.length > 0 && !this.centralEvents.some((e) => e.kind === 'non-private')) {
      const delta = this.o.centralDelta ?? 1e-5;
      const rdp = new RdpAccountant();
      const pld = new PldAccountant();
      let pldOk = true;
      for (const e of privateEvents) {
        rdp.compose(e);
        try {
          if (pldOk) pld.compose(e);
        } catch {
          pldOk = false; // an event the PLD accountant does not support: report RDP only
        }
      }
      central = {
        events: privateEvents,
        delta,
        epsilonRdp: rdp.epsilon({ delta }),
        epsilonPld: pldOk ? pld.epsilon({ delta }) : null,
      };
    }
    return {
      status,
      failure,
      roundsCompleted: this.roundsCompleted,
      rounds: this.o.rounds,
      strategy: this.o.strategy.name,
      secureAggregation: this.o.secureAggregation?.protocol ?? 'none',
      global: Float32Array.from(this.global),
      history: this.history,
      finalEvaluation: lastEval,
      finalServerEvaluation: lastServer,
      central,
      nodes: [...this.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
      resumedFrom: this.resumedFrom,
    };
  }

  /** Writes the checkpoint; on failure the federation fails (the round's model is never released). */
  private saveCheckpoint(): boolean {
    if (!this.o.checkpoint) return true;
    const checkpoint: CoordinatorCheckpoint = {
      version: CHECKPOINT_VERSION,
      configSha256: this.o.configSha256,
      roundsCompleted: this.roundsCompleted,
      global: this.global,
      strategyState: this.o.strategy.state(),
      centralEvents: this.centralEvents,
      nodes: [...this.nodes.values()],
      history: this.history,
      savedAtUnixMs: this.clock.now(),
    };
    try {
      this.o.checkpoint.save(checkpoint);
    } catch (err) {
      this.fail(
        `the checkpoint of round ${this.roundsCompleted} could not be written: ${(err as Error).message}`,
      );
      return false;
    }
    this.emit({ kind: 'checkpoint', round: this.roundsCompleted });
    return true;
  }

  private restore(): void {
    const c = this.o.checkpoint?.load() ?? null;
    if (!c) {
      throw new ConfigError(
        [{ path: 'resume', value: true, allowed: 'a checkpoint to resume from (none was found)' }],
        'coordinator',
      );
    }
    if (c.configSha256 !== this.o.configSha256) {
      throw new ConfigError(
        [
          {
            path: 'configuration',
            value: this.o.configSha256,
            allowed: `the configuration the checkpoint was made with (SHA-256 ${c.configSha256})`,
          },
        ],
        'coordinator --resume',
      );
    }
    if (c.global.length !== this.global.length) {
      throw new ConfigError(
        [{ path: 'checkpoint.global', value: c.global.length, allowed: `${this.global.length} parameters` }],
        'coordinator --resume',
      );
    }
    this.global = Float32Array.from(c.global);
    this.roundsCompleted = c.roundsCompleted;
    this.o.strategy.restore(c.strategyState);
    this.centralEvents.push(...(c.centralEvents as PrivacyEvent[]));
    for (const n of c.nodes as NodeRecord[]) this.nodes.set(n.id, { ...n });
    this.history.push(...(c.history as RoundRecord[]));
    this.resumedFrom = c.roundsCompleted;
    this.emit({ kind: 'resumed', roundsCompleted: c.roundsCompleted });
  }
}

/** An error's message for a round-retried reason. */
function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function checkOptions(o: CoordinatorOptions): void {
  const fn = 'Coordinator';
  const int = (param: string, v: number, min: number) => {
    if (!(Number.isSafeInteger(v) && v >= min)) {
      throw new InvalidParameterError({ fn, param, value: v, allowed: `an integer >= ${min}` });
    }
  };
  int('rounds', o.rounds, 1);
  int('minNodes', o.minNodes, 1);
  int('roundTimeoutMs', o.roundTimeoutMs, 1);
  if (o.maxRoundAttempts !== undefined) int('maxRoundAttempts', o.maxRoundAttempts, 1);
  if (o.evaluateEvery !== undefined) int('evaluateEvery', o.evaluateEvery, 0);
  if (o.evaluateFraction !== undefined && !(o.evaluateFraction > 0 && o.evaluateFraction <= 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'evaluateFraction',
      value: o.evaluateFraction,
      allowed: 'a number in (0, 1]',
    });
  }
  if (o.initialGlobal.length < 1) {
    throw new InvalidParameterError({
      fn,
      param: 'initialGlobal',
      value: o.initialGlobal.length,
      allowed: 'at least one parameter',
    });
  }
  const t = o.train;
  int('train.localEpochs', t.localEpochs, 1);
  int('train.batchSize', t.batchSize, 1);
  if (!(t.learningRate > 0 && Number.isFinite(t.learningRate))) {
    throw new InvalidParameterError({
      fn,
      param: 'train.learningRate',
      value: t.learningRate,
      allowed: 'a finite number > 0',
    });
  }
  if (!(t.momentum >= 0 && t.momentum < 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'train.momentum',
      value: t.momentum,
      allowed: 'a number in [0, 1)',
    });
  }
  if (t.compression.kind === 'top-k' && !(t.compression.fraction > 0 && t.compression.fraction <= 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'train.compression.fraction',
      value: t.compression.fraction,
      allowed: 'a number in (0, 1]',
    });
  }
  if (t.compression.kind === 'quantization' && ![2, 4, 8].includes(t.compression.bits)) {
    throw new InvalidParameterError({
      fn,
      param: 'train.compression.bits',
      value: t.compression.bits,
      allowed: '2, 4 or 8',
    });
  }
  if (o.resume && !o.checkpoint) {
    throw new InvalidParameterError({
      fn,
      param: 'resume',
      value: true,
      allowed: 'resume only with a checkpoint store',
    });
  }
  const sa = o.secureAggregation;
  if (sa) {
    const refuse = (param: string, value: unknown, allowed: string) => {
      throw new InvalidParameterError({ fn, param: `secureAggregation.${param}`, value, allowed });
    };
    if (sa.protocol !== 'secagg' && sa.protocol !== 'secagg+')
      refuse('protocol', sa.protocol, "'secagg' or 'secagg+'");
    if (!(sa.clipNorm > 0 && Number.isFinite(sa.clipNorm)))
      refuse('clipNorm', sa.clipNorm, 'a finite number > 0');
    if (sa.thresholdFraction !== undefined && !(sa.thresholdFraction > 0.5 && sa.thresholdFraction <= 1))
      refuse('thresholdFraction', sa.thresholdFraction, 'a fraction in (0.5, 1]');
    const nm = sa.distributedDp?.noiseMultiplier;
    if (nm !== undefined && !(nm > 0 && Number.isFinite(nm)))
      refuse('distributedDp.noiseMultiplier', nm, 'a finite number > 0');
    if (o.strategy.aggregator.kind !== 'mean' || o.strategy.name.includes('server-dp')) {
      refuse(
        'protocol',
        sa.protocol,
        `a strategy with the mean aggregator and no central DP (got ${o.strategy.name} with ${o.strategy.aggregator.kind}): the coordinator only learns the sum`,
      );
    }
    if (t.compression.kind !== 'none') {
      refuse(
        'protocol',
        sa.protocol,
        `no update compression (got ${t.compression.kind}): updates are encoded in fixed point`,
      );
    }
    if (o.minNodes < MIN_NEIGHBOURHOOD)
      refuse(
        'protocol',
        sa.protocol,
        `minNodes >= ${MIN_NEIGHBOURHOOD} (nodes refuse smaller rosters: with two, the sum reveals each update to the other)`,
      );
  }
  if (o.keyBindingCaPem !== undefined) {
    let ok = typeof o.keyBindingCaPem === 'string';
    try {
      if (ok) new X509Certificate(o.keyBindingCaPem);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new InvalidParameterError({
        fn,
        param: 'keyBindingCaPem',
        value:
          typeof o.keyBindingCaPem === 'string'
            ? `${o.keyBindingCaPem.length} characters`
            : o.keyBindingCaPem,
        allowed: 'the federation CA certificate in PEM',
      });
    }
  }
}
