/**
 * Optimizers over a model's parameters. They only see the (already privatised) gradient, so any optimizer is
 * post-processing of the DP-SGD release: DP-Adam is Adam applied to the noisy clipped mean gradient.
 */
import { assertNonNegative, assertPositive, InvalidParameterError } from '../../core/index.js';
import type { Param } from '../layers/layer.js';

/** Optimizer settings. */
export type OptimizerSpec =
  | { readonly kind: 'sgd'; readonly learningRate: number; readonly momentum?: number }
  | {
      readonly kind: 'adam';
      readonly learningRate: number;
      readonly beta1?: number;
      readonly beta2?: number;
      readonly epsilon?: number;
    };

/** Applies one update given one gradient per parameter (same order as the params). */
export interface Optimizer {
  readonly spec: OptimizerSpec;
  step(params: readonly Param[], grads: readonly Float32Array[]): void;
}

function checkBeta(fn: string, name: string, v: number): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1))
    throw new InvalidParameterError({ fn, param: name, value: v, allowed: 'a number in [0, 1)' });
}

/**
 * SGD with heavy-ball momentum as PyTorch defines it: v = mu v + g, p -= lr v.
 * Adam (Kingma & Ba 2015) with bias correction.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a learning rate <= 0 or a beta outside [0, 1)
 */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  const fn = 'createOptimizer';
  assertPositive(fn, 'learningRate', spec.learningRate);
  if (spec.kind === 'sgd') {
    const momentum = spec.momentum ?? 0;
    assertNonNegative(fn, 'momentum', momentum);
    checkBeta(fn, 'momentum', momentum);
    let velocity: Float32Array[] | null = null;
    return {
      spec,
      step(params, grads) {
        const lr = spec.learningRate;
        if (momentum === 0) {
          params.forEach((p, i) => {
            const g = grads[i]!;
            for (let j = 0; j < g.length; j++) p.value[j]! -= lr * g[j]!;
          });
          return;
        }
        velocity ??= params.map((p) => new Float32Array(p.value.length));
        params.forEach((p, i) => {
          const g = grads[i]!;
          const v = velocity![i]!;
          for (let j = 0; j < g.length; j++) {
            v[j] = momentum * v[j]! + g[j]!;
            p.value[j]! -= lr * v[j]!;
          }
        });
      },
    };
  }
  const beta1 = spec.beta1 ?? 0.9;
  const beta2 = spec.beta2 ?? 0.999;
  const eps = spec.epsilon ?? 1e-8;
  checkBeta(fn, 'beta1', beta1);
  checkBeta(fn, 'beta2', beta2);
  assertPositive(fn, 'epsilon', eps);
  let m: Float32Array[] | null = null;
  let v: Float32Array[] | null = null;
  let t = 0;
  return {
    spec,
    step(params, grads) {
      m ??= params.map((p) => new Float32Array(p.value.length));
      v ??= params.map((p) => new Float32Array(p.value.length));
      t += 1;
      const c1 = 1 - beta1 ** t;
      const c2 = 1 - beta2 ** t;
      const lr = spec.learningRate;
      params.forEach((p, i) => {
        const g = grads[i]!;
        const mi = m![i]!;
        const vi = v![i]!;
        for (let j = 0; j < g.length; j++) {
          mi[j] = beta1 * mi[j]! + (1 - beta1) * g[j]!;
          vi[j] = beta2 * vi[j]! + (1 - beta2) * g[j]! * g[j]!;
          p.value[j]! -= (lr * (mi[j]! / c1)) / (Math.sqrt(vi[j]! / c2) + eps);
        }
      });
    },
  };
}
