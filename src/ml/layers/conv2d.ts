/**
 * 2-D convolution over NHWC inputs, kernel HWIO [kh, kw, cin, cout], as in TensorFlow/Keras.
 *
 * Forward: U = im2col(x) [B * P, kh * kw * cin], y = U W + b (one product). Backward: dU = dY W^T, dx =
 * col2im(dU). Parameter gradients: example b's weight gradient is U_b^T dY_b (its P patch rows); DP-SGD needs
 * each example's norm, so the per-example gradients come from one batched product over the unfolded patches
 * (the same arithmetic as the summed gradient U^T dY, no loop of backward passes) and the clipped sum is their
 * weighted sum. Non-private training takes U^T dY directly.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import { type Padding, type WindowGeometry, windowGeometry } from '../kernels/conv-geometry.js';
import {
  wasmAccumulateWeighted as accumulateWeighted,
  wasmAddRowSquaredNorms as addRowSquaredNorms,
  wasmBatchedProductTN as batchedProductTN,
  wasmCol2im as col2im,
  wasmGemm as gemm,
  wasmIm2col as im2col,
  wasmTranspose as transpose2d,
} from '../kernels/wasm/runtime.js';
import { Tensor } from '../tensor.js';
import { glorotUniform } from './init.js';
import type { BackwardResult, ForwardResult, Layer, Param, ParamGradient } from './layer.js';

/** Options of a Conv2D layer. */
export interface Conv2DOptions {
  readonly filters: number;
  readonly kernelSize: readonly [number, number];
  readonly strides?: readonly [number, number];
  readonly padding?: Padding;
  readonly useBias?: boolean;
}

interface ConvCache {
  readonly batch: number;
  readonly u: Float32Array;
}

/** A Conv2D layer for per-example inputs [H, W, C]. */
export class Conv2D implements Layer {
  readonly type = 'conv2d';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params: readonly Param[];
  readonly filters: number;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  readonly useBias: boolean;
  private readonly geometry: WindowGeometry;
  private readonly patch: number;
  private readonly positions: number;

  constructor(options: Conv2DOptions, inputShape: readonly number[], rng: Rng) {
    if (inputShape.length !== 3) {
      throw new InvalidParameterError({
        fn: 'Conv2D',
        param: 'inputShape',
        value: inputShape,
        allowed: 'an image shape [height, width, channels]',
      });
    }
    this.inputShape = inputShape;
    this.filters = options.filters;
    this.kernelSize = options.kernelSize;
    this.strides = options.strides ?? [1, 1];
    this.padding = options.padding ?? 'valid';
    this.useBias = options.useBias ?? true;
    this.geometry = windowGeometry('Conv2D', inputShape, this.kernelSize, this.strides, this.padding);
    const cin = inputShape[2]!;
    this.patch = this.kernelSize[0] * this.kernelSize[1] * cin;
    this.positions = this.geometry.outH * this.geometry.outW;
    this.outputShape = [this.geometry.outH, this.geometry.outW, this.filters];
    const receptive = this.kernelSize[0] * this.kernelSize[1];
    const kernel: Param = {
      name: 'kernel',
      shape: [this.kernelSize[0], this.kernelSize[1], cin, this.filters],
      value: glorotUniform(this.patch * this.filters, receptive * cin, receptive * this.filters, rng),
    };
    this.params = this.useBias
      ? [kernel, { name: 'bias', shape: [this.filters], value: new Float32Array(this.filters) }]
      : [kernel];
  }

  forward(x: Tensor, _training: boolean): ForwardResult {
    const batch = x.batch;
    const u = im2col(x.data, batch, this.geometry);
    const rows = batch * this.positions;
    const y = gemm(u, this.params[0]!.value, rows, this.patch, this.filters);
    if (this.useBias) {
      const bias = this.params[1]!.value;
      for (let r = 0; r < rows; r++) {
        const base = r * this.filters;
        for (let j = 0; j < this.filters; j++) y[base + j]! += bias[j]!;
      }
    }
    return { y: new Tensor([batch, ...this.outputShape], y), cache: { batch, u } satisfies ConvCache };
  }

  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult {
    const { batch, u } = cache as ConvCache;
    const p = this.positions;
    const k = this.patch;
    const c = this.filters;
    const rows = batch * p;
    const kernel = this.params[0]!;
    let dx: Tensor | null = null;
    if (needInputGrad) {
      const du = gemm(dy.data, transpose2d(kernel.value, k, c), rows, c, k);
      dx = new Tensor([batch, ...this.inputShape], col2im(du, batch, this.geometry));
    }
    let perExample: Float32Array | null = null;
    const perExampleGradients = () => {
      perExample ??= batchedProductTN(u, dy.data, batch, p, k, c);
      return perExample;
    };
    const weightGrad: ParamGradient = {
      param: kernel,
      addSquaredNorms(out) {
        addRowSquaredNorms(perExampleGradients(), batch, k * c, out);
      },
      accumulate(weights, out) {
        if (weights === null && perExample === null) {
          // the plain sum U^T dY: the batched product with all rows as one "example"
          accumulateWeighted(batchedProductTN(u, dy.data, 1, rows, k, c), 1, k * c, null, out);
          return;
        }
        accumulateWeighted(perExampleGradients(), batch, k * c, weights, out);
      },
    };
    if (!this.useBias) return { dx, grads: [weightGrad] };
    let biasPerExample: Float32Array | null = null;
    const biasGradients = () => {
      if (biasPerExample) return biasPerExample;
      const g = new Float32Array(batch * c);
      for (let b = 0; b < batch; b++) {
        for (let r = 0; r < p; r++) {
          const src = (b * p + r) * c;
          for (let j = 0; j < c; j++) g[b * c + j]! += dy.data[src + j]!;
        }
      }
      biasPerExample = g;
      return g;
    };
    const biasGrad: ParamGradient = {
      param: this.params[1]!,
      addSquaredNorms(out) {
        addRowSquaredNorms(biasGradients(), batch, c, out);
      },
      accumulate(weights, out) {
        accumulateWeighted(biasGradients(), batch, c, weights, out);
      },
    };
    return { dx, grads: [weightGrad, biasGrad] };
  }
}
