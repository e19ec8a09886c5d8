/**
 * Clipping strategies. Each turns the batch's per-example gradient norms into per-example weights (the clipped
 * sum is then one weighted sum per parameter) and reports the L2 sensitivity of that sum.
 *
 * - flat: one threshold C on the whole gradient (Abadi et al. 2016).
 * - per-layer: each parameterised layer l clipped to C_l = C / sqrt(L), so the whole gradient's sensitivity is
 *   sqrt(sum C_l^2) = C (McMahan et al. 2018).
 * - adaptive: C follows a target quantile of the norms (Andrew, Thakkar, McMahan & Ramaswamy 2021, "Differentially
 *   private learning with adaptive clipping", NeurIPS, arXiv:1905.03871): the fraction of unclipped examples is
 *   released with Gaussian noise sigma_b, and C <- C exp(-eta (b~ - gamma)). The two releases together are one
 *   Gaussian mechanism with noise multiplier z where z^-2 = sigma_grad^-2 + (2 sigma_b)^-2 (their Sec. 3.1), so
 *   the gradient noise multiplier is raised to sigma_grad = (z^-2 - (2 sigma_b)^-2)^-1/2 and the accountant is
 *   told z.
 */
import { assertPositive, InvalidParameterError, type Rng } from '../core/index.js';

/** How per-example gradients are clipped. */
export type ClippingSpec =
  | { readonly kind: 'flat'; readonly maxGradNorm: number }
  | { readonly kind: 'per-layer'; readonly maxGradNorm: number }
  | {
      readonly kind: 'adaptive';
      readonly initialMaxGradNorm: number;
      /** Target fraction of unclipped examples, default 0.5. */
      readonly targetQuantile?: number;
      /** Geometric learning rate of the threshold, default 0.2. */
      readonly learningRate?: number;
      /** Noise std of the unclipped-count release, in counts; default expected batch size / 20 (the paper's). */
      readonly countNoise?: number;
    }
  | { readonly kind: 'none' };

/** Validates a clipping spec. @throws {InvalidParameterError} naming the bad field */
export function checkClipping(fn: string, clipping: ClippingSpec): void {
  switch (clipping.kind) {
    case 'flat':
    case 'per-layer':
      assertPositive(fn, 'clipping.maxGradNorm', clipping.maxGradNorm);
      return;
    case 'adaptive':
      assertPositive(fn, 'clipping.initialMaxGradNorm', clipping.initialMaxGradNorm);
      if (
        clipping.targetQuantile !== undefined &&
        !(clipping.targetQuantile > 0 && clipping.targetQuantile < 1)
      ) {
        throw new InvalidParameterError({
          fn,
          param: 'clipping.targetQuantile',
          value: clipping.targetQuantile,
          allowed: 'a number in (0, 1)',
        });
      }
      if (clipping.learningRate !== undefined)
        assertPositive(fn, 'clipping.learningRate', clipping.learningRate);
      if (clipping.countNoise !== undefined) assertPositive(fn, 'clipping.countNoise', clipping.countNoise);
      return;
    case 'none':
      return;
    default:
      throw new InvalidParameterError({
        fn,
        param: 'clipping.kind',
        value: (clipping as { kind: unknown }).kind,
        allowed: "'flat', 'per-layer', 'adaptive' or 'none'",
      });
  }
}

/** The gradient noise multiplier that, with the count release, makes one Gaussian mechanism of multiplier z. */
export function adaptiveGradientNoise(z: number, countNoise: number): number {
  const rest = z ** -2 - (2 * countNoise) ** -2;
  if (!(rest > 0)) {
    throw new InvalidParameterError({
      fn: 'adaptiveClipping',
      param: 'clipping.countNoise',
      value: countNoise,
      allowed: `a count noise > z / 2 = ${z / 2} (the noise multiplier the budget allows is too small for adaptive clipping)`,
    });
  }
  return rest ** -0.5;
}

/** The count noise of an adaptive spec: given, or expected batch size / 20 (Andrew et al.'s default). */
export function countNoiseOf(spec: ClippingSpec & { kind: 'adaptive' }, expectedBatch: number): number {
  return spec.countNoise ?? expectedBatch / 20;
}

/** Mutable clipping threshold state of a training run. */
export class ClippingState {
  readonly spec: ClippingSpec;
  private threshold: number;

  constructor(spec: ClippingSpec) {
    this.spec = spec;
    this.threshold =
      spec.kind === 'flat' || spec.kind === 'per-layer'
        ? spec.maxGradNorm
        : spec.kind === 'adaptive'
          ? spec.initialMaxGradNorm
          : Number.POSITIVE_INFINITY;
  }

  /** The current total threshold C (the sensitivity of the clipped sum). */
  get maxGradNorm(): number {
    return this.threshold;
  }

  /**
   * Adaptive update after a step, from the number of the step's examples whose norm was within the threshold.
   * @returns the released (noisy) unclipped fraction
   */
  update(unclipped: number, batchSize: number, expectedBatch: number, rng: Rng): number {
    if (this.spec.kind !== 'adaptive') return Number.NaN;
    const gamma = this.spec.targetQuantile ?? 0.5;
    const eta = this.spec.learningRate ?? 0.2;
    const sigmaB = countNoiseOf(this.spec, expectedBatch);
    // Centred count sum(indicator - 1/2): adding or removing an example moves it by 1/2 (Andrew et al. Sec. 3.1).
    const noisy = (unclipped - 0.5 * batchSize + sigmaB * rng.normal()) / expectedBatch + 0.5;
    this.threshold *= Math.exp(-eta * (noisy - gamma));
    return noisy;
  }
}
