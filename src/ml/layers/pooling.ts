/** Max and average pooling layers (no parameters). */
import { InvalidParameterError } from '../../core/index.js';
import { type Padding, type WindowGeometry, windowGeometry } from '../kernels/conv-geometry.js';
import { avgPoolBackward, avgPoolForward } from '../kernels/pool.js';
import {
  wasmMaxPoolBackward as maxPoolBackward,
  wasmMaxPoolForward as maxPoolForward,
} from '../kernels/wasm/runtime.js';
import { Tensor } from '../tensor.js';
import type { BackwardResult, ForwardResult, Layer } from './layer.js';

/** Options of a pooling layer. */
export interface PoolOptions {
  readonly poolSize: readonly [number, number];
  /** Default: the pool size (non-overlapping windows), as in Keras. */
  readonly strides?: readonly [number, number];
  readonly padding?: Padding;
}

abstract class Pool2D implements Layer {
  abstract readonly type: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params = [] as const;
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  protected readonly geometry: WindowGeometry;

  constructor(fn: string, options: PoolOptions, inputShape: readonly number[]) {
    if (inputShape.length !== 3) {
      throw new InvalidParameterError({
        fn,
        param: 'inputShape',
        value: inputShape,
        allowed: 'an image shape [height, width, channels]',
      });
    }
    this.inputShape = inputShape;
    this.poolSize = options.poolSize;
    this.strides = options.strides ?? options.poolSize;
    this.padding = options.padding ?? 'valid';
    this.geometry = windowGeometry(fn, inputShape, this.poolSize, this.strides, this.padding);
    this.outputShape = [this.geometry.outH, this.geometry.outW, inputShape[2]!];
  }

  abstract forward(x: Tensor, training: boolean): ForwardResult;
  abstract backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult;
}

/** Max pooling. */
export class MaxPool2D extends Pool2D {
  readonly type = 'maxPool2d';
  constructor(options: PoolOptions, inputShape: readonly number[]) {
    super('MaxPool2D', options, inputShape);
  }

  forward(x: Tensor): ForwardResult {
    const { y, argmax } = maxPoolForward(x.data, x.batch, this.geometry);
    return {
      y: new Tensor([x.batch, ...this.outputShape], y),
      cache: { argmax, inputSize: x.size, batch: x.batch },
    };
  }

  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult {
    if (!needInputGrad) return { dx: null, grads: [] };
    const { argmax, inputSize, batch } = cache as { argmax: Int32Array; inputSize: number; batch: number };
    return {
      dx: new Tensor([batch, ...this.inputShape], maxPoolBackward(dy.data, argmax, inputSize)),
      grads: [],
    };
  }
}

/** Average pooling. */
export class AvgPool2D extends Pool2D {
  readonly type = 'avgPool2d';
  constructor(options: PoolOptions, inputShape: readonly number[]) {
    super('AvgPool2D', options, inputShape);
  }

  forward(x: Tensor): ForwardResult {
    return {
      y: new Tensor([x.batch, ...this.outputShape], avgPoolForward(x.data, x.batch, this.geometry)),
      cache: x.batch,
    };
  }

  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult {
    if (!needInputGrad) return { dx: null, grads: [] };
    const batch = cache as number;
    return {
      dx: new Tensor([batch, ...this.inputShape], avgPoolBackward(dy.data, batch, this.geometry)),
      grads: [],
    };
  }
}

/** Flattens [H, W, C] (or any shape) into [H * W * C]. */
export class Flatten implements Layer {
  readonly type = 'flatten';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params = [] as const;

  constructor(inputShape: readonly number[]) {
    this.inputShape = inputShape;
    this.outputShape = [inputShape.reduce((a, b) => a * b, 1)];
  }

  forward(x: Tensor): ForwardResult {
    return { y: x.reshape([x.batch, this.outputShape[0]!]), cache: x.batch };
  }

  backward(dy: Tensor, cache: unknown, needInputGrad: boolean): BackwardResult {
    return { dx: needInputGrad ? dy.reshape([cache as number, ...this.inputShape]) : null, grads: [] };
  }
}
