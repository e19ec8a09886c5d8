/**
 * The layer contract. A layer owns its forward and backward algebra (ARCHITECTURE decision 3): backward does
 * not return summed parameter gradients but {@link ParamGradient}s, which can give each example's squared
 * gradient norm and any weighted sum of the examples' gradients. DP-SGD asks for the norms, derives clipping
 * weights, and takes one weighted sum; non-private training takes the plain sum. No loop over examples runs a
 * separate backward pass.
 */
import type { Tensor } from '../tensor.js';

/** A trainable parameter; `value` is updated in place by optimizers. */
export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  value: Float32Array;
}

/** The gradient of one parameter over a batch, kept in factored form until asked. */
export interface ParamGradient {
  readonly param: Param;
  /** out[b] += || gradient of example b ||^2, for every example b of the batch. */
  addSquaredNorms(out: Float64Array): void;
  /** out += sum_b weights[b] * (gradient of example b); `weights` null means all ones (the plain sum). */
  accumulate(weights: Float32Array | null, out: Float32Array): void;
}

/** What forward returns: the output and whatever backward needs. */
export interface ForwardResult {
  readonly y: Tensor;
  readonly cache: unknown;
}

/** What backward returns: the input gradient (null when not asked) and the parameters' gradients. */
export interface BackwardResult {
  readonly dx: Tensor | null;
  readonly grads: readonly ParamGradient[];
}

/** A layer of a sequential model, built for a fixed per-example input shape. */
export interface Layer {
  /** The layer's type name, as in model specs. */
  readonly type: string;
  /** Per-example input shape (without the batch dimension). */
  readonly inputShape: readonly number[];
  /** Per-example output shape. */
  readonly outputShape: readonly number[];
  readonly params: readonly Param[];
  forward(x: Tensor, training: boolean): ForwardResult;
  /**
   * dy: gradient of each example's own loss with respect to this layer's output (not averaged over the batch).
   */
  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult;
}
