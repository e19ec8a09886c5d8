/**
 * DP-SGD / DP-Adam (Abadi et al. 2016, "Deep Learning with Differential Privacy", arXiv:1607.00133) and the
 * same engine without privacy.
 *
 * A private step: Poisson-sample a batch (rate q = batchSize / N); in physical chunks of at most
 * `maxPhysicalBatch` examples (virtual steps, to cap memory) compute per-example gradient norms, clipping
 * weights and the weighted (clipped) gradient sum; add Gaussian noise N(0, (sigma C)^2) per coordinate from the
 * CSPRNG; divide by the expected batch size qN; let the optimizer step. The accountant is told every step's
 * event (a Poisson-sampled Gaussian with noise multiplier sigma). With a target epsilon the noise is calibrated
 * before training; with a fixed noise and a budget, training stops before the step that would exceed it.
 */
import {
  calibrateNoiseMultiplier,
  gaussianEvent,
  maxSteps,
  PldAccountant,
  type PrivacyEvent,
  poissonSampledEvent,
  RdpAccountant,
  selfComposedEvent,
} from '../accounting/index.js';
import {
  assertInteger,
  assertNonNegative,
  assertOpenUnit,
  assertPositive,
  InvalidParameterError,
  type Rng,
} from '../core/index.js';
import { accuracy, createOptimizer, type OptimizerSpec, type SequentialModel, Tensor } from '../ml/index.js';
import {
  adaptiveGradientNoise,
  type ClippingSpec,
  ClippingState,
  checkClipping,
  countNoiseOf,
} from './clipping.js';
import { permutation, poissonSample } from './sampling.js';

/** Examples for training or evaluation: row-major features, one class index per example. */
export interface TrainingData {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly numExamples: number;
  readonly featureShape: readonly number[];
}

/** Privacy of a run. `noiseMultiplier` absent: calibrated to `targetEpsilon`; both: the target is a budget cap. */
export type PrivacySpec =
  | { readonly kind: 'non-private' }
  | {
      readonly kind: 'dp';
      readonly delta: number;
      readonly noiseMultiplier?: number;
      readonly targetEpsilon?: number;
    };

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
  /** Expected batch size (private: q = batchSize / N; non-private: the batch size). */
  readonly batchSize: number;
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

function gather(
  data: TrainingData,
  indices: Int32Array,
  from: number,
  to: number,
): { x: Tensor; y: Int32Array } {
  const width = data.features.length / data.numExamples;
  const n = to - from;
  const x = new Float32Array(n * width);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = indices[from + i]!;
    x.set(data.features.subarray(src * width, (src + 1) * width), i * width);
    y[i] = data.labels[src]!;
  }
  return { x: new Tensor([n, ...data.featureShape], x), y };
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
  if (o.batchSize > o.train.numExamples) {
    throw new InvalidParameterError({
      fn,
      param: 'batchSize',
      value: o.batchSize,
      allowed: `at most the number of training examples (${o.train.numExamples})`,
    });
  }
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
}

/**
 * Trains `model` in place.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options (before any training)
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when no noise multiplier reaches the target epsilon
 */
export function trainModel(options: TrainOptions): TrainResult {
  checkOptions(options);
  const { model, train, rng } = options;
  const n = train.numExamples;
  const dp = options.privacy.kind === 'dp' ? options.privacy : null;
  const q = options.batchSize / n;
  const stepsPerEpoch = dp ? Math.max(1, Math.round(1 / q)) : Math.ceil(n / options.batchSize);
  const stepsPlanned = stepsPerEpoch * options.epochs;
  const accountantKind = options.accountant ?? 'rdp';
  const clipping = new ClippingState(
    options.clipping ?? (dp ? { kind: 'flat', maxGradNorm: 1 } : { kind: 'none' }),
  );

  // The noise multiplier the accountant is told (z), and the one on the gradient (larger with adaptive clipping).
  let z: number | null = null;
  let stepLimit = stepsPlanned;
  if (dp) {
    z =
      dp.noiseMultiplier ??
      calibrateNoiseMultiplier({
        targetEpsilon: dp.targetEpsilon!,
        delta: dp.delta,
        sampleRate: q,
        steps: stepsPlanned,
        accountant: accountantKind,
      }).noiseMultiplier;
    if (dp.noiseMultiplier !== undefined && dp.targetEpsilon !== undefined && z > 0) {
      stepLimit = Math.min(
        stepsPlanned,
        maxSteps({
          targetEpsilon: dp.targetEpsilon,
          delta: dp.delta,
          sampleRate: q,
          noiseMultiplier: z,
          accountant: accountantKind,
          limit: stepsPlanned,
        }).steps,
      );
    }
  }
  const expectedBatch = q * n;
  const spec = clipping.spec;
  const gradientNoise =
    z === null
      ? null
      : spec.kind === 'adaptive' && z > 0
        ? adaptiveGradientNoise(z, countNoiseOf(spec, expectedBatch))
        : z;
  const stepEvent: PrivacyEvent | null =
    z === null
      ? null
      : z > 0
        ? poissonSampledEvent(Math.min(1, q), gaussianEvent({ sigma: z }))
        : { kind: 'non-private', reason: 'noise multiplier 0' };
  const rdp = new RdpAccountant();

  const optimizer = createOptimizer(options.optimizer);
  const params = model.params;
  const layerOfParam = model.layers.flatMap((layer, i) => layer.params.map(() => i));
  const layersWithParams = [...new Set(layerOfParam)];
  const maxChunk = options.maxPhysicalBatch ?? 512;
  const epochs: EpochMetrics[] = [];
  let stepsRun = 0;
  let examplesSeen = 0;
  let trainMs = 0;
  let stoppedEarly: TrainResult['stoppedEarly'] = null;
  let order: Int32Array | null = null;
  let noise: Float32Array | null = null;

  outer: for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const epochStart = performance.now();
    let lossSum = 0;
    let lossCount = 0;
    if (!dp) order = permutation(n, rng);
    for (let s = 0; s < stepsPerEpoch; s++) {
      if (dp && stepsRun >= stepLimit) {
        stoppedEarly = {
          reason: `the next step would exceed the privacy budget epsilon = ${dp.targetEpsilon} at delta = ${dp.delta}`,
          afterSteps: stepsRun,
        };
        break outer;
      }
      const t0 = performance.now();
      const indices = dp
        ? poissonSample(n, q, rng)
        : order!.subarray(s * options.batchSize, Math.min(n, (s + 1) * options.batchSize));
      const sums = params.map((p) => new Float32Array(p.value.length));
      let unclipped = 0;
      for (let from = 0; from < indices.length; from += maxChunk) {
        const to = Math.min(indices.length, from + maxChunk);
        const { x, y } = gather(train, indices, from, to);
        const { loss, grads } = model.lossAndGradients(x, y);
        for (const l of loss.losses) lossSum += l;
        lossCount += loss.losses.length;
        if (!dp || spec.kind === 'none') {
          grads.forEach((g, i) => g.accumulate(null, sums[i]!));
          continue;
        }
        const b = to - from;
        const threshold = clipping.maxGradNorm;
        if (spec.kind === 'per-layer') {
          const perLayer = threshold / Math.sqrt(layersWithParams.length);
          for (const layer of layersWithParams) {
            const norms = new Float64Array(b);
            grads.forEach((g, i) => {
              if (layerOfParam[i] === layer) g.addSquaredNorms(norms);
            });
            const w = Float32Array.from(norms, (sq) => Math.min(1, perLayer / Math.sqrt(sq)));
            grads.forEach((g, i) => {
              if (layerOfParam[i] === layer) g.accumulate(w, sums[i]!);
            });
          }
        } else {
          const norms = new Float64Array(b);
          for (const g of grads) g.addSquaredNorms(norms);
          const w = new Float32Array(b);
          for (let i = 0; i < b; i++) {
            const norm = Math.sqrt(norms[i]!);
            w[i] = norm <= threshold ? 1 : threshold / norm;
            if (norm <= threshold) unclipped++;
          }
          grads.forEach((g, i) => g.accumulate(w, sums[i]!));
        }
      }
      if (dp) {
        const std = (gradientNoise ?? 0) * clipping.maxGradNorm;
        const scale = 1 / expectedBatch;
        for (const sum of sums) {
          if (std > 0) {
            noise = noise && noise.length >= sum.length ? noise : new Float32Array(sum.length);
            const draw = noise.subarray(0, sum.length);
            rng.fillNormal(draw, std);
            for (let j = 0; j < sum.length; j++) sum[j] = (sum[j]! + draw[j]!) * scale;
          } else {
            for (let j = 0; j < sum.length; j++) sum[j]! *= scale;
          }
        }
        if (spec.kind === 'adaptive') clipping.update(unclipped, indices.length, expectedBatch, rng);
        rdp.compose(stepEvent!);
      } else {
        const scale = 1 / Math.max(1, indices.length);
        for (const sum of sums) for (let j = 0; j < sum.length; j++) sum[j]! *= scale;
      }
      optimizer.step(params, sums);
      stepsRun++;
      examplesSeen += indices.length;
      trainMs += performance.now() - t0;
      options.onProgress?.({
        epoch,
        epochs: options.epochs,
        step: s + 1,
        stepsPerEpoch,
        loss: lossCount ? lossSum / lossCount : Number.NaN,
        epsilon: dp && z! > 0 && (s + 1) % 10 === 0 ? rdp.epsilon({ delta: dp.delta }) : null,
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

  let epsilon: TrainResult['epsilon'] = null;
  if (dp) {
    const pld = new PldAccountant();
    if (stepsRun > 0) pld.compose(stepEvent!, { times: stepsRun });
    epsilon = { rdp: rdp.epsilon({ delta: dp.delta }), pld: pld.epsilon({ delta: dp.delta }) };
  }
  const last = epochs[epochs.length - 1];
  return {
    epochs,
    stepsRun,
    stepsPlanned,
    sampleRate: q,
    noiseMultiplier: z,
    gradientNoiseMultiplier: gradientNoise,
    delta: dp ? dp.delta : null,
    epsilon,
    events:
      stepEvent && stepsRun > 0
        ? [selfComposedEvent(stepEvent, stepsRun)]
        : [{ kind: 'non-private', reason: 'trained without differential privacy' }],
    stoppedEarly,
    private: dp !== null && (z ?? 0) > 0 && rng.isPrivate,
    examplesPerSecond: trainMs > 0 ? examplesSeen / (trainMs / 1000) : 0,
    trainSeconds: trainMs / 1000,
    finalTestAccuracy: last?.testAccuracy ?? (options.test ? evaluate(model, options.test) : null),
  };
}
