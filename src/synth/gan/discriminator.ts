/**
 * The discriminator's DP-SGD gradient, the only place the DP GAN touches private records.
 *
 * The discriminator D maps a row (one-hot blocks and the conditional vector) to a logit; its loss is the
 * standard GAN loss: softplus(-D(x)) for a real row, softplus(D(x)) for a generated one. One step's gradient is
 *
 *   g = (sum_b clip_C(grad of real row b) + N(0, (z C)^2 I)) / B  +  (1 / m) sum_f grad of generated row f,
 *
 * with the real rows a Poisson sample (rate q) of the records, B = q n^ the expected batch (n^ the noisy count
 * released by the 1-way marginals: post-processing), z the planned noise multiplier and m the number of
 * generated rows. Adding or removing one record changes the clipped sum by at most C in L2, so the first term
 * is the Poisson-subsampled Gaussian mechanism with noise multiplier z: the `poisson-sampled` event of the plan.
 *
 * Why the generated rows' term needs no noise: it is a function of D's and the generator's current parameters
 * (both already released: every earlier update is post-processing of earlier private outputs) and of fresh
 * randomness independent of the records. Given the released state it is data-independent, so adding it is
 * post-processing of the step's private release (the same argument as DP-GAN, Xie et al. 2018,
 * arXiv:1802.06739, and DP-CTGAN, Fang et al. 2022, arXiv:2206.13787, where only the real term is clipped and
 * noised). The generator's own steps read no record at all: post-processing too.
 */
import type { GaussianNoiseStream } from '../../core/index.js';
import type { ParamGradient } from '../../ml/index.js';
import type { Mlp } from './mlp.js';

/**
 * The clip bound applied is C (1 - 2^-20): the weight C / ||g|| and the products w g are rounded to float32, so
 * clipping at exactly C could leave a contribution a few parts in 10^8 above the sensitivity the accountant is
 * told (the same margin as `veil/train`'s DP-SGD step).
 */
export const CLIP_MARGIN = 1 - 2 ** -20;

/** d softplus(-t) / dt = sigmoid(t) - 1 (a real row's loss); d softplus(t) / dt = sigmoid(t) (a generated one). */
function logitGradient(logits: Float32Array, real: boolean): Float32Array {
  const dy = new Float32Array(logits.length);
  for (let b = 0; b < logits.length; b++) {
    const s = 1 / (1 + Math.exp(-logits[b]!));
    dy[b] = real ? s - 1 : s;
  }
  return dy;
}

/** The clipped sum of the real rows' gradients, and what the clipping saw. */
export interface ClippedSum {
  /** sum_b w_b g_b per parameter (aligned with the discriminator's params). */
  readonly sums: Float32Array[];
  /** ||g_b|| before clipping, per real row. */
  readonly norms: Float64Array;
  /** w_b = min(1, C' / ||g_b||), C' = C (1 - 2^-20). */
  readonly weights: Float32Array;
}

/**
 * The sum over the real rows x [batch, inputs] of their discriminator gradients (real-row loss), each clipped to
 * L2 norm C: per-example norms from the layers' factored gradients (`addSquaredNorms`), one weighted sum
 * (`accumulate(weights)`). Nothing per example is materialised.
 */
export function clippedRealSum(d: Mlp, x: Float32Array, batch: number, maxGradNorm: number): ClippedSum {
  const sums = d.params.map((p) => new Float32Array(p.value.length));
  const norms = new Float64Array(batch);
  const weights = new Float32Array(batch);
  if (batch === 0) return { sums, norms, weights };
  const pass = d.forward(x, batch);
  const { grads } = d.backward(pass, logitGradient(pass.y, true), false);
  for (const g of grads) g.addSquaredNorms(norms);
  const threshold = maxGradNorm * CLIP_MARGIN;
  for (let b = 0; b < batch; b++) {
    const norm = Math.sqrt(norms[b]!);
    norms[b] = norm;
    weights[b] = norm <= threshold ? 1 : threshold / norm;
  }
  grads.forEach((g, i) => g.accumulate(weights, sums[i]!));
  return { sums, norms, weights };
}

/** In place: sums += std * N(0, 1) per coordinate, the normals from `noise` (the CSPRNG's stream). */
export function addGaussianNoise(sums: Float32Array[], std: number, noise: GaussianNoiseStream): void {
  const total = sums.reduce((n, s) => n + s.length, 0);
  const z = noise.take(total);
  let offset = 0;
  for (const s of sums) {
    for (let j = 0; j < s.length; j++) s[j]! += std * z[offset + j]!;
    offset += s.length;
  }
}

/** What one discriminator step needs. */
export interface DiscriminatorStepInput {
  readonly discriminator: Mlp;
  /** Real rows [realBatch, inputs] (a Poisson sample of the records). */
  readonly real: Float32Array;
  readonly realBatch: number;
  /** Generated rows [fakeBatch, inputs]. */
  readonly fake: Float32Array;
  readonly fakeBatch: number;
  readonly maxGradNorm: number;
  readonly noiseMultiplier: number;
  /** B = q n^, what the noisy real sum is divided by. */
  readonly expectedBatch: number;
  readonly noise: GaussianNoiseStream;
}

/**
 * One step's discriminator gradient (see the module comment): the noisy clipped real sum over B plus the mean
 * generated-row gradient, per parameter.
 */
export function discriminatorGradient(input: DiscriminatorStepInput): Float32Array[] {
  const d = input.discriminator;
  const { sums } = clippedRealSum(d, input.real, input.realBatch, input.maxGradNorm);
  addGaussianNoise(sums, input.noiseMultiplier * input.maxGradNorm, input.noise);
  const scale = 1 / input.expectedBatch;
  for (const s of sums) for (let j = 0; j < s.length; j++) s[j]! *= scale;
  if (input.fakeBatch > 0) {
    const pass = d.forward(input.fake, input.fakeBatch);
    const { grads } = d.backward(pass, logitGradient(pass.y, false), false);
    const fakeScale = new Float32Array(input.fakeBatch).fill(1 / input.fakeBatch);
    grads.forEach((g: ParamGradient, i) => g.accumulate(fakeScale, sums[i]!));
  }
  return sums;
}

/** The generator's loss gradient at D's logits for generated rows (non-saturating: softplus(-D(G(z))))). */
export function generatorLogitGradient(logits: Float32Array): Float32Array {
  return logitGradient(logits, true);
}
