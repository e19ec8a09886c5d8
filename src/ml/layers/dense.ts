/**
 * Dense (fully connected) layer: y = x W + b, W [in, out]. Per-example gradients are outer products
 * a_b delta_b^T, so ||g_b||^2 = ||a_b||^2 ||delta_b||^2 (ghost norms: Goodfellow 2015, "Efficient per-example
 * gradient computations", arXiv:1510.01799; Li et al. 2021, arXiv:2110.05679) and the weighted sum is
 * A^T (w * Delta): one matrix product. Nothing per example is materialised.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import {
  wasmAccumulateWeighted as accumulateWeighted,
  wasmAddRowSquaredNorms as addRowSquaredNorms,
  wasmGemm as gemm,
  wasmGemmAccumulate as gemmAccumulate,
  wasmScaleRows as scaleRows,
  wasmTranspose as transpose2d,
} from '../kernels/wasm/runtime.js';
import { Tensor } from '../tensor.js';
import { glorotUniform } from './init.js';
import type { BackwardResult, ForwardResult, Layer, Param, ParamGradient } from './layer.js';

/** Options of a Dense layer. */
export interface DenseOptions {
  readonly units: number;
  readonly useBias?: boolean;
}

interface DenseCache {
  readonly x: Tensor;
}

/** A Dense layer over a flat per-example input [in]. */
export class Dense implements Layer {
  readonly type = 'dense';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params: readonly Param[];
  readonly units: number;
  readonly useBias: boolean;
  private readonly inputs: number;

  constructor(options: DenseOptions, inputShape: readonly number[], rng: Rng) {
    if (inputShape.length !== 1) {
      throw new InvalidParameterError({
        fn: 'Dense',
        param: 'inputShape',
        value: inputShape,
        allowed: 'a flat input [features]: add a flatten layer before dense',
      });
    }
    this.inputShape = inputShape;
    this.inputs = inputShape[0]!;
    this.units = options.units;
    this.useBias = options.useBias ?? true;
    this.outputShape = [options.units];
    const w: Param = {
      name: 'kernel',
      shape: [this.inputs, this.units],
      value: glorotUniform(this.inputs * this.units, this.inputs, this.units, rng),
    };
    this.params = this.useBias
      ? [w, { name: 'bias', shape: [this.units], value: new Float32Array(this.units) }]
      : [w];
  }

  forward(x: Tensor, _training: boolean): ForwardResult {
    const batch = x.batch;
    const y = gemm(x.data, this.params[0]!.value, batch, this.inputs, this.units);
    if (this.useBias) {
      const bias = this.params[1]!.value;
      for (let b = 0; b < batch; b++) {
        const base = b * this.units;
        for (let j = 0; j < this.units; j++) y[base + j]! += bias[j]!;
      }
    }
    return { y: new Tensor([batch, this.units], y), cache: { x } satisfies DenseCache };
  }

  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult {
    const { x } = cache as DenseCache;
    const batch = x.batch;
    const inputs = this.inputs;
    const units = this.units;
    const kernel = this.params[0]!;
    let dx: Tensor | null = null;
    if (needInputGrad) {
      const wT = transpose2d(kernel.value, inputs, units);
      dx = new Tensor([batch, inputs], gemm(dy.data, wT, batch, units, inputs));
    }
    let xNorms: Float64Array | null = null;
    let dyNorms: Float64Array | null = null;
    const weightGrad: ParamGradient = {
      param: kernel,
      addSquaredNorms(out) {
        if (!xNorms) {
          xNorms = new Float64Array(batch);
          addRowSquaredNorms(x.data, batch, inputs, xNorms);
        }
        if (!dyNorms) {
          dyNorms = new Float64Array(batch);
          addRowSquaredNorms(dy.data, batch, units, dyNorms);
        }
        for (let b = 0; b < batch; b++) out[b]! += xNorms[b]! * dyNorms[b]!;
      },
      accumulate(weights, out) {
        const xT = transpose2d(x.data, batch, inputs);
        const d = weights ? scaleRows(dy.data, weights, 1, units) : dy.data;
        gemmAccumulate(xT, d, inputs, batch, units, out);
      },
    };
    if (!this.useBias) return { dx, grads: [weightGrad] };
    const biasGrad: ParamGradient = {
      param: this.params[1]!,
      addSquaredNorms(out) {
        addRowSquaredNorms(dy.data, batch, units, out);
      },
      accumulate(weights, out) {
        accumulateWeighted(dy.data, batch, units, weights, out);
      },
    };
    return { dx, grads: [weightGrad, biasGrad] };
  }
}
