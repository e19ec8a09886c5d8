/**
 * A federated node: the organisation's side of the protocol, next to its data. It registers, long-polls for
 * work, trains locally (DP-SGD under its own budget, or plainly), returns its update (new parameters minus the
 * global ones, compressed as the coordinator asks), evaluates global models on its own test data, and keeps
 * its personal layers (FedPer) to itself. Raw records never leave it: only model updates and aggregate metrics.
 *
 * Local DP: the node's budget (epsilon, delta) covers everything it ever sends. Each round's DP-SGD event is
 * charged and persisted before the round trains; a round the budget cannot pay for is not trained, and the
 * node leaves the federation saying why. The noise multiplier is fixed at the start (given, or calibrated so
 * that taking part in every planned round spends exactly the budget).
 */
import { X509Certificate } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { calibrateNoiseMultiplier, dpSgdEvent, type PrivacyEvent } from '../../accounting/index.js';
import {
  BudgetExceededError,
  ConfigError,
  IntegrityError,
  InvalidParameterError,
  ProtocolError,
  type Rng,
} from '../../core/index.js';
import { constantTimeEqual, generateSigningKeyPair, type KeyPair } from '../../crypto/index.js';
import { type Dataset, parseModelSpec, SequentialModel } from '../../ml/index.js';
import {
  addDiscreteGaussianNoise,
  encodeClipped,
  type FixedPointPlan,
  SecAggClient,
  type SecAggGraph,
} from '../../secagg/index.js';
import { evaluateModel, trainModel } from '../../train/index.js';
import {
  type CoordinatorClient,
  type EvaluateTask,
  GetTaskRequestSchema,
  type GetTaskResponse,
  LeaveRequestSchema,
  RegisterRequestSchema,
  type SecAggSetup,
  type SecAggTask,
  SubmitEvaluationRequestSchema,
  SubmitSecAggRequestSchema,
  SubmitUpdateRequestSchema,
  signKeyBinding,
  type TrafficCounter,
  type TrainTask,
  verifyKeyBinding,
} from '../../transport/index.js';
import {
  bytesFromWords,
  type DeltaEncoderState,
  decodeParameters,
  encodeDelta,
  flattenParams,
  loadParams,
  newDeltaEncoderState,
  PROTOCOL_VERSION,
  paramSizes,
  toUpdateMessage,
} from '../protocol/index.js';
import { LocalBudget, memorySpendStore, type SpendStore } from './budget.js';

/** A node's local privacy. */
export type LocalPrivacySpec =
  | { readonly kind: 'non-private' }
  | {
      readonly kind: 'dp';
      /** The node's whole budget, over every round it takes part in. */
      readonly epsilon: number;
      readonly delta: number;
      /** Fixed noise multiplier; absent: calibrated so `plannedRounds` rounds spend the budget. */
      readonly noiseMultiplier?: number;
      /** Rounds the calibration plans for (default: all the federation's rounds). */
      readonly plannedRounds?: number;
      /** Per-example clipping norm (default 1). */
      readonly maxGradNorm?: number;
      readonly accountant?: 'rdp' | 'pld';
      /**
       * The node's record count treated as public, N (an integer >= 1). DP-SGD's sampling rate and steps derive
       * from it, and it is the count the node sends the coordinator (FedAvg's weight), so the actual count
       * stays protected by the add/remove-one-record guarantee (docs/privacy.md, "Neighbouring relations").
       */
      readonly publicSize: number;
    };

/**
 * A node's own personalisation, beyond the federation's shared model (its organisation's choice; the
 * coordinator neither knows nor needs to). Both train on the node's private data, so under local DP they are
 * charged to the node's budget and planned for when the noise is calibrated.
 * - `fine-tune`: after the last round, `epochs` more epochs of local training from the final global model.
 * - `ditto` (Li et al., ICML 2021): every round the node also trains a personal model v on its data with the
 *   proximal term lambda/2 ||v - w||^2 toward that round's global model w (the term reads only the public
 *   global model, so it costs nothing beyond the gradient steps).
 * FedPer-style local layers are the federation's `train.localLayers` and work with either.
 */
export type PersonalizationSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'fine-tune'; readonly epochs: number; readonly learningRate?: number }
  | {
      readonly kind: 'ditto';
      readonly lambda: number;
      readonly epochs?: number;
      readonly learningRate?: number;
    };

/** Options of {@link FederatedNode}. */
export interface NodeOptions {
  readonly client: CoordinatorClient;
  /** For logs only; the coordinator knows the node by its certificate. */
  readonly name: string;
  readonly train: Dataset;
  /** Local test data for evaluation tasks (default: the training data). */
  readonly test?: Dataset;
  readonly privacy: LocalPrivacySpec;
  /**
   * Whether to send the coordinator metrics computed on the node's data: the mean training loss with each
   * update and the federated evaluation's accuracy and loss. They are not noised, so they are outside every DP
   * guarantee (local, central or distributed); the default is to release them only when the federation claims
   * none: no local DP here and no noise on the aggregate. `true` releases them anyway (label them not private).
   */
  readonly releaseMetrics?: boolean;
  /** The node's personal model, if any (default none). */
  readonly personalization?: PersonalizationSpec;
  /** Where local-DP spends persist (default: memory; use a file for a real node). */
  readonly spendStore?: SpendStore;
  /** Randomness per purpose ("round/3/train", …): the CSPRNG, or seeded per purpose in simulations. */
  readonly rng: (purpose: string) => Rng;
  /** Long-poll hold asked of the coordinator (default 20 s). */
  readonly pollWaitMs?: number;
  /** Refuse a federation whose model spec hash differs (hex SHA-256). */
  readonly expectedModelSha256?: string;
  readonly maxPhysicalBatch?: number;
  /** The client's traffic counter, to report bytes per round. */
  readonly traffic?: TrafficCounter;
  /** How long to keep retrying when the coordinator cannot be reached (default 60 s). */
  readonly reconnectForMs?: number;
  /**
   * Rewrites the update before it is sent. For simulating faulty or malicious nodes in robustness tests and
   * simulations only (`veil simulate --byzantine`); a real node has none.
   */
  readonly tamper?: (delta: Float32Array, round: number, rng: Rng) => Float32Array;
  /**
   * Makes the node drop out of a round's secure aggregation at the stage returned (it stops answering). For
   * simulations of unreliable nodes only (`veil simulate --dropout`); a real node has none.
   */
  readonly secaggDropout?: (
    session: string,
  ) => 'share-keys' | 'masked-input' | 'consistency' | 'unmask' | null;
  /**
   * Refuse to send a plain update: the node takes part only in rounds that use secure aggregation with at least
   * this Shamir threshold (>= 2), and sits out any other round. Absent: the coordinator decides.
   */
  readonly requireSecureAggregation?: { readonly minThreshold?: number };
  /**
   * The node's certified identity (PEM): its secure-aggregation key is signed with the certificate's key at
   * registration, and every peer's key must carry a valid binding to a certificate of `caPem` under the peer's
   * name, or the node sits the round out — so the coordinator cannot substitute keys. Absent (simulations):
   * keys are taken as the coordinator relays them.
   */
  readonly identity?: {
    readonly certificatePem: string;
    readonly privateKeyPem: string;
    readonly caPem: string;
  };
  readonly onEvent?: (event: NodeEvent) => void;
  readonly signal?: AbortSignal;
  /** Sleeps between polls; injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a node reports as it goes. */
export type NodeEvent =
  | { readonly kind: 'registered'; readonly rounds: number; readonly parameters: number }
  | {
      readonly kind: 'trained';
      readonly round: number;
      readonly loss: number;
      readonly epsilon: number | null;
      readonly accepted: boolean;
      readonly reason: string;
      readonly uploadBytes: number;
      readonly downloadBytes: number;
    }
  | {
      readonly kind: 'evaluated';
      readonly round: number;
      readonly accuracy: number;
      readonly loss: number;
      /** Whether the metrics were sent (see `releaseMetrics`); they always stay in the node's own log. */
      readonly released: boolean;
      readonly accepted: boolean;
    }
  | { readonly kind: 'left'; readonly reason: string }
  | {
      readonly kind: 'personalized';
      readonly method: 'fine-tune' | 'ditto';
      readonly accuracy: number;
      readonly loss: number;
      readonly epsilon: number | null;
    }
  | { readonly kind: 'retrying'; readonly error: string; readonly attempt: number }
  | {
      /** A secure-aggregation stage answered (accepted or refused by the coordinator). */
      readonly kind: 'secagg-stage';
      readonly round: number;
      readonly stage: 'share-keys' | 'masked-input' | 'consistency' | 'unmask';
      readonly accepted: boolean;
      readonly reason: string;
    }
  | {
      /** The node refused a secure-aggregation request (e.g. both shares of one node) and left the round. */
      readonly kind: 'secagg-refused';
      readonly round: number;
      readonly reason: string;
    }
  | { readonly kind: 'finished'; readonly rounds: number };

/** Traffic of one round, as the node's client counted it. */
export interface RoundTraffic {
  readonly round: number;
  readonly sent: number;
  readonly received: number;
}

/** What a node did. */
export interface NodeSummary {
  readonly name: string;
  readonly status: 'finished' | 'left' | 'stopped';
  readonly reason: string;
  readonly roundsTrained: number;
  readonly updatesAccepted: number;
  readonly localPrivacy: {
    readonly epsilonSpent: number;
    readonly epsilonBudget: number;
    readonly delta: number;
    readonly noiseMultiplier: number;
    readonly events: readonly PrivacyEvent[];
  } | null;
  /** Last evaluation of a global model on the node's test data (with its personal layers, if any). */
  readonly lastEvaluation: {
    readonly round: number;
    readonly accuracy: number;
    readonly loss: number;
  } | null;
  /**
   * The node's personal model on its own test data, next to the final global model's (null without
   * personalisation, or when it could not run: `skipped` says why, e.g. the budget was spent).
   */
  readonly personalized: {
    readonly method: 'fine-tune' | 'ditto';
    readonly accuracy: number;
    readonly loss: number;
    readonly globalAccuracy: number;
    readonly globalLoss: number;
  } | null;
  readonly personalizationSkipped: string | null;
  /** The personal model's parameters (never sent anywhere). */
  readonly personalModel: Float32Array | null;
  /** The final global model the coordinator sent (null if the node left before the end). */
  readonly finalGlobal: Float32Array | null;
  readonly traffic: readonly RoundTraffic[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The fixed-point plan of a secure aggregation setup, after checking that it cannot wrap: every node's clipped
 * coordinate plus rounding, plus 8 standard deviations of every node's noise, must stay below 2^31 (the
 * coordinator's plan guarantees it; a node does not take a setup on trust). Null when it could wrap.
 */
/** The communication graph a setup names: SecAgg+'s Harary graph of `degree`, or SecAgg's complete graph (0). */
function graphOf(setup: SecAggSetup): SecAggGraph {
  return setup.degree > 0 ? { kind: 'harary', degree: setup.degree } : { kind: 'complete' };
}

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

/** Whether an error is the transport failing (worth retrying) rather than the coordinator refusing. */
function isTransient(err: unknown): boolean {
  // The transport's RpcError says whether trying again can help (unavailable, deadline exceeded, aborted).
  return (err as { retryable?: unknown } | null)?.retryable === true;
}

/** Whether the coordinator does not know this node (it restarted without its registry): register again. */
function isNotRegistered(err: unknown): boolean {
  const e = err as { status?: unknown; message?: unknown } | null;
  return (
    e?.status === 'failed_precondition' &&
    typeof e.message === 'string' &&
    e.message.includes('is not registered')
  );
}

/** The noise multiplier of a DP-SGD event (self-composed Poisson-sampled Gaussian), if it is one. */
function sigmaOf(event: PrivacyEvent | undefined): number | undefined {
  if (event?.kind !== 'self-composed') return undefined;
  const sampled = event.event;
  if (sampled.kind !== 'poisson-sampled' || sampled.event.kind !== 'gaussian') return undefined;
  return sampled.event.sigma;
}

/** A federated node. `await new FederatedNode(options).run()`. */
export class FederatedNode {
  private readonly o: NodeOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private model: SequentialModel | null = null;
  private rounds = 0;
  private budget: LocalBudget | null = null;
  private sigma = 0;
  private localMask: Uint8Array | null = null;
  private personal: Float32Array | null = null;
  /** Ditto's personal model (all parameters), started from the first global model. */
  private ditto: Float32Array | null = null;
  private personalized: NodeSummary['personalized'] = null;
  private personalizationSkipped: string | null = null;
  private personalModel: Float32Array | null = null;
  private readonly encoderState: DeltaEncoderState = newDeltaEncoderState();
  private lastRound = 0;
  private roundsTrained = 0;
  private updatesAccepted = 0;
  private lastEvaluation: NodeSummary['lastEvaluation'] = null;
  private lastBatchSize = 0;
  private lastLearningRate: number | undefined;
  /** The federation noises its aggregate (declared at registration, or seen in a noised round). */
  private aggregateDp = false;
  private readonly traffic: RoundTraffic[] = [];
  /** This node's Ed25519 key for secure aggregation (one per run; its public half is registered). */
  private readonly signing: KeyPair = generateSigningKeyPair();
  /** Secure aggregations this node cannot join (set up before it restarted). */
  private readonly satOut = new Set<string>();
  /** The round's secure aggregation in progress. */
  private secure: {
    readonly round: number;
    readonly session: string;
    readonly client: SecAggClient;
    input: Uint32Array | null;
    readonly before: { sent: number; received: number };
  } | null = null;

  constructor(options: NodeOptions) {
    const p = options.privacy;
    if (p.kind === 'dp') {
      const fn = 'FederatedNode';
      if (!(p.epsilon > 0))
        throw new InvalidParameterError({
          fn,
          param: 'privacy.epsilon',
          value: p.epsilon,
          allowed: 'a number > 0',
        });
      if (!(p.delta > 0 && p.delta < 1))
        throw new InvalidParameterError({
          fn,
          param: 'privacy.delta',
          value: p.delta,
          allowed: 'a number in (0, 1)',
        });
      if (p.noiseMultiplier !== undefined && !(p.noiseMultiplier > 0)) {
        throw new InvalidParameterError({
          fn,
          param: 'privacy.noiseMultiplier',
          value: p.noiseMultiplier,
          allowed: 'a number > 0 for local DP',
        });
      }
      if (p.maxGradNorm !== undefined && !(p.maxGradNorm > 0)) {
        throw new InvalidParameterError({
          fn,
          param: 'privacy.maxGradNorm',
          value: p.maxGradNorm,
          allowed: 'a number > 0',
        });
      }
    }
    const z = options.personalization;
    if (z && z.kind !== 'none') {
      const fn = 'FederatedNode';
      const epochs = z.epochs;
      if (
        z.kind === 'fine-tune'
          ? !(Number.isInteger(epochs) && epochs! >= 1)
          : epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)
      )
        throw new InvalidParameterError({
          fn,
          param: 'personalization.epochs',
          value: epochs,
          allowed: 'an integer >= 1',
        });
      if (z.learningRate !== undefined && !(z.learningRate > 0))
        throw new InvalidParameterError({
          fn,
          param: 'personalization.learningRate',
          value: z.learningRate,
          allowed: 'a number > 0',
        });
      if (z.kind === 'ditto' && !(z.lambda >= 0 && Number.isFinite(z.lambda)))
        throw new InvalidParameterError({
          fn,
          param: 'personalization.lambda',
          value: z.lambda,
          allowed: 'a finite number >= 0',
        });
    }
    this.o = options;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The node's model object (null before registration); its parameters are whatever it last loaded. */
  get currentModel(): SequentialModel | null {
    return this.model;
  }

  /** Runs until the federation finishes, the node leaves (budget), or `signal` aborts. */
  async run(): Promise<NodeSummary> {
    await this.register();
    for (;;) {
      if (this.o.signal?.aborted) return this.summary('stopped', 'aborted', null);
      const before = this.counter();
      const response: GetTaskResponse = await this.call(() =>
        this.o.client.getTask(
          create(GetTaskRequestSchema, { lastRound: this.lastRound, waitMs: this.o.pollWaitMs ?? 20_000 }),
        ),
      );
      const task = response.task;
      switch (task.case) {
        case 'wait':
          await this.sleep(Math.min(task.value.retryAfterMs, 5_000));
          break;
        case 'train': {
          const left = await this.train(task.value, before);
          if (left) return left;
          break;
        }
        case 'evaluate':
          await this.evaluate(task.value);
          break;
        case 'secagg':
          await this.secureStage(task.value);
          break;
        case 'finished': {
          const global = decodeParameters(
            task.value.global,
            flattenParams(this.model!.params).length,
            'finished model',
          );
          this.o.onEvent?.({ kind: 'finished', rounds: task.value.rounds });
          this.personalize(global);
          return this.summary('finished', `federation finished after ${task.value.rounds} rounds`, global);
        }
        default:
          throw new ProtocolError('the coordinator sent an empty task', { stage: 'get-task' });
      }
    }
  }

  /** Registers (again, when the coordinator lost its registry) and builds the model on the first time. */
  private async register(): Promise<void> {
    const reg = await this.call(
      () =>
        this.o.client.register(
          create(RegisterRequestSchema, {
            protocolVersion: PROTOCOL_VERSION,
            numExamples: BigInt(this.recordCount()),
            modelSpecSha256: this.o.expectedModelSha256 ?? '',
            secaggSigningKey: this.signing.publicKey,
            ...(this.o.identity
              ? {
                  secaggKeyCertificate: new Uint8Array(
                    new X509Certificate(this.o.identity.certificatePem).raw,
                  ),
                  secaggKeySignature: signKeyBinding(
                    this.o.identity.privateKeyPem,
                    'secagg',
                    this.signing.publicKey,
                  ),
                }
              : {}),
          }),
        ),
      false,
    );
    if (!reg.accepted) {
      throw new ProtocolError(`the coordinator refused node "${this.o.name}": ${reg.reason}`, {
        stage: 'register',
      });
    }
    if (reg.aggregateDp) this.aggregateDp = true;
    if (this.model) return;
    this.setUp(reg.modelSpecJson, reg.inputShape, reg.numClasses, reg.rounds);
    this.o.onEvent?.({
      kind: 'registered',
      rounds: reg.rounds,
      parameters: flattenParams(this.model!.params).length,
    });
  }

  private counter(): { sent: number; received: number } {
    return { sent: this.o.traffic?.sent ?? 0, received: this.o.traffic?.received ?? 0 };
  }

  /** Retries transport failures (coordinator restarting, network blips) with backoff; re-registers if asked. */
  private async call<T>(fn: () => Promise<T>, reRegister = true): Promise<T> {
    const until = Date.now() + (this.o.reconnectForMs ?? 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (reRegister && isNotRegistered(err) && attempt < 3) {
          await this.register();
          continue;
        }
        if (!isTransient(err) || Date.now() > until || this.o.signal?.aborted) throw err;
        this.o.onEvent?.({ kind: 'retrying', error: (err as Error).message, attempt });
        await this.sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  private setUp(specJson: string, inputShape: readonly number[], numClasses: number, rounds: number): void {
    const shape = [...this.o.train.featureShape];
    if (inputShape.length !== shape.length || inputShape.some((d, i) => d !== shape[i])) {
      throw new ConfigError(
        [
          {
            path: 'train.featureShape',
            value: `[${shape.join(', ')}] (this node's data)`,
            allowed: `the federation's input shape [${inputShape.join(', ')}]`,
          },
        ],
        `node "${this.o.name}"`,
      );
    }
    if (numClasses !== this.o.train.numClasses) {
      throw new ConfigError(
        [
          {
            path: 'train.numClasses',
            value: this.o.train.numClasses,
            allowed: `the federation's ${numClasses} classes`,
          },
        ],
        `node "${this.o.name}"`,
      );
    }
    // The spec comes from the coordinator: its size is checked on shapes before anything is allocated.
    let spec: ReturnType<typeof parseModelSpec>;
    try {
      spec = parseModelSpec(specJson, numClasses, inputShape);
    } catch (err) {
      if (!(err instanceof InvalidParameterError)) throw err;
      throw new ProtocolError(`node "${this.o.name}" refuses the coordinator's model spec: ${err.message}`, {
        stage: 'register',
      });
    }
    this.model = new SequentialModel(spec, inputShape, numClasses, this.o.rng('init'));
    this.rounds = rounds;
    const p = this.o.privacy;
    if (p.kind === 'dp') {
      this.budget = new LocalBudget(
        p.epsilon,
        p.delta,
        this.o.spendStore ?? memorySpendStore(),
        p.accountant ?? 'rdp',
      );
    }
  }

  /** Noise multiplier, fixed at the first training task (planning for the personal model's steps too). */
  private noiseFor(q: number, stepsPerRound: number, stepsAtEnd: number): number {
    const p = this.o.privacy;
    if (p.kind !== 'dp') return 0;
    if (this.sigma > 0) return this.sigma;
    // A restarted node keeps the noise of its earlier rounds (read back from its persisted spends): calibrating
    // afresh for the whole plan would spend the remaining budget too fast.
    const earlier = p.noiseMultiplier === undefined ? sigmaOf(this.budget?.events()[0]) : undefined;
    this.sigma =
      p.noiseMultiplier ??
      earlier ??
      calibrateNoiseMultiplier({
        targetEpsilon: p.epsilon,
        delta: p.delta,
        sampleRate: q,
        steps: stepsPerRound * (p.plannedRounds ?? this.rounds) + stepsAtEnd,
        accountant: p.accountant ?? 'rdp',
      }).noiseMultiplier;
    return this.sigma;
  }

  private maskFor(localLayers: readonly number[]): Uint8Array | null {
    if (localLayers.length === 0) return null;
    const model = this.model!;
    const sizes = paramSizes(model.params);
    const mask = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    model.layers.forEach((layer, li) => {
      for (const p of layer.params) {
        if (localLayers.includes(li)) mask.fill(1, offset, offset + p.value.length);
        offset += p.value.length;
      }
    });
    return mask;
  }

  /** Loads `global` into the model, keeping the personal (local-layer) parameters. */
  private loadGlobal(global: Float32Array): void {
    const v = Float32Array.from(global);
    if (this.localMask && this.personal) {
      for (let i = 0; i < v.length; i++) if (this.localMask[i]) v[i] = this.personal[i]!;
    }
    loadParams(this.model!.params, v);
  }

  private async train(
    task: TrainTask,
    before: { sent: number; received: number },
  ): Promise<NodeSummary | null> {
    if (task.secagg && (await this.sitsOut(task.round, task.secagg))) return null;
    if (this.o.requireSecureAggregation && (await this.refusesRound(task))) return null;
    // Distributed DP noise in this round: the federation protects the aggregate, whatever it declared.
    if (task.secagg && task.secagg.noiseSigma > 0) this.aggregateDp = true;
    const model = this.model!;
    const n = this.recordCount();
    const size = flattenParams(model.params).length;
    const global = decodeParameters(task.global, size, `round ${task.round} model`);
    const cfg = task.config;
    if (
      !cfg ||
      cfg.localEpochs < 1 ||
      cfg.batchSize < 1 ||
      !(cfg.learningRate > 0) ||
      !(cfg.momentum >= 0 && cfg.momentum < 1) ||
      !(cfg.proximalMu >= 0)
    ) {
      throw new ProtocolError(`round ${task.round}: invalid training configuration`, { stage: 'train' });
    }
    if (cfg.localLayers.some((l) => l >= model.layers.length)) {
      throw new ProtocolError(`round ${task.round}: local layer index out of range`, { stage: 'train' });
    }
    this.localMask = this.maskFor(cfg.localLayers);
    this.loadGlobal(global);
    const batchSize = Math.min(cfg.batchSize, n);
    const q = batchSize / n;
    const dp = this.o.privacy.kind === 'dp' ? this.o.privacy : null;
    let epsilon: number | null = null;
    const z = this.o.personalization;
    const dittoEpochs = z?.kind === 'ditto' ? (z.epochs ?? cfg.localEpochs) : 0;
    const stepsPerEpoch = Math.max(1, Math.round(1 / q));
    if (dp) {
      // The round's DP-SGD steps: the shared model's, plus Ditto's personal model's (same q and sigma, so one
      // event with the summed steps is exactly their composition).
      const steps = (cfg.localEpochs + dittoEpochs) * stepsPerEpoch;
      const fineTuneSteps = z?.kind === 'fine-tune' ? z.epochs * stepsPerEpoch : 0;
      const sigma = this.noiseFor(q, steps, fineTuneSteps);
      try {
        epsilon = this.budget!.charge(dpSgdEvent({ sampleRate: q, noiseMultiplier: sigma, steps }));
      } catch (err) {
        if (!(err instanceof BudgetExceededError)) throw err;
        const reason = `local privacy budget exhausted before round ${task.round}: ${err.message}`;
        await this.call(() => this.o.client.leave(create(LeaveRequestSchema, { reason })));
        this.o.onEvent?.({ kind: 'left', reason });
        return this.summary('left', reason, null);
      }
    }
    const anchor = cfg.proximalMu > 0 ? model.params.map((p) => Float32Array.from(p.value)) : null;
    const rng = this.o.rng(`round/${task.round}/train`);
    const result = trainModel({
      model,
      train: this.o.train,
      epochs: cfg.localEpochs,
      batchSize,
      optimizer: { kind: 'sgd', learningRate: cfg.learningRate, momentum: cfg.momentum },
      ...this.privacyOptions(),
      ...(anchor ? { proximal: { mu: cfg.proximalMu, anchor } } : {}),
      rng,
    });
    this.lastBatchSize = batchSize;
    this.lastLearningRate = cfg.learningRate;
    const local = flattenParams(model.params);
    let delta: Float32Array = new Float32Array(size);
    for (let i = 0; i < size; i++) delta[i] = local[i]! - global[i]!;
    if (this.localMask) {
      this.personal = local;
      for (let i = 0; i < size; i++) if (this.localMask[i]) delta[i] = 0;
    }
    if (z?.kind === 'ditto') this.trainDitto(z, global, cfg, batchSize, task.round);
    if (this.o.tamper) delta = this.o.tamper(delta, task.round, this.o.rng(`round/${task.round}/tamper`));
    const loss = result.epochs[result.epochs.length - 1]?.trainLoss ?? Number.NaN;
    if (task.secagg) {
      await this.advertise(task, task.secagg, delta, loss, epsilon, before);
      return null;
    }
    const encoded = encodeDelta(
      delta,
      cfg.compression,
      this.encoderState,
      this.o.rng(`round/${task.round}/compress`),
    );
    const response = await this.call(() =>
      this.o.client.submitUpdate(
        create(SubmitUpdateRequestSchema, {
          round: task.round,
          update: toUpdateMessage(encoded),
          numExamples: BigInt(this.recordCount()),
          // NaN = withheld (the coordinator leaves it out of the round's mean loss)
          trainLoss: this.releasesMetrics() && Number.isFinite(loss) ? loss : Number.NaN,
          localEpsilon: epsilon ?? 0,
          localDelta: dp?.delta ?? 0,
        }),
      ),
    );
    this.lastRound = task.round;
    this.roundsTrained++;
    if (response.accepted) this.updatesAccepted++;
    const after = this.counter();
    const t = {
      round: task.round,
      sent: after.sent - before.sent,
      received: after.received - before.received,
    };
    this.traffic.push(t);
    this.o.onEvent?.({
      kind: 'trained',
      round: task.round,
      loss,
      epsilon,
      accepted: response.accepted,
      reason: response.reason,
      uploadBytes: t.sent,
      downloadBytes: t.received,
    });
    return null;
  }

  /**
   * Secure aggregation after local training: the delta is clipped, encoded in fixed point (with this node's
   * share of the distributed noise), and kept here; only the signed key advertisement goes out now.
   */
  private async advertise(
    task: TrainTask,
    setup: SecAggSetup,
    delta: Float32Array,
    loss: number,
    epsilon: number | null,
    before: { sent: number; received: number },
  ): Promise<void> {
    const round = task.round;
    // sitsOut checked the setup (setupProblem) before training; a failure left here is sat out, never fatal.
    const refuse = (why: string): void => {
      this.satOut.add(setup.session);
      this.o.onEvent?.({
        kind: 'secagg-refused',
        round,
        reason: `invalid secure aggregation setup: ${why}; sitting the round out`,
      });
    };
    const me = this.ownPeer(setup)!;
    const peers = new Map<string, Uint8Array>();
    for (const p of setup.peers) if (p !== me) peers.set(p.node, p.signingKey);
    // One stream per session: a round drawn again (new session) gets fresh keys, seeds and shares even from a
    // seeded rng, so no secret of one attempt is reused in another.
    const rng = this.o.rng(`round/${round}/secagg/${setup.session}`);
    let client: SecAggClient;
    let input: Uint32Array;
    try {
      input = encodeClipped(delta, planFromSetup(setup, delta.length)!, rng);
      if (setup.noiseSigma > 0) addDiscreteGaussianNoise(input, setup.noiseSigma, rng);
      client = new SecAggClient({
        id: me.node,
        session: setup.session,
        threshold: setup.threshold,
        signingKey: this.signing.privateKey,
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
    const dp = this.o.privacy.kind === 'dp' ? this.o.privacy : null;
    const response = await this.call(() =>
      this.o.client.submitSecAgg(
        create(SubmitSecAggRequestSchema, {
          round,
          session: setup.session,
          message: {
            case: 'advertise',
            value: {
              encryptionKey: ad.encryptionKey,
              maskKey: ad.maskKey,
              signature: ad.signature,
              numExamples: BigInt(this.recordCount()),
              trainLoss: this.releasesMetrics() && Number.isFinite(loss) ? loss : Number.NaN,
              localEpsilon: epsilon ?? 0,
              localDelta: dp?.delta ?? 0,
            },
          },
        }),
      ),
    );
    this.lastRound = round;
    this.roundsTrained++;
    if (!response.accepted) this.secure = null;
    const after = this.counter();
    this.o.onEvent?.({
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
   * Why a secure aggregation setup is unacceptable, or null. Whatever `requireSecureAggregation` says, the
   * threshold must be a strict majority of this node's neighbourhood of at least 3 nodes (the rule its
   * SecAggClient applies again at share-keys): otherwise a coordinator showing two survivor lists could rebuild
   * both of this node's secrets and unmask its update.
   */
  private setupProblem(setup: SecAggSetup, dimension: number): string | null {
    if (!this.ownPeer(setup)) return 'this node is not among its peers';
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

  /** This node's entry among a setup's peers (found by its signing key), or undefined. */
  private ownPeer(setup: SecAggSetup): SecAggSetup['peers'][number] | undefined {
    return setup.peers.find(
      (p) => p.signingKey.length === 32 && constantTimeEqual(p.signingKey, this.signing.publicKey),
    );
  }

  /**
   * Whether this node sits out a secure round, deciding before it trains: one set up with the key of an earlier
   * run of this node (it restarted) cannot be joined, and an invalid setup (see {@link setupProblem}) or a peer
   * key not bound to a node certificate is refused. The node says so once (event `secagg-refused`) and waits for
   * the next round without training; it never stops over a setup.
   */
  private async sitsOut(round: number, setup: SecAggSetup): Promise<boolean> {
    if (this.satOut.has(setup.session)) {
      await this.sleep(1_000);
      return true;
    }
    const me = this.ownPeer(setup);
    let reason: string | null = me
      ? null
      : 'the round was set up with another signing key of this node (it restarted); sitting it out';
    if (!reason) {
      const problem = this.setupProblem(setup, this.model!.parameterCount);
      if (problem) reason = `invalid secure aggregation setup: ${problem}; sitting the round out`;
    }
    const identity = this.o.identity;
    if (!reason && identity) {
      for (const p of setup.peers) {
        if (p === me) continue;
        const why = verifyKeyBinding({
          caPem: identity.caPem,
          certificateDer: p.certificate,
          expectedName: p.node,
          purpose: 'secagg',
          publicKey: p.signingKey,
          signature: p.keySignature,
        });
        if (why) {
          reason = `the signing key of peer "${p.node}" is not bound to its certificate (${why}); sitting the round out`;
          break;
        }
      }
    }
    if (!reason) return false;
    this.satOut.add(setup.session);
    this.o.onEvent?.({ kind: 'secagg-refused', round, reason });
    return true;
  }

  /**
   * Under `requireSecureAggregation`: whether this node refuses the round (a plain update asked for, or a
   * threshold below its minimum). It says so once per round and then waits, never training for it.
   */
  private async refusesRound(task: TrainTask): Promise<boolean> {
    const min = this.o.requireSecureAggregation?.minThreshold ?? 2;
    const key = `refused/${task.round}/${task.secagg?.session ?? 'plain'}`;
    if (this.satOut.has(key)) {
      await this.sleep(1_000);
      return true;
    }
    const reason = !task.secagg
      ? 'this node requires secure aggregation and the round asks for a plain update'
      : task.secagg.threshold < min
        ? `this node requires a secure aggregation threshold of at least ${min} (the round's is ${task.secagg.threshold})`
        : null;
    if (!reason) return false;
    this.satOut.add(key);
    this.o.onEvent?.({ kind: 'secagg-refused', round: task.round, reason });
    return true;
  }

  /** One stage of the round's secure aggregation. */
  private async secureStage(task: SecAggTask): Promise<void> {
    const st = this.secure;
    if (!st || st.session !== task.session || st.round !== task.round) {
      // A stage of an aggregation this node holds no state for (it restarted, or refused earlier): sit it out.
      await this.sleep(1_000);
      return;
    }
    const s = task.stage;
    const names = {
      shareKeys: 'share-keys',
      maskedInput: 'masked-input',
      consistency: 'consistency',
      unmask: 'unmask',
    } as const;
    if (s.case && this.o.secaggDropout?.(st.session) === names[s.case]) {
      this.secure = null;
      return;
    }
    let stage: 'share-keys' | 'masked-input' | 'consistency' | 'unmask';
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
      this.o.onEvent?.({ kind: 'secagg-refused', round: st.round, reason: err.message });
      return;
    }
    const response = await this.call(() =>
      this.o.client.submitSecAgg(
        create(SubmitSecAggRequestSchema, { round: st.round, session: st.session, message }),
      ),
    );
    this.o.onEvent?.({
      kind: 'secagg-stage',
      round: st.round,
      stage,
      accepted: response.accepted,
      reason: response.reason,
    });
    if (stage === 'unmask' || !response.accepted) {
      this.secure = null;
      const after = this.counter();
      if (response.accepted) {
        this.updatesAccepted++;
        this.traffic.push({
          round: st.round,
          sent: after.sent - st.before.sent,
          received: after.received - st.before.received,
        });
      }
    }
  }

  /**
   * Unnoised metrics (training loss, evaluation accuracy and loss) are functions of the node's data outside every
   * epsilon: by default they go out only when nothing in the federation claims DP — no local DP here, no central
   * or distributed DP on the aggregate (as the coordinator declares it, or as a noised round shows it).
   */
  private releasesMetrics(): boolean {
    return this.o.releaseMetrics ?? (this.o.privacy.kind !== 'dp' && !this.aggregateDp);
  }

  /**
   * The record count the node discloses (registration, updates, advertisements) and DP-SGD's sampling rate and
   * steps derive from: the declared public size under local DP — the actual count would be a release outside
   * epsilon — and the actual count otherwise.
   */
  private recordCount(): number {
    return this.o.privacy.kind === 'dp' ? this.o.privacy.publicSize : this.o.train.numExamples;
  }

  /** Local DP-SGD options shared by the shared model's and the personal model's training. */
  private privacyOptions(): Pick<
    Parameters<typeof trainModel>[0],
    'privacy' | 'clipping' | 'maxPhysicalBatch' | 'publicSize'
  > {
    const dp = this.o.privacy.kind === 'dp' ? this.o.privacy : null;
    return {
      ...(dp ? { publicSize: dp.publicSize } : {}),
      privacy: dp ? { kind: 'dp', delta: dp.delta, noiseMultiplier: this.sigma } : { kind: 'non-private' },
      ...(dp ? { clipping: { kind: 'flat' as const, maxGradNorm: dp.maxGradNorm ?? 1 } } : {}),
      ...(this.o.maxPhysicalBatch ? { maxPhysicalBatch: this.o.maxPhysicalBatch } : {}),
    };
  }

  /** One round of Ditto: the personal model takes its steps toward this round's global model (charged above). */
  private trainDitto(
    z: Extract<PersonalizationSpec, { kind: 'ditto' }>,
    global: Float32Array,
    cfg: NonNullable<TrainTask['config']>,
    batchSize: number,
    round: number,
  ): void {
    const model = this.model!;
    const shared = flattenParams(model.params);
    this.loadGlobal(global);
    const anchor = model.params.map((p) => Float32Array.from(p.value));
    if (this.ditto) loadParams(model.params, this.ditto);
    trainModel({
      model,
      train: this.o.train,
      epochs: z.epochs ?? cfg.localEpochs,
      batchSize,
      optimizer: { kind: 'sgd', learningRate: z.learningRate ?? cfg.learningRate, momentum: cfg.momentum },
      ...this.privacyOptions(),
      ...(z.lambda > 0 ? { proximal: { mu: z.lambda, anchor } } : {}),
      rng: this.o.rng(`round/${round}/ditto`),
    });
    this.ditto = flattenParams(model.params);
    loadParams(model.params, shared);
  }

  /** At the end: fine-tunes from the final global model, or evaluates Ditto's personal model. */
  private personalize(global: Float32Array): void {
    const z = this.o.personalization;
    if (!z || z.kind === 'none' || !this.model) return;
    const model = this.model;
    const data = this.o.test ?? this.o.train;
    this.loadGlobal(global);
    const before = evaluateModel(model, data);
    let epsilon: number | null = null;
    if (z.kind === 'ditto') {
      if (!this.ditto) {
        this.personalizationSkipped = 'the node trained in no round, so it has no Ditto model';
        return;
      }
      loadParams(model.params, this.ditto);
    } else {
      const n = this.recordCount();
      const batchSize = Math.min(this.lastBatchSize || 32, n);
      const q = batchSize / n;
      const dp = this.o.privacy.kind === 'dp' ? this.o.privacy : null;
      if (dp) {
        if (!(this.sigma > 0)) {
          this.personalizationSkipped = 'the node trained in no round, so no noise was calibrated';
          return;
        }
        const steps = z.epochs * Math.max(1, Math.round(1 / q));
        try {
          epsilon = this.budget!.charge(dpSgdEvent({ sampleRate: q, noiseMultiplier: this.sigma, steps }));
        } catch (err) {
          if (!(err instanceof BudgetExceededError)) throw err;
          this.personalizationSkipped = `fine-tuning skipped: ${err.message}`;
          return;
        }
      }
      trainModel({
        model,
        train: this.o.train,
        epochs: z.epochs,
        batchSize,
        optimizer: { kind: 'sgd', learningRate: z.learningRate ?? this.lastLearningRate ?? 0.1 },
        ...this.privacyOptions(),
        rng: this.o.rng('fine-tune'),
      });
    }
    const after = evaluateModel(model, data);
    this.personalModel = flattenParams(model.params);
    this.personalized = {
      method: z.kind,
      accuracy: after.accuracy,
      loss: after.loss,
      globalAccuracy: before.accuracy,
      globalLoss: before.loss,
    };
    this.o.onEvent?.({
      kind: 'personalized',
      method: z.kind,
      accuracy: after.accuracy,
      loss: after.loss,
      epsilon,
    });
    this.loadGlobal(global);
  }

  private async evaluate(task: EvaluateTask): Promise<void> {
    const model = this.model!;
    const global = decodeParameters(
      task.global,
      flattenParams(model.params).length,
      `round ${task.round} model`,
    );
    this.loadGlobal(global);
    const data = this.o.test ?? this.o.train;
    const { accuracy, loss } = evaluateModel(model, data);
    const release = this.releasesMetrics();
    // numExamples 0 declines: the coordinator counts the node as answered, with no result
    const answer = await this.call(() =>
      this.o.client.submitEvaluation(
        create(SubmitEvaluationRequestSchema, {
          round: task.round,
          numExamples: release ? BigInt(data.numExamples) : 0n,
          loss: release ? loss : 0,
          accuracy: release ? accuracy : 0,
        }),
      ),
    );
    this.lastEvaluation = { round: task.round, accuracy, loss };
    this.o.onEvent?.({
      kind: 'evaluated',
      round: task.round,
      accuracy,
      loss,
      released: release,
      accepted: answer.accepted,
    });
  }

  private summary(
    status: NodeSummary['status'],
    reason: string,
    finalGlobal: Float32Array | null,
  ): NodeSummary {
    const dp = this.o.privacy.kind === 'dp' ? this.o.privacy : null;
    return {
      name: this.o.name,
      status,
      reason,
      roundsTrained: this.roundsTrained,
      updatesAccepted: this.updatesAccepted,
      localPrivacy:
        dp && this.budget
          ? {
              epsilonSpent: this.budget.spent(),
              epsilonBudget: dp.epsilon,
              delta: dp.delta,
              noiseMultiplier: this.sigma,
              events: this.budget.events(),
            }
          : null,
      lastEvaluation: this.lastEvaluation,
      personalized: this.personalized,
      personalizationSkipped: this.personalizationSkipped,
      personalModel: this.personalModel,
      finalGlobal,
      traffic: this.traffic,
    };
  }
}
