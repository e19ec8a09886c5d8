/**
 * A federated node: the organisation's side of the protocol, next to its data. It registers, long-polls for
 * work, trains locally (DP-SGD under its own budget, or plainly), returns its update (new parameters minus the
 * global ones, compressed as the coordinator asks), evaluates global models on its own test data, and keeps
 * its personal layers (FedPer) to itself. Raw records never leave it: only model updates and aggregate metrics.
 *
 * Local DP: the node's budget (epsilon, delta) covers everything it ever sends. Each round's DP-SGD event is
 * charged and persisted once, before the round's update first leaves the node (privacy.ts says when a spend is
 * owed); a round the budget cannot pay for is not trained, and the node leaves the federation saying why. The noise multiplier is fixed at the start (given, or calibrated so
 * that taking part in every planned round spends exactly the budget).
 *
 * This class runs the protocol and composes the parts that do the work: local training and personalisation
 * (training.ts), local privacy — the budget, its charges, the noise calibration (privacy.ts) — the secure
 * aggregation client (secure-client.ts), the signing key and its certificate binding (key-binding.ts) and the
 * retrying link to the coordinator (link.ts).
 */
import { createHash } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { BudgetExceededError, ProtocolError, printable } from '../../core/index.js';
import type { SequentialModel } from '../../ml/index.js';
import {
  type EvaluateTask,
  GetTaskRequestSchema,
  type GetTaskResponse,
  LeaveRequestSchema,
  RegisterRequestSchema,
  SubmitEvaluationRequestSchema,
  SubmitUpdateRequestSchema,
  TrainConfigSchema,
  type TrainTask,
} from '../../transport/index.js';
import {
  type DeltaEncoderState,
  encodeDelta,
  flattenParams,
  newDeltaEncoderState,
  PROTOCOL_VERSION,
  toUpdateMessage,
} from '../protocol/index.js';
import { NodeSigningKey } from './key-binding.js';
import { CoordinatorLink, type TrafficCount } from './link.js';
import { checkNodeOptions, type NodeOptions } from './options.js';
import { NodePrivacy } from './privacy.js';
import type { NodeProgress, NodeSummary } from './records.js';
import { SecureRoundClient } from './secure-client.js';
import { buildModel, LocalTrainer, type RoundPlan } from './training.js';

/**
 * What makes a redrawn round the same round for this node: its number, the global model and the training
 * configuration. The same key gets the same update (see privacy.ts: no second charge).
 */
function roundKey(plan: RoundPlan): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(plan.global.buffer, plan.global.byteOffset, plan.global.byteLength));
  h.update(toBinary(TrainConfigSchema, plan.config));
  h.update(JSON.stringify([plan.round, plan.batchSize, plan.steps]));
  return h.digest('hex');
}

/** A federated node. `await new FederatedNode(options).run()`. */
export class FederatedNode {
  private readonly o: NodeOptions;
  private readonly link: CoordinatorLink;
  private readonly privacy: NodePrivacy;
  private readonly signing: NodeSigningKey;
  private readonly secure: SecureRoundClient;
  /** The model and its training (null before registration). */
  private trainer: LocalTrainer | null = null;
  private readonly encoderState: DeltaEncoderState = newDeltaEncoderState();
  private readonly progress: NodeProgress = {
    lastRound: 0,
    roundsTrained: 0,
    updatesAccepted: 0,
    traffic: [],
  };
  private lastEvaluation: NodeSummary['lastEvaluation'] = null;
  /** The last round's trained (noised) update, kept to be sent again if that round is drawn again. */
  private trained: { round: number; key: string; delta: Float32Array; loss: number } | null = null;

  constructor(options: NodeOptions) {
    checkNodeOptions(options);
    this.o = options;
    this.link = new CoordinatorLink(options, () => this.register());
    this.privacy = new NodePrivacy(options);
    this.signing = new NodeSigningKey(options.identity);
    this.secure = new SecureRoundClient({
      o: options,
      link: this.link,
      signing: this.signing,
      privacy: this.privacy,
      progress: this.progress,
    });
  }

  /** The node's model object (null before registration); its parameters are whatever it last loaded. */
  get currentModel(): SequentialModel | null {
    return this.trainer?.model ?? null;
  }

  /** Runs until the federation finishes, the node leaves (budget), or `signal` aborts. */
  async run(): Promise<NodeSummary> {
    await this.register();
    for (;;) {
      if (this.o.signal?.aborted) return this.summary('stopped', 'aborted', null);
      const before = this.link.counter();
      const response: GetTaskResponse = await this.link.call(() =>
        this.o.client.getTask(
          create(GetTaskRequestSchema, {
            lastRound: this.progress.lastRound,
            waitMs: this.o.pollWaitMs ?? 20_000,
          }),
        ),
      );
      const task = response.task;
      switch (task.case) {
        case 'wait':
          await this.link.sleep(Math.min(task.value.retryAfterMs, 5_000));
          break;
        case 'train': {
          const left = await this.train(task.value, before);
          if (left) return left;
          break;
        }
        case 'evaluate':
          await this.evaluate(task.value);
          break;
        case 'secagg': {
          const refused = await this.secure.stage(task.value);
          if (refused) return this.leave(refused);
          break;
        }
        case 'finished': {
          const global = this.trainer!.decodeGlobal(task.value.global, 'finished model');
          this.o.onEvent?.({ kind: 'finished', rounds: task.value.rounds });
          await this.trainer!.personalize(global);
          return this.summary('finished', `federation finished after ${task.value.rounds} rounds`, global);
        }
        default:
          throw new ProtocolError('the coordinator sent an empty task', { stage: 'get-task' });
      }
    }
  }

  /** Registers (again, when the coordinator lost its registry) and builds the model on the first time. */
  private async register(): Promise<void> {
    const reg = await this.link.call(
      () =>
        this.o.client.register(
          create(RegisterRequestSchema, {
            protocolVersion: PROTOCOL_VERSION,
            numExamples: BigInt(this.privacy.recordCount()),
            modelSpecSha256: this.o.expectedModelSha256 ?? '',
            ...this.signing.registration(),
          }),
        ),
      false,
    );
    if (!reg.accepted) {
      throw new ProtocolError(`the coordinator refused node "${this.o.name}": ${reg.reason}`, {
        stage: 'register',
      });
    }
    if (reg.aggregateDp) this.privacy.aggregateDp = true;
    if (this.trainer) return;
    const model = buildModel(this.o, reg.modelSpecJson, reg.inputShape, reg.numClasses);
    this.trainer = new LocalTrainer(this.o, this.privacy, model);
    await this.privacy.open(reg.rounds);
    this.o.onEvent?.({
      kind: 'registered',
      rounds: reg.rounds,
      parameters: flattenParams(model.params).length,
    });
  }

  /**
   * A training task: sits it out, or plans its privacy, trains (or takes the update it already trained for this
   * round and this global model, when the round is drawn again), charges on the update's first release and sends
   * it; a summary if the node left.
   */
  private async train(task: TrainTask, before: TrafficCount): Promise<NodeSummary | null> {
    const trainer = this.trainer!;
    if (task.secagg && (await this.secure.sitsOut(task.round, task.secagg, trainer.model.parameterCount)))
      return null;
    if (this.o.requireSecureAggregation && (await this.secure.refusesRound(task))) return null;
    // Distributed DP noise in this round: the federation protects the aggregate, whatever it declared.
    if (task.secagg && task.secagg.noiseSigma > 0) this.privacy.aggregateDp = true;
    const plan = trainer.prepare(task);
    const key = roundKey(plan);
    let trained = this.trained?.round === task.round && this.trained.key === key ? this.trained : null;
    let epsilon: number | null;
    try {
      // The round's DP-SGD steps: the shared model's, plus Ditto's personal model's (same sampling rate and
      // noise multiplier, so one event with the summed steps is exactly their composition).
      epsilon = await this.privacy.planRound(task.round, plan.sampleRate, plan.steps, plan.stepsAtEnd);
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      return this.leave(`local privacy budget exhausted before round ${task.round}: ${err.message}`);
    }
    if (!trained) {
      const out = trainer.train(plan);
      let delta = out.delta;
      if (this.o.tamper) delta = this.o.tamper(delta, task.round, this.o.rng(`round/${task.round}/tamper`));
      trained = { round: task.round, key, delta, loss: out.loss };
      this.trained = trained;
    }
    const { delta, loss } = trained;
    if (task.secagg) {
      // charged at the masked input, the update's first release (secure-client.ts)
      await this.secure.advertise(task, task.secagg, delta, loss, epsilon, before);
      return null;
    }
    try {
      epsilon = await this.privacy.chargeRelease(task.round);
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      return this.leave(`local privacy budget exhausted at round ${task.round}: ${err.message}`);
    }
    const encoded = encodeDelta(
      delta,
      plan.config.compression,
      this.encoderState,
      this.o.rng(`round/${task.round}/compress`),
    );
    const response = await this.link.call(() =>
      this.o.client.submitUpdate(
        create(SubmitUpdateRequestSchema, {
          round: task.round,
          update: toUpdateMessage(encoded),
          numExamples: BigInt(this.privacy.recordCount()),
          // NaN = withheld (the coordinator leaves it out of the round's mean loss)
          trainLoss: this.privacy.releasesMetrics() && Number.isFinite(loss) ? loss : Number.NaN,
          localEpsilon: epsilon ?? 0,
          localDelta: this.privacy.reportedDelta(),
        }),
      ),
    );
    if (this.progress.lastRound !== task.round) this.progress.roundsTrained++;
    this.progress.lastRound = task.round;
    if (response.accepted) this.progress.updatesAccepted++;
    const after = this.link.counter();
    const t = {
      round: task.round,
      sent: after.sent - before.sent,
      received: after.received - before.received,
    };
    this.progress.traffic.push(t);
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

  /** Leaves the federation saying why (the budget cannot pay for the next release). */
  private async leave(reason: string): Promise<NodeSummary> {
    await this.link.call(() => this.o.client.leave(create(LeaveRequestSchema, { reason })));
    this.o.onEvent?.({ kind: 'left', reason });
    return this.summary('left', reason, null);
  }

  private async evaluate(task: EvaluateTask): Promise<void> {
    const trainer = this.trainer!;
    const global = trainer.decodeGlobal(task.global, `round ${task.round} model`);
    const { accuracy, loss, examples } = trainer.evaluate(global);
    const release = this.privacy.releasesMetrics();
    // numExamples 0 declines: the coordinator counts the node as answered, with no result
    const answer = await this.link.call(() =>
      this.o.client.submitEvaluation(
        create(SubmitEvaluationRequestSchema, {
          round: task.round,
          numExamples: release ? BigInt(examples) : 0n,
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
      reason: printable(answer.reason),
    });
  }

  private summary(
    status: NodeSummary['status'],
    reason: string,
    finalGlobal: Float32Array | null,
  ): NodeSummary {
    const t = this.trainer;
    return {
      name: this.o.name,
      status,
      reason,
      roundsTrained: this.progress.roundsTrained,
      updatesAccepted: this.progress.updatesAccepted,
      localPrivacy: this.privacy.summary(),
      lastEvaluation: this.lastEvaluation,
      personalized: t?.personalized ?? null,
      personalizationSkipped: t?.personalizationSkipped ?? null,
      personalModel: t?.personalModel ?? null,
      finalGlobal,
      traffic: this.progress.traffic,
    };
  }
}
