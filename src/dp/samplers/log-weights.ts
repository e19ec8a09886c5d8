/**
 * Sampling an index with probability proportional to exp(logWeights[i]), in log space (internal).
 *
 * Why not a plain inverse CDF: with weights summed in input order and a 53-bit uniform, any outcome whose
 * probability is below ~2^-53 (or that sits after a large partial sum) gets a probability that is wrong by up
 * to 2^-53 in absolute terms, i.e. arbitrarily wrong in relative terms, which is what a DP ratio bound cares
 * about. Here weights are normalised by the maximum (so the largest is 1 and nothing overflows), sorted in
 * ascending order and summed from the smallest, so every partial sum before outcome j is at most n times its
 * weight and each outcome's interval is exact up to a relative error of about n^2 2^-53; the uniform has full
 * precision near 0 ({@link uniformFullPrecision}), so tiny intervals are hit with their true probability.
 * Weights below e^-745 relative to the largest underflow to 0 and are never selected.
 */
import type { Rng } from '../../core/index.js';
import { uniformFullPrecision } from './bernoulli.js';

/** Normalised probabilities exp(logWeights[i] - logSumExp) (for reporting and tests). */
export function probabilitiesFromLogWeights(logWeights: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logWeights.length; i++) if (logWeights[i]! > max) max = logWeights[i]!;
  const out = new Float64Array(logWeights.length);
  let sum = 0;
  for (let i = 0; i < logWeights.length; i++) {
    out[i] = Math.exp(logWeights[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * An index i with probability exp(logWeights[i]) / sum_j exp(logWeights[j]). Entries may be -Infinity (never
 * chosen); at least one must be finite and none NaN or +Infinity (callers guarantee it).
 */
export function sampleFromLogWeights(logWeights: Float64Array, rng: Rng): number {
  const n = logWeights.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (logWeights[i]! > max) max = logWeights[i]!;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => logWeights[a]! - logWeights[b]! || a - b);
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    sum += Math.exp(logWeights[order[j]!]! - max);
    cumulative[j] = sum;
  }
  const target = uniformFullPrecision(rng) * sum;
  // First j with target < cumulative[j]; zero-weight entries never qualify.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (target < cumulative[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return order[lo]!;
}
