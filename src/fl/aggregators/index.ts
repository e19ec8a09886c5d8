/** Robust aggregators of the fl module (re-exported by src/fl/index.ts). */
export { checkAggregatorSpec, combineUpdates, minimumUpdates } from './aggregate.js';
export { coordinateMedian, type TrimmedMeanOptions, trimmedMean } from './coordinate-wise.js';
export { type GeometricMedianOptions, geometricMedian } from './geometric-median.js';
export { type KrumOptions, krum, krumMinimumUpdates } from './krum.js';
export { type MeanOptions, type NormBoundOptions, normBound, weightedMean } from './mean.js';
export type { AggregatorKind, AggregatorOutput, AggregatorSpec, Weighting } from './types.js';
