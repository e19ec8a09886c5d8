/**
 * The conditional vector of the generator (CTGAN, Xu et al. 2019, arXiv:1907.00503, "training by sampling"):
 * one attribute chosen uniformly, one of its values, as a one-hot block in a vector as wide as a row.
 *
 * CTGAN draws the value from the real (log-)frequencies and then picks a real row holding it, which reads the
 * data outside any mechanism. Here the value of a generated row's condition comes from the DP 1-way marginal of
 * the attribute (measured with the Gaussian mechanism, accounted in the plan), and a real row's condition is
 * its own value of a uniformly chosen attribute: it is computed from that row alone, so the real rows stay one
 * Poisson sample, each one's clipped gradient depending only on itself. Both sides then draw (attribute, value)
 * from (uniform, the marginal), real with the true marginal and generated with its noisy estimate.
 */
import type { Rng } from '../../core/index.js';
import type { Blocks } from './block-softmax.js';

/** A batch of conditions: the one-hot vectors [batch, width] and each row's attribute and value. */
export interface Conditions {
  readonly vectors: Float32Array;
  readonly attrs: Int32Array;
  readonly codes: Int32Array;
}

/**
 * Probabilities from noisy counts: negative counts clamped to 0, then normalised (uniform when nothing is left).
 * Post-processing of the release.
 */
export function probabilitiesFromCounts(noisy: ArrayLike<number>): Float64Array {
  const p = Float64Array.from(noisy, (v) => Math.max(0, v));
  const total = p.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return p.fill(1 / p.length);
  for (let i = 0; i < p.length; i++) p[i]! /= total;
  return p;
}

/** One index drawn from probabilities p (inverse CDF on one uniform draw; the last index takes the rest). */
function draw(p: Float64Array, u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length - 1; i++) {
    acc += p[i]!;
    if (u < acc) return i;
  }
  return p.length - 1;
}

/** `batch` conditions for generated rows: attribute uniform, value from that attribute's probabilities. */
export function sampleConditions(
  probabilities: readonly Float64Array[],
  blocks: Blocks,
  batch: number,
  rng: Rng,
): Conditions {
  const vectors = new Float32Array(batch * blocks.width);
  const attrs = new Int32Array(batch);
  const codes = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const a = rng.uniformInt(probabilities.length);
    const c = draw(probabilities[a]!, rng.uniform());
    attrs[b] = a;
    codes[b] = c;
    vectors[b * blocks.width + blocks.offsets[a]! + c] = 1;
  }
  return { vectors, attrs, codes };
}

/** The generator's input [batch, noiseDim + width]: standard normal noise z, then the condition vector. */
export function generatorInput(
  conditions: Conditions,
  noiseDim: number,
  width: number,
  rng: Rng,
): Float32Array {
  const batch = conditions.attrs.length;
  const z = new Float32Array(batch * noiseDim);
  rng.fillNormal(z);
  const x = new Float32Array(batch * (noiseDim + width));
  for (let b = 0; b < batch; b++) {
    x.set(z.subarray(b * noiseDim, (b + 1) * noiseDim), b * (noiseDim + width));
    x.set(conditions.vectors.subarray(b * width, (b + 1) * width), b * (noiseDim + width) + noiseDim);
  }
  return x;
}
