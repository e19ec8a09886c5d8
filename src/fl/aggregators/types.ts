/**
 * The shape every aggregator shares: a round's (screened) updates in, one combined delta out, with the nodes it
 * used and those it left out. The specs are the discriminated union a strategy's `aggregator` option takes.
 */
import type { Rejection } from '../validation/validate-update.js';

/** What an aggregator produces. */
export interface AggregatorOutput {
  /** The combined delta (a mean-like estimate of the honest nodes' deltas). */
  readonly delta: Float32Array;
  /** Nodes whose update entered the combination, in input order. */
  readonly used: readonly string[];
  /** Nodes left out by the aggregator (e.g. not chosen by Krum), with why. */
  readonly rejected: readonly Rejection[];
}

/** How updates are weighted: by the (self-reported) number of examples, or each node alike. */
export type Weighting = 'examples' | 'uniform';

/** How a strategy combines the deltas of a round. */
export type AggregatorSpec =
  /** FedAvg: sum_i n_i d_i / sum_i n_i (or unweighted with `weighting: 'uniform'`). Breakdown point 0. */
  | { readonly kind: 'mean'; readonly weighting?: Weighting }
  /** Each delta clipped to L2 norm `maxNorm`, then the mean (Sun et al. 2019). */
  | { readonly kind: 'norm-bound'; readonly maxNorm: number; readonly weighting?: Weighting }
  /** Coordinate-wise median (Yin et al. 2018). */
  | { readonly kind: 'median' }
  /** Coordinate-wise mean after dropping the floor(beta n) smallest and largest values (Yin et al. 2018). */
  | { readonly kind: 'trimmed-mean'; readonly beta: number }
  /** Krum (`selected` 1, the default) or multi-Krum (`selected` m > 1) with f = `byzantine` (Blanchard 2017). */
  | { readonly kind: 'krum'; readonly byzantine: number; readonly selected?: number }
  /** Geometric median by smoothed Weiszfeld (RFA, Pillutla, Kakade & Harchaoui 2022). */
  | {
      readonly kind: 'geometric-median';
      readonly smoothing?: number;
      readonly maxIterations?: number;
      readonly tolerance?: number;
      readonly weighting?: Weighting;
    };

/** The kinds of {@link AggregatorSpec}. */
export type AggregatorKind = AggregatorSpec['kind'];
