/**
 * Normalisation layers that act on each example alone, so per-example gradients stay per-example:
 * LayerNorm (Ba, Kiros & Hinton 2016; over the last axis, as Keras' default) and GroupNorm (Wu & He 2018).
 * BatchNorm is refused by the model builder: it mixes the examples of a batch, so one example's gradient
 * depends on the others and per-example clipping no longer bounds its influence.
 *
 * Both have gamma and beta per channel; example b's gradients are sum(dy * xhat) and sum(dy) over its positions.
 */
import { InvalidParameterError } from '../../core/index.js';
import { accumulateWeighted, addRowSquaredNorms } from '../kernels/per-example.js';
import { Tensor } from '../tensor.js';
import type { BackwardResult, ForwardResult, Layer, Param, ParamGradient } from './layer.js';

interface NormCache {
  readonly batch: number;
  readonly xhat: Float32Array;
  /** 1 / sqrt(var + eps) per normalised set. */
  readonly invStd: Float32Array;
}

/** The layout: per example, `positions` rows of `channels`; sets = (example, position-or-group). */
abstract class Normalization implements Layer {
  abstract readonly type: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params: readonly Param[];
  readonly epsilon: number;
  protected readonly channels: number;
  protected readonly positions: number;

  constructor(fn: string, inputShape: readonly number[], epsilon: number | undefined) {
    const eps = epsilon ?? 1e-3;
    if (!(eps > 0) || !Number.isFinite(eps)) {
      throw new InvalidParameterError({
        fn,
        param: 'epsilon',
        value: epsilon,
        allowed: 'a finite number > 0',
      });
    }
    this.epsilon = eps;
    this.inputShape = inputShape;
    this.outputShape = inputShape;
    this.channels = inputShape[inputShape.length - 1]!;
    this.positions = inputShape.reduce((a, b) => a * b, 1) / this.channels;
    this.params = [
      { name: 'gamma', shape: [this.channels], value: new Float32Array(this.channels).fill(1) },
      { name: 'beta', shape: [this.channels], value: new Float32Array(this.channels) },
    ];
  }

  /** Group of channel c (LayerNorm: one group per position; GroupNorm: channel groups). */
  protected abstract setOf(position: number, channel: number): number;
  protected abstract readonly setsPerExample: number;

  forward(x: Tensor): ForwardResult {
    const batch = x.batch;
    const { channels: c, positions: p } = this;
    const sets = batch * this.setsPerExample;
    const sum = new Float64Array(sets);
    const sumSq = new Float64Array(sets);
    const count = new Float64Array(sets);
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < p; s++) {
        const base = (b * p + s) * c;
        for (let ch = 0; ch < c; ch++) {
          const set = b * this.setsPerExample + this.setOf(s, ch);
          const v = x.data[base + ch]!;
          sum[set]! += v;
          sumSq[set]! += v * v;
          count[set]! += 1;
        }
      }
    }
    const mean = new Float64Array(sets);
    const invStd = new Float32Array(sets);
    for (let i = 0; i < sets; i++) {
      mean[i] = sum[i]! / count[i]!;
      const variance = Math.max(0, sumSq[i]! / count[i]! - mean[i]! * mean[i]!);
      invStd[i] = 1 / Math.sqrt(variance + this.epsilon);
    }
    const gamma = this.params[0]!.value;
    const beta = this.params[1]!.value;
    const xhat = new Float32Array(x.size);
    const y = new Float32Array(x.size);
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < p; s++) {
        const base = (b * p + s) * c;
        for (let ch = 0; ch < c; ch++) {
          const set = b * this.setsPerExample + this.setOf(s, ch);
          const h = (x.data[base + ch]! - mean[set]!) * invStd[set]!;
          xhat[base + ch] = h;
          y[base + ch] = gamma[ch]! * h + beta[ch]!;
        }
      }
    }
    return { y: new Tensor(x.shape, y), cache: { batch, xhat, invStd } satisfies NormCache };
  }

  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult {
    const { batch, xhat, invStd } = cache as NormCache;
    const { channels: c, positions: p } = this;
    const gamma = this.params[0]!.value;
    // per-example gradients of gamma and beta: [batch, c] each
    const gGamma = new Float32Array(batch * c);
    const gBeta = new Float32Array(batch * c);
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < p; s++) {
        const base = (b * p + s) * c;
        for (let ch = 0; ch < c; ch++) {
          gGamma[b * c + ch]! += dy.data[base + ch]! * xhat[base + ch]!;
          gBeta[b * c + ch]! += dy.data[base + ch]!;
        }
      }
    }
    let dx: Tensor | null = null;
    if (needInputGrad) {
      // dxhat = dy * gamma; dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) over each set
      const sets = batch * this.setsPerExample;
      const m1 = new Float64Array(sets);
      const m2 = new Float64Array(sets);
      const count = new Float64Array(sets);
      for (let b = 0; b < batch; b++) {
        for (let s = 0; s < p; s++) {
          const base = (b * p + s) * c;
          for (let ch = 0; ch < c; ch++) {
            const set = b * this.setsPerExample + this.setOf(s, ch);
            const d = dy.data[base + ch]! * gamma[ch]!;
            m1[set]! += d;
            m2[set]! += d * xhat[base + ch]!;
            count[set]! += 1;
          }
        }
      }
      const out = new Float32Array(dy.size);
      for (let b = 0; b < batch; b++) {
        for (let s = 0; s < p; s++) {
          const base = (b * p + s) * c;
          for (let ch = 0; ch < c; ch++) {
            const set = b * this.setsPerExample + this.setOf(s, ch);
            const d = dy.data[base + ch]! * gamma[ch]!;
            out[base + ch] =
              invStd[set]! * (d - m1[set]! / count[set]! - (xhat[base + ch]! * m2[set]!) / count[set]!);
          }
        }
      }
      dx = new Tensor(dy.shape, out);
    }
    const perExample = (param: Param, g: Float32Array): ParamGradient => ({
      param,
      addSquaredNorms: (out) => addRowSquaredNorms(g, batch, c, out),
      accumulate: (weights, out) => accumulateWeighted(g, batch, c, weights, out),
    });
    return { dx, grads: [perExample(this.params[0]!, gGamma), perExample(this.params[1]!, gBeta)] };
  }
}

/** Layer normalisation over the last axis. */
export class LayerNorm extends Normalization {
  readonly type = 'layerNorm';
  protected readonly setsPerExample: number;
  constructor(options: { readonly epsilon?: number }, inputShape: readonly number[]) {
    super('LayerNorm', inputShape, options.epsilon);
    this.setsPerExample = this.positions;
  }
  protected setOf(position: number): number {
    return position;
  }
}

/** Group normalisation: channels split into `groups`, each normalised over all positions of the example. */
export class GroupNorm extends Normalization {
  readonly type = 'groupNorm';
  readonly groups: number;
  protected readonly setsPerExample: number;
  private readonly perGroup: number;
  constructor(
    options: { readonly groups: number; readonly epsilon?: number },
    inputShape: readonly number[],
  ) {
    super('GroupNorm', inputShape, options.epsilon);
    const channels = inputShape[inputShape.length - 1]!;
    if (!Number.isInteger(options.groups) || options.groups < 1 || channels % options.groups !== 0) {
      throw new InvalidParameterError({
        fn: 'GroupNorm',
        param: 'groups',
        value: options.groups,
        allowed: `a positive divisor of the channel count ${channels}`,
      });
    }
    this.groups = options.groups;
    this.setsPerExample = options.groups;
    this.perGroup = channels / options.groups;
  }
  protected setOf(_position: number, channel: number): number {
    return Math.floor(channel / this.perGroup);
  }
}
