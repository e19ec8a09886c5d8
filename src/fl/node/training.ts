/**
 * A node's local training on its own data: building the federation's model, each round's local training from
 * the global model (keeping FedPer personal layers to itself), the personal model (Ditto's each round, or
 * fine-tuning at the end) and the evaluation of global models. What it costs in privacy is charged by
 * {@link NodePrivacy} between {@link LocalTrainer.prepare} and {@link LocalTrainer.train}.
 */
import { BudgetExceededError, ConfigError, InvalidParameterError, ProtocolError } from '../../core/index.js';
import { parseModelSpec, SequentialModel } from '../../ml/index.js';
import { evaluateModel, trainModel } from '../../train/index.js';
import type { TrainTask } from '../../transport/index.js';
import { decodeParameters, flattenParams, loadParams, paramSizes } from '../protocol/index.js';
import type { NodeOptions, PersonalizationSpec } from './options.js';
import type { NodePrivacy } from './privacy.js';
import type { NodeSummary } from './records.js';

type TrainConfig = NonNullable<TrainTask['config']>;

/**
 * Builds the federation's model on this node, after checking it fits the node's data.
 * @throws {ConfigError} when the node's data has another shape or class count
 * @throws {ProtocolError} when the coordinator's model spec is refused
 */
export function buildModel(
  o: NodeOptions,
  specJson: string,
  inputShape: readonly number[],
  numClasses: number,
): SequentialModel {
  const shape = [...o.train.featureShape];
  if (inputShape.length !== shape.length || inputShape.some((d, i) => d !== shape[i])) {
    throw new ConfigError(
      [
        {
          path: 'train.featureShape',
          value: `[${shape.join(', ')}] (this node's data)`,
          allowed: `the federation's input shape [${inputShape.join(', ')}]`,
        },
      ],
      `node "${o.name}"`,
    );
  }
  if (numClasses !== o.train.numClasses) {
    throw new ConfigError(
      [
        {
          path: 'train.numClasses',
          value: o.train.numClasses,
          allowed: `the federation's ${numClasses} classes`,
        },
      ],
      `node "${o.name}"`,
    );
  }
  // The spec comes from the coordinator: its size is checked on shapes before anything is allocated.
  let spec: ReturnType<typeof parseModelSpec>;
  try {
    spec = parseModelSpec(specJson, numClasses, inputShape);
  } catch (err) {
    if (!(err instanceof InvalidParameterError)) throw err;
    throw new ProtocolError(`node "${o.name}" refuses the coordinator's model spec: ${err.message}`, {
      stage: 'register',
    });
  }
  return new SequentialModel(spec, inputShape, numClasses, o.rng('init'));
}

/** A round's local training, planned from its task before the privacy it costs is charged. */
export interface RoundPlan {
  readonly round: number;
  readonly global: Float32Array;
  readonly config: TrainConfig;
  readonly batchSize: number;
  readonly sampleRate: number;
  /** DP-SGD steps of the round: the shared model's plus Ditto's personal model's (same rate and noise). */
  readonly steps: number;
  /** DP-SGD steps planned after the last round (fine-tuning), for the noise calibration. */
  readonly stepsAtEnd: number;
}

/** The node's model and its training. */
export class LocalTrainer {
  private localMask: Uint8Array | null = null;
  private personal: Float32Array | null = null;
  /** Ditto's personal model (all parameters), started from the first global model. */
  private ditto: Float32Array | null = null;
  private lastBatchSize = 0;
  private lastLearningRate: number | undefined;
  personalized: NodeSummary['personalized'] = null;
  personalizationSkipped: string | null = null;
  personalModel: Float32Array | null = null;

  constructor(
    private readonly o: NodeOptions,
    private readonly privacy: NodePrivacy,
    readonly model: SequentialModel,
  ) {}

  /** Decodes a global model the coordinator sent (`what` names it in errors). */
  decodeGlobal(message: TrainTask['global'], what: string): Float32Array {
    return decodeParameters(message, flattenParams(this.model.params).length, what);
  }

  /**
   * Checks a training task and loads its global model (keeping the personal layers): the plan of the round.
   * @throws {ProtocolError} for an invalid model or training configuration
   */
  prepare(task: TrainTask): RoundPlan {
    const model = this.model;
    const n = this.privacy.recordCount();
    const global = this.decodeGlobal(task.global, `round ${task.round} model`);
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
    const z = this.o.personalization;
    const dittoEpochs = z?.kind === 'ditto' ? (z.epochs ?? cfg.localEpochs) : 0;
    const stepsPerEpoch = Math.max(1, Math.round(1 / q));
    return {
      round: task.round,
      global,
      config: cfg,
      batchSize,
      sampleRate: q,
      steps: (cfg.localEpochs + dittoEpochs) * stepsPerEpoch,
      stepsAtEnd: z?.kind === 'fine-tune' ? z.epochs * stepsPerEpoch : 0,
    };
  }

  /** Trains the round (and Ditto's personal model); returns the update (local minus global) and the loss. */
  train(plan: RoundPlan): { delta: Float32Array; loss: number } {
    const model = this.model;
    const { config: cfg, global, batchSize } = plan;
    const anchor = cfg.proximalMu > 0 ? model.params.map((p) => Float32Array.from(p.value)) : null;
    const rng = this.o.rng(`round/${plan.round}/train`);
    const result = trainModel({
      model,
      train: this.o.train,
      epochs: cfg.localEpochs,
      batchSize,
      optimizer: { kind: 'sgd', learningRate: cfg.learningRate, momentum: cfg.momentum },
      ...this.privacy.trainingOptions(),
      ...(anchor ? { proximal: { mu: cfg.proximalMu, anchor } } : {}),
      rng,
    });
    this.lastBatchSize = batchSize;
    this.lastLearningRate = cfg.learningRate;
    const local = flattenParams(model.params);
    const size = global.length;
    const delta = new Float32Array(size);
    for (let i = 0; i < size; i++) delta[i] = local[i]! - global[i]!;
    if (this.localMask) {
      this.personal = local;
      for (let i = 0; i < size; i++) if (this.localMask[i]) delta[i] = 0;
    }
    const z = this.o.personalization;
    if (z?.kind === 'ditto') this.trainDitto(z, global, cfg, batchSize, plan.round);
    return { delta, loss: result.epochs[result.epochs.length - 1]?.trainLoss ?? Number.NaN };
  }

  /** Evaluates a global model (with the personal layers) on the node's test data. */
  evaluate(global: Float32Array): { accuracy: number; loss: number; examples: number } {
    this.loadGlobal(global);
    const data = this.o.test ?? this.o.train;
    const { accuracy, loss } = evaluateModel(this.model, data);
    return { accuracy, loss, examples: data.numExamples };
  }

  /** At the end: fine-tunes from the final global model, or evaluates Ditto's personal model. */
  async personalize(global: Float32Array): Promise<void> {
    const z = this.o.personalization;
    if (!z || z.kind === 'none') return;
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
      const n = this.privacy.recordCount();
      const batchSize = Math.min(this.lastBatchSize || 32, n);
      const q = batchSize / n;
      if (this.privacy.dp) {
        if (!this.privacy.calibrated) {
          this.personalizationSkipped = 'the node trained in no round, so no noise was calibrated';
          return;
        }
        const steps = z.epochs * Math.max(1, Math.round(1 / q));
        try {
          epsilon = await this.privacy.chargeFineTune(q, steps);
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
        ...this.privacy.trainingOptions(),
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

  /** One round of Ditto: the personal model takes its steps toward this round's global model (charged above). */
  private trainDitto(
    z: Extract<PersonalizationSpec, { kind: 'ditto' }>,
    global: Float32Array,
    cfg: TrainConfig,
    batchSize: number,
    round: number,
  ): void {
    const model = this.model;
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
      ...this.privacy.trainingOptions(),
      ...(z.lambda > 0 ? { proximal: { mu: z.lambda, anchor } } : {}),
      rng: this.o.rng(`round/${round}/ditto`),
    });
    this.ditto = flattenParams(model.params);
    loadParams(model.params, shared);
  }

  private maskFor(localLayers: readonly number[]): Uint8Array | null {
    if (localLayers.length === 0) return null;
    const model = this.model;
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
    loadParams(this.model.params, v);
  }
}
