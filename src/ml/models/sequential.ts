/**
 * A sequential model: layers built from a {@link ModelSpec} for a per-example input shape, a loss, and the
 * passes a trainer needs: forward, and backward from per-example loss gradients to {@link ParamGradient}s.
 */
import { InternalError, InvalidParameterError, type Rng } from '../../core/index.js';
import { allocF32, arenaGeneration, arenaReset } from '../kernels/wasm/runtime.js';
import { Activation } from '../layers/activation.js';
import { Conv2D } from '../layers/conv2d.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import type { Layer, Param, ParamGradient } from '../layers/layer.js';
import { GroupNorm, LayerNorm } from '../layers/normalization.js';
import { AvgPool2D, Flatten, MaxPool2D } from '../layers/pooling.js';
import { type LossKind, type LossResult, lossFunction } from '../losses/losses.js';
import { Tensor } from '../tensor.js';
import type { LayerSpec, ModelSpec } from './spec.js';

const pair = (v: number | readonly [number, number]): [number, number] =>
  typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** Builds one layer from its spec for a per-example input shape. */
export function buildLayer(spec: LayerSpec, inputShape: readonly number[], rng: Rng): Layer {
  switch (spec.type) {
    case 'dense':
      return new Dense(
        { units: spec.units, ...(spec.useBias === undefined ? {} : { useBias: spec.useBias }) },
        inputShape,
        rng,
      );
    case 'conv2d':
      return new Conv2D(
        {
          filters: spec.filters,
          kernelSize: pair(spec.kernelSize),
          strides: pair(spec.strides ?? 1),
          padding: spec.padding ?? 'valid',
          ...(spec.useBias === undefined ? {} : { useBias: spec.useBias }),
        },
        inputShape,
        rng,
      );
    case 'maxPool2d':
      return new MaxPool2D(
        {
          poolSize: pair(spec.poolSize),
          strides: pair(spec.strides ?? spec.poolSize),
          padding: spec.padding ?? 'valid',
        },
        inputShape,
      );
    case 'avgPool2d':
      return new AvgPool2D(
        {
          poolSize: pair(spec.poolSize),
          strides: pair(spec.strides ?? spec.poolSize),
          padding: spec.padding ?? 'valid',
        },
        inputShape,
      );
    case 'flatten':
      return new Flatten(inputShape);
    case 'activation':
      return new Activation(spec.activation, inputShape);
    case 'embedding':
      return new Embedding({ inputDim: spec.inputDim, outputDim: spec.outputDim }, inputShape, rng);
    case 'layerNorm':
      return new LayerNorm(spec.epsilon === undefined ? {} : { epsilon: spec.epsilon }, inputShape);
    case 'groupNorm':
      return new GroupNorm(
        { groups: spec.groups, ...(spec.epsilon === undefined ? {} : { epsilon: spec.epsilon }) },
        inputShape,
      );
  }
}

/** Forward state of a batch, for backward. */
export interface ForwardPass {
  readonly logits: Tensor;
  readonly caches: readonly unknown[];
}

/** A sequential model. */
export class SequentialModel {
  readonly spec: ModelSpec;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly layers: readonly Layer[];
  readonly loss: LossKind;
  private readonly lossFn: (logits: Tensor, labels: Int32Array) => LossResult;

  /**
   * @param spec the parsed model spec
   * @param inputShape per-example input shape, e.g. [784] or [28, 28, 1]
   * @param numClasses number of classes of the task
   * @param rng initialisation randomness (seeded for reproducible runs)
   */
  constructor(spec: ModelSpec, inputShape: readonly number[], numClasses: number, rng: Rng) {
    this.spec = spec;
    this.inputShape = Object.freeze([...inputShape]);
    this.numClasses = numClasses;
    this.loss = spec.loss;
    this.lossFn = lossFunction(spec.loss);
    const layers: Layer[] = [];
    let shape = this.inputShape;
    spec.layers.forEach((layerSpec) => {
      const layer = buildLayer(layerSpec, shape, rng);
      layers.push(layer);
      shape = layer.outputShape;
    });
    const width = shape.reduce((a, b) => a * b, 1);
    const expected = spec.loss === 'binary-cross-entropy' ? 1 : numClasses;
    if (shape.length !== 1 || width !== expected) {
      throw new InvalidParameterError({
        fn: 'SequentialModel',
        param: 'spec.layers',
        value: shape,
        allowed: `a final output of [${expected}] for ${spec.loss} with ${numClasses} classes`,
      });
    }
    this.layers = layers;
  }

  /** All trainable parameters, in layer order. */
  get params(): Param[] {
    return this.layers.flatMap((l) => [...l.params]);
  }

  /** Number of trainable scalars. */
  get parameterCount(): number {
    return this.params.reduce((n, p) => n + p.value.length, 0);
  }

  /**
   * Runs the layers on x [batch, ...inputShape]. The logits are a copy the caller owns (the engine's working
   * memory is reused by the next pass).
   */
  forward(x: Tensor, training = false): ForwardPass {
    const pass = this.run(x, training);
    return { logits: new Tensor(pass.logits.shape, Float32Array.from(pass.logits.data)), caches: [] };
  }

  /** Forward pass in the engine's arena (reset first: earlier passes' arrays become invalid). */
  private run(x: Tensor, training: boolean): ForwardPass {
    arenaReset();
    const caches: unknown[] = [];
    // the input moves into the kernels' memory once, instead of once per kernel that reads it
    const input = allocF32(x.size, false);
    input.set(x.data);
    let h = new Tensor(x.shape, input);
    for (const layer of this.layers) {
      const r = layer.forward(h, training);
      caches.push(r.cache);
      h = r.y;
    }
    return { logits: h, caches };
  }

  /**
   * Forward, loss and backward for a batch: per-example losses and, for every parameter, its gradient in
   * factored per-example form (aligned with {@link params}). The gradients are valid until the model's next
   * pass (they read the engine's reused working memory); using them later throws VEIL_INTERNAL.
   */
  lossAndGradients(x: Tensor, labels: Int32Array): { loss: LossResult; grads: ParamGradient[] } {
    const pass = this.run(x, true);
    const loss = this.lossFn(pass.logits, labels);
    const grads: ParamGradient[][] = [];
    let dy: Tensor | null = loss.dLogits;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const firstWithParams = this.layers.slice(0, i).every((l) => l.params.length === 0);
      const r = this.layers[i]!.backward(dy!, pass.caches[i], !firstWithParams);
      grads.unshift([...r.grads]);
      dy = r.dx;
      if (dy === null) break;
    }
    const generation = arenaGeneration();
    const live = (): void => {
      if (arenaGeneration() !== generation) {
        throw new InternalError('per-example gradients used after the next forward pass; consume them first');
      }
    };
    const checked = grads.flat().map(
      (g): ParamGradient => ({
        param: g.param,
        addSquaredNorms: (out) => {
          live();
          g.addSquaredNorms(out);
        },
        accumulate: (weights, out) => {
          live();
          g.accumulate(weights, out);
        },
      }),
    );
    return { loss, grads: checked };
  }

  /** Class predictions for x. */
  predict(x: Tensor): Int32Array {
    const { logits } = this.run(x, false);
    const batch = x.batch;
    const out = new Int32Array(batch);
    if (this.loss === 'binary-cross-entropy') {
      for (let b = 0; b < batch; b++) out[b] = logits.data[b]! > 0 ? 1 : 0;
      return out;
    }
    const k = this.numClasses;
    for (let b = 0; b < batch; b++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (logits.data[b * k + j]! > logits.data[b * k + best]!) best = j;
      out[b] = best;
    }
    return out;
  }
}
