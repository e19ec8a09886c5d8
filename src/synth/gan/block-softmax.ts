/**
 * Softmax over blocks of a row: a row of concatenated one-hot blocks (one block per attribute, as wide as its
 * number of values) is generated as one softmax per block, optionally a Gumbel-softmax (Jang, Gu & Poole 2017,
 * arXiv:1611.01144; CTGAN's `_apply_activate` uses temperature 0.2). The engine has no such layer; these are the
 * forward and its backward (the input gradient) for the generator. Plain loops: the rows are a few hundred wide.
 */
import type { Rng } from '../../core/index.js';

/** Block boundaries of a row: block k spans [offsets[k], offsets[k + 1]). */
export interface Blocks {
  readonly offsets: Int32Array;
  /** The row width (offsets' last entry). */
  readonly width: number;
}

/** The blocks of a row for attributes of the given sizes, in order. */
export function blocksOf(sizes: readonly number[]): Blocks {
  const offsets = new Int32Array(sizes.length + 1);
  sizes.forEach((s, k) => {
    offsets[k + 1] = offsets[k]! + s;
  });
  return { offsets, width: offsets[sizes.length]! };
}

/**
 * y = softmax((x + g) / temperature) in every block of every row, g standard Gumbel noise drawn from `gumbel`
 * (null: none, a plain tempered softmax). The max is subtracted per block, so large logits do not overflow.
 * @param x logits [batch, width], row-major
 * @returns y of the same shape; each block of each row sums to 1
 */
export function blockSoftmax(
  x: Float32Array,
  blocks: Blocks,
  temperature: number,
  gumbel: Rng | null,
): Float32Array {
  const { offsets, width } = blocks;
  const batch = x.length / width;
  const y = new Float32Array(x.length);
  const z = new Float64Array(width);
  // Uniform draws in bulk: 32 random bits each, u = (w + 1/2) 2^-32 in (0, 1) (never 0 or 1, so both logs are
  // finite); the Gumbel noise only shapes the generator's training, it is no privacy mechanism.
  const words = gumbel ? new Uint32Array(x.length) : null;
  if (gumbel && words) gumbel.fillBytes(new Uint8Array(words.buffer));
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    for (let k = 0; k + 1 < offsets.length; k++) {
      const lo = offsets[k]!;
      const hi = offsets[k + 1]!;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = lo; j < hi; j++) {
        const g = words ? -Math.log(-Math.log((words[row + j]! + 0.5) * 2.3283064365386963e-10)) : 0;
        z[j] = (x[row + j]! + g) / temperature;
        if (z[j]! > max) max = z[j]!;
      }
      let sum = 0;
      for (let j = lo; j < hi; j++) {
        z[j] = Math.exp(z[j]! - max);
        sum += z[j]!;
      }
      for (let j = lo; j < hi; j++) y[row + j] = z[j]! / sum;
    }
  }
  return y;
}

/**
 * The input gradient of {@link blockSoftmax} (the Gumbel noise is a constant shift of the input): per block,
 * dx_i = y_i (dy_i - sum_j y_j dy_j) / temperature.
 * @param y the forward's output [batch, width]
 * @param dy the gradient with respect to y
 */
export function blockSoftmaxBackward(
  y: Float32Array,
  dy: Float32Array,
  blocks: Blocks,
  temperature: number,
): Float32Array {
  const { offsets, width } = blocks;
  const batch = y.length / width;
  const dx = new Float32Array(y.length);
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    for (let k = 0; k + 1 < offsets.length; k++) {
      const lo = row + offsets[k]!;
      const hi = row + offsets[k + 1]!;
      let dot = 0;
      for (let j = lo; j < hi; j++) dot += y[j]! * dy[j]!;
      for (let j = lo; j < hi; j++) dx[j] = (y[j]! * (dy[j]! - dot)) / temperature;
    }
  }
  return dx;
}

/**
 * One code per block drawn from softmax(x) of that block (the Gumbel-max trick: argmax of x + Gumbel noise),
 * for every row.
 * @returns codes [batch][blocks] as one Int32Array per block
 */
export function sampleBlocks(x: Float32Array, blocks: Blocks, rng: Rng): Int32Array[] {
  const { offsets, width } = blocks;
  const batch = x.length / width;
  const out = Array.from({ length: offsets.length - 1 }, () => new Int32Array(batch));
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    out.forEach((codes, k) => {
      const lo = offsets[k]!;
      let best = 0;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let j = lo; j < offsets[k + 1]!; j++) {
        const v = x[row + j]! - Math.log(-Math.log(rng.uniformOpen()));
        if (v > bestValue) {
          bestValue = v;
          best = j - lo;
        }
      }
      codes[b] = best;
    });
  }
  return out;
}

/**
 * The one-hot of each block's largest entry (for a Gumbel-softmax output: a sample of the block's categorical
 * distribution). With `blockSoftmaxBackward` of the soft output as its gradient it is the straight-through
 * Gumbel-softmax estimator (Jang, Gu & Poole 2017, Sec. 2.2; PyTorch's `gumbel_softmax(hard=True)`).
 */
export function hardBlocks(y: Float32Array, blocks: Blocks): Float32Array {
  const { offsets, width } = blocks;
  const batch = y.length / width;
  const out = new Float32Array(y.length);
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    for (let k = 0; k + 1 < offsets.length; k++) {
      let best = row + offsets[k]!;
      for (let j = best + 1; j < row + offsets[k + 1]!; j++) if (y[j]! > y[best]!) best = j;
      out[best] = 1;
    }
  }
  return out;
}
