/**
 * One DP-SGD (or plain SGD) step's gradient: over the step's examples, in physical chunks (virtual steps), the
 * per-example clipping weights and the weighted (clipped) sum of the examples' gradients; then Gaussian noise
 * and the division by the expected batch size.
 */
import type { GaussianNoiseStream } from '../core/index.js';
import type { Param, SequentialModel } from '../ml/index.js';
import { Tensor } from '../ml/index.js';
import type { ClippingState } from './clipping.js';
import type { TrainingData } from './training-data.js';

/**
 * The clip bound actually applied is C (1 - 2^-20): the weight C / ||g|| is rounded to float32 (relative error
 * <= 2^-24) and so is each product w g, so clipping at exactly C could leave an example's contribution a few
 * parts in 10^8 above C, the sensitivity the accountant is told. The margin keeps every rounded contribution
 * below C (step.test.ts checks it); it changes the result by less than one part in a million.
 */
const CLIP_MARGIN = 1 - 2 ** -20;

/** What a step's gradient pass needs, fixed for a run. */
export interface StepContext {
  readonly model: SequentialModel;
  readonly params: readonly Param[];
  /** Index of the layer owning each parameter (per-layer clipping). */
  readonly layerOfParam: readonly number[];
  readonly layersWithParams: readonly number[];
  readonly maxChunk: number;
  /** Null for non-private steps (plain sums). */
  readonly clipping: ClippingState | null;
}

/** The result of a step's gradient pass. */
export interface GradientSum {
  readonly sums: Float32Array[];
  readonly lossSum: number;
  readonly examples: number;
  /** Examples whose gradient norm was within the threshold (adaptive clipping). */
  readonly unclipped: number;
}

/** Builds the context of a run. */
export function stepContext(
  model: SequentialModel,
  maxChunk: number,
  clipping: ClippingState | null,
): StepContext {
  const layerOfParam = model.layers.flatMap((layer, i) => layer.params.map(() => i));
  return {
    model,
    params: model.params,
    layerOfParam,
    layersWithParams: [...new Set(layerOfParam)],
    maxChunk,
    clipping,
  };
}

/** Copies the examples `indices[from..to)` into a batch tensor. */
export function gather(
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

/** The (clipped) sum of the gradients of the examples `indices`. */
export function gradientSum(ctx: StepContext, data: TrainingData, indices: Int32Array): GradientSum {
  const sums = ctx.params.map((p) => new Float32Array(p.value.length));
  let lossSum = 0;
  let unclipped = 0;
  for (let from = 0; from < indices.length; from += ctx.maxChunk) {
    const to = Math.min(indices.length, from + ctx.maxChunk);
    const { x, y } = gather(data, indices, from, to);
    const { loss, grads } = ctx.model.lossAndGradients(x, y);
    for (const l of loss.losses) lossSum += l;
    const clipping = ctx.clipping;
    if (clipping === null || clipping.spec.kind === 'none') {
      grads.forEach((g, i) => g.accumulate(null, sums[i]!));
      continue;
    }
    const b = to - from;
    const threshold = clipping.maxGradNorm * CLIP_MARGIN;
    if (clipping.spec.kind === 'per-layer') {
      const perLayer = threshold / Math.sqrt(ctx.layersWithParams.length);
      for (const layer of ctx.layersWithParams) {
        const norms = new Float64Array(b);
        grads.forEach((g, i) => {
          if (ctx.layerOfParam[i] === layer) g.addSquaredNorms(norms);
        });
        const w = Float32Array.from(norms, (sq) => Math.min(1, perLayer / Math.sqrt(sq)));
        grads.forEach((g, i) => {
          if (ctx.layerOfParam[i] === layer) g.accumulate(w, sums[i]!);
        });
      }
      continue;
    }
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
  return { sums, lossSum, examples: indices.length, unclipped };
}

/**
 * In place: sums <- (sums + std * z) * scale, z standard normal per coordinate from `noise` (a stream drawing
 * ahead on the second core for the CSPRNG); std = 0 only scales.
 */
export function addNoiseAndScale(
  sums: Float32Array[],
  std: number,
  scale: number,
  noise: GaussianNoiseStream | null,
): void {
  const total = sums.reduce((n, s) => n + s.length, 0);
  const z = std > 0 && noise ? noise.take(total) : null;
  let offset = 0;
  for (const sum of sums) {
    if (z) {
      for (let j = 0; j < sum.length; j++) sum[j] = (sum[j]! + std * z[offset + j]!) * scale;
    } else {
      for (let j = 0; j < sum.length; j++) sum[j]! *= scale;
    }
    offset += sum.length;
  }
}
