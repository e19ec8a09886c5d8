/**
 * Robust federated aggregation (RFA): the geometric median of the deltas by the smoothed Weiszfeld algorithm
 * (Pillutla, Kakade & Harchaoui 2022, "Robust aggregation for federated learning", IEEE Trans. Signal
 * Processing, arXiv:1912.13445, Alg. 2).
 */
import { assertInteger, assertNonNegative, assertOneOf, assertPositive } from '../../core/index.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { checkUpdates, idsOf, weightedAverage } from './_vector.js';
import type { AggregatorOutput, Weighting } from './types.js';

/** Options of {@link geometricMedian}. */
export interface GeometricMedianOptions {
  /** nu > 0, the smoothing: distances below nu count as nu (no division by zero). Default 1e-6. */
  readonly smoothing?: number;
  /** Weiszfeld steps at most (>= 1). Default 10 (the paper finds that a few suffice). */
  readonly maxIterations?: number;
  /** Stop when the objective's relative decrease falls below this (>= 0). Default 1e-6. */
  readonly tolerance?: number;
  /**
   * `'uniform'` (default): alpha_i = 1. `'examples'`: alpha_i = n_i as in the paper, which trusts the
   * self-reported counts (a Byzantine node that claims a huge count then owns the median).
   */
  readonly weighting?: Weighting;
}

const WEIGHTINGS: readonly Weighting[] = ['examples', 'uniform'];

/** Checks the options. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkGeometricMedianOptions(fn: string, options: GeometricMedianOptions, prefix = ''): void {
  const { smoothing, maxIterations, tolerance, weighting } = options;
  if (smoothing !== undefined) assertPositive(fn, `${prefix}smoothing`, smoothing);
  if (maxIterations !== undefined) assertInteger(fn, `${prefix}maxIterations`, maxIterations, 1);
  if (tolerance !== undefined) assertNonNegative(fn, `${prefix}tolerance`, tolerance);
  if (weighting !== undefined) assertOneOf(fn, `${prefix}weighting`, weighting, WEIGHTINGS);
}

/**
 * The (approximate) geometric median z = argmin_z sum_i alpha_i ||z - w_i||, by smoothed Weiszfeld steps
 * from the weighted mean: beta_i = alpha_i / max(nu, ||z - w_i||), z <- sum_i beta_i w_i / sum_i beta_i
 * (Pillutla et al. 2022, Alg. 2).
 *
 * Breakdown point 1/2: the geometric median stays bounded as long as the Byzantine weight is below half of
 * the total weight (with uniform weights: f < n / 2). Needs n >= 1; cost O(n d) per step.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options, an empty list or mismatched lengths
 */
export function geometricMedian(
  updates: readonly ClientUpdate[],
  options: GeometricMedianOptions = {},
): AggregatorOutput {
  const fn = 'geometricMedian';
  checkGeometricMedianOptions(fn, options);
  const length = checkUpdates(fn, updates);
  const nu = options.smoothing ?? 1e-6;
  const maxIterations = options.maxIterations ?? 10;
  const tolerance = options.tolerance ?? 1e-6;
  const n = updates.length;
  const deltas = updates.map((u) => u.delta);
  const alpha = Float64Array.from(updates, (u) =>
    (options.weighting ?? 'uniform') === 'examples' ? u.numExamples : 1,
  );
  let z = weightedAverage(deltas, alpha);
  const beta = new Float64Array(n);
  let previous = Number.POSITIVE_INFINITY;
  for (let step = 0; step < maxIterations; step++) {
    let objective = 0;
    for (let k = 0; k < n; k++) {
      const w = deltas[k]!;
      let s = 0;
      for (let i = 0; i < length; i++) {
        const d = z[i]! - w[i]!;
        s += d * d;
      }
      const distance = Math.sqrt(s);
      objective += alpha[k]! * distance;
      beta[k] = alpha[k]! / Math.max(nu, distance); // Pillutla et al. 2022, Alg. 2, line 4
    }
    if (previous - objective <= tolerance * objective) break;
    previous = objective;
    z = weightedAverage(deltas, beta); // Alg. 2, line 5
  }
  return { delta: Float32Array.from(z), used: idsOf(updates), rejected: [] };
}
