/**
 * Element-wise activations. The tempered sigmoid s * sigmoid(T x) - o is the family Papernot et al. 2021
 * ("Tempered Sigmoid Activations for Deep Learning with Differential Privacy", AAAI, arXiv:2007.14191) found to
 * train better under DP than ReLU (bounded activations keep gradient norms small, so less is clipped away);
 * tanh is its member s = 2, T = 2, o = 1.
 */
import { InvalidParameterError } from '../../core/index.js';
import { wasmTanh, wasmTanhBackward } from '../kernels/wasm/runtime.js';
import { Tensor } from '../tensor.js';
import type { BackwardResult, ForwardResult, Layer } from './layer.js';

/** An activation function. */
export type ActivationSpec =
  | 'linear'
  | 'relu'
  | 'tanh'
  | 'sigmoid'
  | {
      readonly type: 'temperedSigmoid';
      readonly scale: number;
      readonly inverseTemperature: number;
      readonly offset: number;
    };

/** The tempered-sigmoid parameters that make it tanh. */
export const TANH_AS_TEMPERED = Object.freeze({ scale: 2, inverseTemperature: 2, offset: 1 });

/** tanh caches its output tensor data in the forward result's y; see forward. */
function cachedOutput(cache: unknown): Float32Array {
  return (cache as { out: Float32Array }).out;
}

/** An activation as a layer. */
export class Activation implements Layer {
  readonly type = 'activation';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params = [] as const;
  readonly activation: ActivationSpec;

  constructor(activation: ActivationSpec, inputShape: readonly number[]) {
    if (typeof activation === 'object') {
      for (const key of ['scale', 'inverseTemperature', 'offset'] as const) {
        const v = activation[key];
        if (typeof v !== 'number' || !Number.isFinite(v) || (key !== 'offset' && v <= 0)) {
          throw new InvalidParameterError({
            fn: 'Activation',
            param: `temperedSigmoid.${key}`,
            value: v,
            allowed: key === 'offset' ? 'a finite number' : 'a finite number > 0',
          });
        }
      }
    }
    this.activation = activation;
    this.inputShape = inputShape;
    this.outputShape = inputShape;
  }

  forward(x: Tensor): ForwardResult {
    const src = x.data;
    const a = this.activation;
    if (a === 'tanh') {
      const out = wasmTanh(src);
      return { y: new Tensor(x.shape, out), cache: { x, y: null, out } };
    }
    const y = new Float32Array(src.length);
    if (a === 'linear') y.set(src);
    else if (a === 'relu') for (let i = 0; i < src.length; i++) y[i] = src[i]! > 0 ? src[i]! : 0;
    else if (a === 'sigmoid') for (let i = 0; i < src.length; i++) y[i] = 1 / (1 + Math.exp(-src[i]!));
    else {
      const { scale, inverseTemperature, offset } = a;
      for (let i = 0; i < src.length; i++)
        y[i] = scale / (1 + Math.exp(-inverseTemperature * src[i]!)) - offset;
    }
    return { y: new Tensor(x.shape, y), cache: { x, y } };
  }

  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult {
    if (!needInputGrad) return { dx: null, grads: [] };
    const { x, y: cached } = cache as { x: Tensor; y: Float32Array | null };
    if (this.activation === 'tanh')
      return { dx: new Tensor(x.shape, wasmTanhBackward(dy.data, cachedOutput(cache))), grads: [] };
    const y = cached!;
    const g = dy.data;
    const dx = new Float32Array(g.length);
    const a = this.activation;
    if (a === 'linear') dx.set(g);
    else if (a === 'relu') for (let i = 0; i < g.length; i++) dx[i] = x.data[i]! > 0 ? g[i]! : 0;
    else if (a === 'sigmoid') for (let i = 0; i < g.length; i++) dx[i] = g[i]! * y[i]! * (1 - y[i]!);
    else {
      // y = s * sig(T x) - o  =>  dy/dx = T * s * sig (1 - sig), sig = (y + o) / s
      const { scale, inverseTemperature, offset } = a;
      for (let i = 0; i < g.length; i++) {
        const sig = (y[i]! + offset) / scale;
        dx[i] = g[i]! * inverseTemperature * scale * sig * (1 - sig);
      }
    }
    return { dx: new Tensor(x.shape, dx), grads: [] };
  }
}
