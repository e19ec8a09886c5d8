/**
 * DP-SGD / DP-Adam (Abadi et al. 2016, "Deep Learning with Differential Privacy", arXiv:1607.00133) and the
 * same engine without privacy.
 *
 * A private step: Poisson-sample a batch (rate q = batchSize / N); in physical chunks of at most
 * `maxPhysicalBatch` examples (virtual steps, to cap memory) compute per-example gradient norms, clipping
 * weights and the weighted (clipped) gradient sum; add Gaussian noise N(0, (z C)^2) per coordinate (z the noise multiplier) from the
 * CSPRNG; divide by the expected batch size qN; let the optimizer step. The accountant is told every step's
 * event (a Poisson-sampled Gaussian with noise multiplier z). With a target epsilon the noise is calibrated
 * before training; with a fixed noise and a budget, training stops before the step that would exceed it.
 */
import { PldAccountant, type PrivacyEvent, RdpAccountant, selfComposedEvent } from '../accounting/index.js';
import {
  assertInteger,
  assertNonNegative,
  assertOpenUnit,
  assertPositive,
  gaussianNoiseStream,
  InvalidParameterError,
  type Rng,
} from '../core/index.js';
import {
  accuracy,
  createOptimizer,
  lossFunction,
  type OptimizerSpec,
  type SequentialModel,
} from '../ml/index.js';
import { type ClippingSpec, ClippingState, checkClipping } from './clipping.js';
import { checkSampling, type PrivacySpec, planTraining, type TrainingPlan } from './plan.js';
import type { PrivacyPlan } from './privacy-plan.js';
import { permutation, poissonSample } from './sampling.js';
import { addNoiseAndScale, gather, gradientSum, stepContext } from './step.js';
import type { TrainingData } from './training-data.js';

export type { TrainingData } from './training-data.js';

/** Progress of a run, for progress bars. */
export interface TrainingProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
  readonly epsilon: number | null;
}

/** Metrics at the end of an epoch. */
export interface EpochMetrics {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly testAccuracy: number | null;
  /** RDP epsilon spent so far at the run's delta (null for non-private runs). */
  readonly epsilon: number | null;
  readonly maxGradNorm: number | null;
  readonly seconds: number;
}

/** Options of {@link trainModel}. */
export interface TrainOptions {
  readonly model: SequentialModel;
  readonly train: TrainingData;
  readonly test?: TrainingData;
  readonly epochs: number;
  /** Expected batch size (private: q = batchSize / publicSize; non-private: the batch size). */
  readonly batchSize: number;
  /**
   * Private runs (required): N, the record count treated as public. The sampling rate q = batchSize / N and the
   * steps per epoch, round(N / batchSize), derive from it and never from the actual count, so the mechanism is
   * fixed before it sees the data and the add/remove-one-record guarantee holds with the actual count
   * protected (docs/privacy.md, "Neighbouring relations"). Use a size you would publish anyway (a round figure,
   * a registry's count); Poisson sampling still draws from the actual records. Ignored by non-private runs.
   */
  readonly publicSize?: number;
  readonly optimizer: OptimizerSpec;
  readonly privacy: PrivacySpec;
  /** Default: flat clipping at 1 for private runs, none otherwise. */
  readonly clipping?: ClippingSpec;
  /** Accountant for calibration and the budget: 'rdp' (default) or 'pld'. */
  readonly accountant?: 'rdp' | 'pld';
  /** Largest chunk run through the model at once (virtual steps); default 512. */
  readonly maxPhysicalBatch?: number;
  /** Sampling and noise (the CSPRNG for private runs; a seeded Rng marks the run not private). */
  readonly rng: Rng;
  /**
   * FedProx's proximal term (Li et al. 2020, arXiv:1812.06127): adds mu (w - anchor) to every step's gradient,
   * after clipping and noise, so it costs no privacy (it depends on no example). `anchor` holds one vector per
   * model parameter (the round's global model).
   */
  readonly proximal?: { readonly mu: number; readonly anchor: readonly Float32Array[] };
  /** The plan from {@link planTraining} for these same options (absent: trainModel plans, calibrating once). */
  readonly plan?: TrainingPlan;
  readonly onProgress?: (p: TrainingProgress) => void;
  readonly onEpoch?: (m: EpochMetrics) => void;
}

/** What a run did. */
export interface TrainResult {
  readonly epochs: readonly EpochMetrics[];
  readonly stepsRun: number;
  readonly stepsPlanned: number;
  readonly sampleRate: number;
  /** Noise multiplier the accountant was told (null for non-private runs). */
  readonly noiseMultiplier: number | null;
  /** Noise multiplier on the gradient (larger than noiseMultiplier with adaptive clipping). */
  readonly gradientNoiseMultiplier: number | null;
  readonly delta: number | null;
  readonly epsilon: { readonly rdp: number; readonly pld: number } | null;
  readonly events: readonly PrivacyEvent[];
  readonly stoppedEarly: { readonly reason: string; readonly afterSteps: number } | null;
  /** True only for a DP run with positive noise from the CSPRNG. */
  readonly private: boolean;
  readonly examplesPerSecond: number;
  readonly trainSeconds: number;
  readonly finalTestAccuracy: number | null;
}

/** Accuracy of `model` on `data`, in chunks. */
export function evaluate(model: SequentialModel, data: TrainingData, chunk = 1024): number {
  const all = Int32Array.from({ length: data.numExamples }, (_, i) => i);
  const predictions = new Int32Array(data.numExamples);
  for (let from = 0; from < data.numExamples; from += chunk) {
    const to = Math.min(data.numExamples, from + chunk);
    const { x } = gather(data, all, from, to);
    predictions.set(model.predict(x), from);
  }
  return accuracy(predictions, data.labels);
}

/** Accuracy and mean loss of `model` on `data`, in chunks. */
export function evaluateModel(
  model: SequentialModel,
  data: TrainingData,
  chunk = 1024,
): { readonly accuracy: number; readonly loss: number } {
  const all = Int32Array.from({ length: data.numExamples }, (_, i) => i);
  const lossOf = lossFunction(model.loss);
  let correct = 0;
  let lossSum = 0;
  for (let from = 0; from < data.numExamples; from += chunk) {
    const to = Math.min(data.numExamples, from + chunk);
    const { x, y } = gather(data, all, from, to);
    const { logits } = model.forward(x);
    const loss = lossOf(logits, y);
    for (let i = 0; i < loss.losses.length; i++) lossSum += loss.losses[i]!;
    const k = logits.shape[1] ?? 1;
    for (let b = 0; b < y.length; b++) {
      let predicted: number;
      if (model.loss === 'binary-cross-entropy') predicted = logits.data[b]! > 0 ? 1 : 0;
      else {
        predicted = 0;
        for (let j = 1; j < k; j++)
          if (logits.data[b * k + j]! > logits.data[b * k + predicted]!) predicted = j;
      }
      if (predicted === y[b]) correct++;
    }
  }
  const n = Math.max(1, data.numExamples);
  return { accuracy: correct / n, loss: lossSum / n };
}

function checkOptions(o: TrainOptions): void {
  const fn = 'trainModel';
  assertInteger(fn, 'epochs', o.epochs, 1);
  assertInteger(fn, 'batchSize', o.batchSize, 1);
  if (o.train.numExamples < 1)
    throw new InvalidParameterError({
      fn,
      param: 'train',
      value: o.train.numExamples,
      allowed: 'at least one example',
    });
  checkSampling(fn, o);
  if (o.maxPhysicalBatch !== undefined) assertInteger(fn, 'maxPhysicalBatch', o.maxPhysicalBatch, 1);
  if (o.privacy.kind === 'dp') {
    assertOpenUnit(fn, 'privacy.delta', o.privacy.delta);
    if (o.privacy.noiseMultiplier === undefined && o.privacy.targetEpsilon === undefined) {
      throw new InvalidParameterError({
        fn,
        param: 'privacy',
        value: o.privacy,
        allowed: 'a noiseMultiplier, a targetEpsilon, or both',
      });
    }
    if (o.privacy.noiseMultiplier !== undefined)
      assertNonNegative(fn, 'privacy.noiseMultiplier', o.privacy.noiseMultiplier);
    if (o.privacy.targetEpsilon !== undefined)
      assertPositive(fn, 'privacy.targetEpsilon', o.privacy.targetEpsilon);
    if (o.clipping?.kind === 'none' && (o.privacy.noiseMultiplier ?? 1) > 0) {
      throw new InvalidParameterError({
        fn,
        param: 'clipping',
        value: 'none',
        allowed: 'flat, per-layer or adaptive clipping for a private run (noise needs a bounded sensitivity)',
      });
    }
  }
  if (o.clipping) checkClipping(fn, o.clipping);
  if (o.proximal) {
    assertNonNegative(fn, 'proximal.mu', o.proximal.mu);
    const params = o.model.params;
    const ok =
      o.proximal.anchor.length === params.length &&
      params.every((p, i) => o.proximal!.anchor[i]!.length === p.value.length);
    if (!ok) {
      throw new InvalidParameterError({
        fn,
        param: 'proximal.anchor',
        value: o.proximal.anchor.map((a) => a.length),
        allowed: `one vector per model parameter, of sizes [${params.map((p) => p.value.length).join(', ')}]`,
      });
    }
  }
}

/** In place: grads += mu (w - anchor), per parameter. */
function addProximal(
  grads: Float32Array[],
  params: readonly { value: Float32Array }[],
  mu: number,
  anchor: readonly Float32Array[],
): void {
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i]!;
    const w = params[i]!.value;
    const a = anchor[i]!;
    for (let j = 0; j < g.length; j++) g[j]! += mu * (w[j]! - a[j]!);
  }
}

/** The plan's basis against the options trainModel received: a plan is only valid for what it was made for. */
function checkPlan(plan: TrainingPlan, o: TrainOptions, clipping: ClippingSpec): void {
  const dp = o.privacy.kind === 'dp';
  const expected = {
    batchSize: o.batchSize,
    epochs: o.epochs,
    n: dp ? o.publicSize : o.train.numExamples,
    privacy: o.privacy,
    accountant: o.accountant ?? 'rdp',
    clipping,
  };
  if (JSON.stringify(expected) !== JSON.stringify(plan.basis)) {
    throw new InvalidParameterError({
      fn: 'trainModel',
      param: 'plan',
      value: plan.basis,
      allowed: `a plan made by planTraining for these options (${JSON.stringify(expected)})`,
    });
  }
}

/**
 * Trains `model` in place. With `options.plan` (from {@link planTraining} on the same options) the run uses
 * that plan and calibrates nothing; without, it plans first.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options (before any training)
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when no noise multiplier reaches the target epsilon
 */
export function trainModel(options: TrainOptions): TrainResult {
  checkOptions(options);
  const { model, train, rng } = options;
  const n = train.numExamples;
  const dp = options.privacy.kind === 'dp' ? options.privacy : null;
  const clipping = new ClippingState(
    options.clipping ?? (dp ? { kind: 'flat', maxGradNorm: 1 } : { kind: 'none' }),
  );
  let training: TrainingPlan;
  if (options.plan) {
    checkPlan(options.plan, options, clipping.spec);
    training = options.plan;
  } else training = planTraining(options);
  const { sampleRate: q, stepsPerEpoch, stepsPlanned, expectedBatch, privacy: plan } = training;
  const rdp = new RdpAccountant();
  const optimizer = createOptimizer(options.optimizer);
  const ctx = stepContext(model, options.maxPhysicalBatch ?? 512, dp ? clipping : null);
  const epochs: EpochMetrics[] = [];
  let stepsRun = 0;
  let examplesSeen = 0;
  let trainMs = 0;
  let stoppedEarly: TrainResult['stoppedEarly'] = null;
  const noise =
    plan && plan.gradientNoiseMultiplier > 0
      ? gaussianNoiseStream(
          rng,
          ctx.params.reduce((n, p) => n + p.value.length, 0),
        )
      : null;
  try {
    return runEpochs();
  } finally {
    noise?.close();
  }

  function runEpochs(): TrainResult {
    outer: for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const epochStart = performance.now();
      let lossSum = 0;
      let lossCount = 0;
      const order = dp ? null : permutation(n, rng);
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (plan && stepsRun >= plan.stepLimit) {
          stoppedEarly = {
            reason: `the next step would exceed the privacy budget epsilon = ${dp!.targetEpsilon} at delta = ${dp!.delta}`,
            afterSteps: stepsRun,
          };
          break outer;
        }
        const t0 = performance.now();
        const indices = order
          ? order.subarray(s * options.batchSize, Math.min(n, (s + 1) * options.batchSize))
          : poissonSample(n, q, rng);
        const step = gradientSum(ctx, train, indices);
        lossSum += step.lossSum;
        lossCount += step.examples;
        if (plan) {
          addNoiseAndScale(
            step.sums,
            plan.gradientNoiseMultiplier * clipping.maxGradNorm,
            1 / expectedBatch,
            noise,
          );
          if (clipping.spec.kind === 'adaptive')
            clipping.update(step.unclipped, indices.length, expectedBatch, rng);
          rdp.compose(plan.stepEvent);
        } else {
          addNoiseAndScale(step.sums, 0, 1 / Math.max(1, indices.length), null);
        }
        if (options.proximal && options.proximal.mu > 0)
          addProximal(step.sums, ctx.params, options.proximal.mu, options.proximal.anchor);
        optimizer.step(ctx.params, step.sums);
        stepsRun++;
        examplesSeen += indices.length;
        trainMs += performance.now() - t0;
        options.onProgress?.({
          epoch,
          epochs: options.epochs,
          step: s + 1,
          stepsPerEpoch,
          loss: lossCount ? lossSum / lossCount : Number.NaN,
          epsilon:
            dp && plan!.noiseMultiplier > 0 && (s + 1) % 10 === 0 ? rdp.epsilon({ delta: dp.delta }) : null,
        });
      }
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: lossCount ? lossSum / lossCount : Number.NaN,
        testAccuracy: options.test ? evaluate(model, options.test) : null,
        epsilon: dp ? rdp.epsilon({ delta: dp.delta }) : null,
        maxGradNorm: dp ? clipping.maxGradNorm : null,
        seconds: (performance.now() - epochStart) / 1000,
      };
      epochs.push(metrics);
      options.onEpoch?.(metrics);
    }
    return summarise({
      options,
      plan,
      rdp,
      epochs,
      stepsRun,
      stepsPlanned,
      q,
      examplesSeen,
      trainMs,
      stoppedEarly,
    });
  }
}

function summarise(r: {
  options: TrainOptions;
  plan: PrivacyPlan | null;
  rdp: RdpAccountant;
  epochs: EpochMetrics[];
  stepsRun: number;
  stepsPlanned: number;
  q: number;
  examplesSeen: number;
  trainMs: number;
  stoppedEarly: TrainResult['stoppedEarly'];
}): TrainResult {
  const { options, plan } = r;
  const delta = options.privacy.kind === 'dp' ? options.privacy.delta : null;
  let epsilon: TrainResult['epsilon'] = null;
  if (plan && delta !== null) {
    // The PLD epsilon costs tens of milliseconds; callers that never read it (a federated node trains many
    // short runs) should not pay for it, so it is computed on first read and kept.
    let pldEpsilon: number | undefined;
    const { stepEvent } = plan;
    const stepsRun = r.stepsRun;
    epsilon = {
      rdp: r.rdp.epsilon({ delta }),
      get pld(): number {
        if (pldEpsilon === undefined) {
          const pld = new PldAccountant();
          if (stepsRun > 0) pld.compose(stepEvent, { times: stepsRun });
          pldEpsilon = pld.epsilon({ delta });
        }
        return pldEpsilon;
      },
    };
  }
  const last = r.epochs[r.epochs.length - 1];
  return {
    epochs: r.epochs,
    stepsRun: r.stepsRun,
    stepsPlanned: r.stepsPlanned,
    sampleRate: r.q,
    noiseMultiplier: plan ? plan.noiseMultiplier : null,
    gradientNoiseMultiplier: plan ? plan.gradientNoiseMultiplier : null,
    delta,
    epsilon,
    events:
      plan && r.stepsRun > 0
        ? [selfComposedEvent(plan.stepEvent, r.stepsRun)]
        : [{ kind: 'non-private', reason: 'trained without differential privacy' }],
    stoppedEarly: r.stoppedEarly,
    private: plan !== null && plan.noiseMultiplier > 0 && options.rng.isPrivate,
    // Private runs count the expected batches (q N per step): the Poisson batch sizes are functions of the data.
    examplesPerSecond:
      r.trainMs > 0
        ? (plan ? r.stepsRun * r.q * options.publicSize! : r.examplesSeen) / (r.trainMs / 1000)
        : 0,
    trainSeconds: r.trainMs / 1000,
    finalTestAccuracy: last?.testAccuracy ?? (options.test ? evaluate(options.model, options.test) : null),
  };
}
