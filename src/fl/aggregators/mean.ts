/**
 * Mean aggregators: the FedAvg weighted mean, and norm bounding (each delta clipped to a fixed L2 norm before
 * the mean).
 */
import { assertOneOf, assertPositive } from '../../core/index.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { checkUpdates, idsOf, l2Norm, weightedAverage } from './_vector.js';
import type { AggregatorOutput, Weighting } from './types.js';

const WEIGHTINGS: readonly Weighting[] = ['examples', 'uniform'];

/** Options of {@link weightedMean}. */
export interface MeanOptions {
  /** `'examples'` (default): weight n_i, FedAvg; `'uniform'`: weight 1 per node. */
  readonly weighting?: Weighting;
}

function weightsOf(updates: readonly ClientUpdate[], weighting: Weighting): Float64Array {
  return Float64Array.from(updates, (u) => (weighting === 'examples' ? u.numExamples : 1));
}

/**
 * The (weighted) mean of the deltas: sum_i n_i d_i / sum_i n_i (McMahan et al. 2017, "Communication-efficient
 * learning of deep networks from decentralized data", arXiv:1602.05629, Alg. 1).
 *
 * Breakdown point 0: one node can move the mean anywhere, and with `'examples'` weighting a node that claims
 * many examples dominates it. Use a robust aggregator when nodes are not trusted.
 *
 * @param updates - screened updates (same length, finite coordinates)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty list, mismatched lengths or a bad weighting
 */
export function weightedMean(updates: readonly ClientUpdate[], options: MeanOptions = {}): AggregatorOutput {
  const fn = 'weightedMean';
  const weighting = options.weighting ?? 'examples';
  assertOneOf(fn, 'weighting', weighting, WEIGHTINGS);
  checkUpdates(fn, updates);
  const mean = weightedAverage(
    updates.map((u) => u.delta),
    weightsOf(updates, weighting),
  );
  return { delta: Float32Array.from(mean), used: idsOf(updates), rejected: [] };
}

/** Options of {@link normBound}. */
export interface NormBoundOptions extends MeanOptions {
  /** The L2 norm B each delta is clipped to. */
  readonly maxNorm: number;
}

/**
 * Norm bounding: each delta is scaled to L2 norm at most B, d_i min(1, B / ||d_i||), then averaged (Sun,
 * Kairouz, Suresh & McMahan 2019, "Can you really backdoor federated learning?", arXiv:1911.07963, Sec. 4).
 *
 * It does not reject anyone; it bounds how far one node can pull the mean: by B times its weight share
 * (B / n with uniform weighting). It stops huge updates, not many small coordinated ones.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for maxNorm <= 0, an empty list or mismatched lengths
 */
export function normBound(updates: readonly ClientUpdate[], options: NormBoundOptions): AggregatorOutput {
  const fn = 'normBound';
  assertPositive(fn, 'maxNorm', options.maxNorm);
  const weighting = options.weighting ?? 'examples';
  assertOneOf(fn, 'weighting', weighting, WEIGHTINGS);
  checkUpdates(fn, updates);
  const weights = weightsOf(updates, weighting);
  const total = weights.reduce((a, b) => a + b, 0);
  const sum = new Float64Array(updates[0]!.delta.length);
  for (let k = 0; k < updates.length; k++) {
    const d = updates[k]!.delta;
    const norm = l2Norm(d);
    // Clipping: d min(1, B / ||d||); the denominator keeps every node's full weight.
    const w = ((norm > options.maxNorm ? options.maxNorm / norm : 1) * weights[k]!) / total;
    for (let i = 0; i < sum.length; i++) sum[i]! += w * d[i]!;
  }
  return { delta: Float32Array.from(sum), used: idsOf(updates), rejected: [] };
}
