/**
 * A multi-layer perceptron over the engine's layers (`veil/ml`'s dense and activation layers, WebAssembly
 * kernels): forward with caches, and backward from a per-example output gradient to the per-example parameter
 * gradients (factored, for clipping) and the input gradient (to carry the discriminator's gradient back into
 * the generator). `SequentialModel` fixes the loss and never returns the first layer's input gradient, which a
 * GAN needs, so the GAN drives the layers itself.
 *
 * Working memory: the layers write their outputs in the engine's arena, which only `arenaReset` frees. The GAN
 * calls {@link beginPass} at the start of every step, after which every array and gradient of earlier steps is
 * invalid (a GAN step runs the generator and the discriminator in the same arena generation).
 */
import type { Rng } from '../../core/index.js';
import {
  arenaReset,
  buildLayer,
  type Layer,
  type Param,
  type ParamGradient,
  Tensor,
} from '../../ml/index.js';

/** The shape of an MLP: inputs → hidden layers (each followed by the activation) → outputs (linear). */
export interface MlpSpec {
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly outputs: number;
  readonly activation: 'relu' | 'tanh';
}

/** What a forward pass leaves for backward. */
export interface MlpPass {
  readonly y: Float32Array;
  readonly batch: number;
  readonly caches: readonly unknown[];
}

/** Frees the engine's working memory: arrays and gradients from earlier passes become invalid. */
export function beginPass(): void {
  arenaReset();
}

/** An MLP on the engine's layers. */
export class Mlp {
  readonly spec: MlpSpec;
  readonly layers: readonly Layer[];
  readonly params: readonly Param[];

  /** @param rng the initialisation's randomness (Glorot uniform; not a privacy mechanism) */
  constructor(spec: MlpSpec, rng: Rng) {
    this.spec = spec;
    const layers: Layer[] = [];
    let width = spec.inputs;
    for (const units of spec.hidden) {
      layers.push(buildLayer({ type: 'dense', units }, [width], rng));
      layers.push(buildLayer({ type: 'activation', activation: spec.activation }, [units], rng));
      width = units;
    }
    layers.push(buildLayer({ type: 'dense', units: spec.outputs }, [width], rng));
    this.layers = layers;
    this.params = layers.flatMap((l) => [...l.params]);
  }

  /** Number of trainable scalars. */
  get parameterCount(): number {
    return this.params.reduce((n, p) => n + p.value.length, 0);
  }

  /** The outputs [batch, outputs] for inputs x [batch, inputs]. */
  forward(x: Float32Array, batch: number): MlpPass {
    const caches: unknown[] = [];
    let h = new Tensor([batch, this.spec.inputs], x);
    for (const layer of this.layers) {
      const r = layer.forward(h, true);
      caches.push(r.cache);
      h = r.y;
    }
    return { y: h.data, batch, caches };
  }

  /**
   * Backward from dy [batch, outputs], the gradient of each example's own loss with respect to its output.
   * @returns the parameters' gradients (aligned with {@link params}) and, when asked, dx [batch, inputs]
   */
  backward(
    pass: MlpPass,
    dy: Float32Array,
    needInputGrad: boolean,
  ): { readonly dx: Float32Array | null; readonly grads: readonly ParamGradient[] } {
    const grads: ParamGradient[][] = [];
    let d = new Tensor([pass.batch, this.spec.outputs], dy);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const r = this.layers[i]!.backward(d, pass.caches[i], i > 0 || needInputGrad);
      grads.unshift([...r.grads]);
      if (r.dx === null) return { dx: null, grads: grads.flat() };
      d = r.dx;
    }
    return { dx: d.data, grads: grads.flat() };
  }
}
