/**
 * Embedding: integer ids [L] (stored as float32) to vectors [L, dim]. Example b's gradient is sparse: row v of
 * the table gets the sum of the output gradients at the positions where b's id is v, so its squared norm is
 * sum over its distinct ids of ||that sum||^2 (computed per example over its L positions, never over the vocabulary).
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import { Tensor } from '../tensor.js';
import type { BackwardResult, ForwardResult, Layer, Param, ParamGradient } from './layer.js';

/** Options of an Embedding layer. */
export interface EmbeddingOptions {
  readonly inputDim: number;
  readonly outputDim: number;
}

/** An Embedding layer for per-example inputs [L] of ids in [0, inputDim). */
export class Embedding implements Layer {
  readonly type = 'embedding';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params: readonly Param[];
  readonly inputDim: number;
  readonly outputDim: number;

  constructor(options: EmbeddingOptions, inputShape: readonly number[], rng: Rng) {
    if (inputShape.length !== 1) {
      throw new InvalidParameterError({
        fn: 'Embedding',
        param: 'inputShape',
        value: inputShape,
        allowed: 'a sequence shape [length]',
      });
    }
    this.inputShape = inputShape;
    this.inputDim = options.inputDim;
    this.outputDim = options.outputDim;
    this.outputShape = [inputShape[0]!, options.outputDim];
    const table = new Float32Array(options.inputDim * options.outputDim);
    for (let i = 0; i < table.length; i++) table[i] = (2 * rng.uniform() - 1) * 0.05; // Keras' uniform(-0.05, 0.05)
    this.params = [{ name: 'embeddings', shape: [options.inputDim, options.outputDim], value: table }];
  }

  private ids(x: Tensor): Int32Array {
    const ids = new Int32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.inputDim) {
        throw new InvalidParameterError({
          fn: 'Embedding',
          param: `input[${i}]`,
          value: v,
          allowed: `an integer id in [0, ${this.inputDim})`,
        });
      }
      ids[i] = v;
    }
    return ids;
  }

  forward(x: Tensor): ForwardResult {
    const ids = this.ids(x);
    const d = this.outputDim;
    const table = this.params[0]!.value;
    const y = new Float32Array(ids.length * d);
    for (let t = 0; t < ids.length; t++) y.set(table.subarray(ids[t]! * d, ids[t]! * d + d), t * d);
    return { y: new Tensor([x.batch, ...this.outputShape], y), cache: { ids, batch: x.batch } };
  }

  backward(dy: Tensor, cache: unknown): BackwardResult {
    const { ids, batch } = cache as { ids: Int32Array; batch: number };
    const d = this.outputDim;
    const length = this.inputShape[0]!;
    const grad: ParamGradient = {
      param: this.params[0]!,
      addSquaredNorms(out) {
        const row = new Float64Array(d);
        for (let b = 0; b < batch; b++) {
          const seen = new Set<number>();
          let total = 0;
          for (let t = 0; t < length; t++) {
            const id = ids[b * length + t]!;
            if (seen.has(id)) continue;
            seen.add(id);
            row.fill(0);
            for (let s = t; s < length; s++) {
              if (ids[b * length + s] !== id) continue;
              const base = (b * length + s) * d;
              for (let j = 0; j < d; j++) row[j]! += dy.data[base + j]!;
            }
            for (let j = 0; j < d; j++) total += row[j]! * row[j]!;
          }
          out[b]! += total;
        }
      },
      accumulate(weights, out) {
        for (let b = 0; b < batch; b++) {
          const w = weights ? weights[b]! : 1;
          for (let t = 0; t < length; t++) {
            const dst = ids[b * length + t]! * d;
            const src = (b * length + t) * d;
            for (let j = 0; j < d; j++) out[dst + j]! += w * dy.data[src + j]!;
          }
        }
      },
    };
    return { dx: null, grads: [grad] };
  }
}
