/**
 * One entry point for every aggregator, chosen by an {@link AggregatorSpec}: what a strategy's `aggregator`
 * option runs. Specs are checked once when the strategy is built ({@link checkAggregatorSpec}); the number of
 * updates a spec needs ({@link minimumUpdates}) is checked each round so that a round with too few valid
 * updates is refused cleanly instead of throwing.
 */
import { assertPositive, InvalidParameterError } from '../../core/index.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { checkTrimBeta, coordinateMedian, trimmedMean } from './coordinate-wise.js';
import { checkGeometricMedianOptions, geometricMedian } from './geometric-median.js';
import { checkKrumOptions, krum, krumMinimumUpdates } from './krum.js';
import { normBound, weightedMean } from './mean.js';
import type { AggregatorOutput, AggregatorSpec } from './types.js';

const KINDS = "'mean', 'norm-bound', 'median', 'trimmed-mean', 'krum' or 'geometric-median'";

/**
 * Checks an aggregator spec (and returns it).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming `aggregator.<field>`
 */
export function checkAggregatorSpec(fn: string, spec: AggregatorSpec): AggregatorSpec {
  const weighting = (w: unknown) => {
    if (w !== undefined && w !== 'examples' && w !== 'uniform') {
      throw new InvalidParameterError({
        fn,
        param: 'aggregator.weighting',
        value: w,
        allowed: "'examples' or 'uniform'",
      });
    }
  };
  switch (spec?.kind) {
    case 'mean':
      weighting(spec.weighting);
      return spec;
    case 'norm-bound':
      assertPositive(fn, 'aggregator.maxNorm', spec.maxNorm);
      weighting(spec.weighting);
      return spec;
    case 'median':
      return spec;
    case 'trimmed-mean':
      checkTrimBeta(fn, spec.beta, 'aggregator.beta');
      return spec;
    case 'krum':
      checkKrumOptions(fn, spec, 'aggregator.');
      return spec;
    case 'geometric-median':
      checkGeometricMedianOptions(fn, spec, 'aggregator.');
      return spec;
    default:
      throw new InvalidParameterError({
        fn,
        param: 'aggregator.kind',
        value: (spec as { kind?: unknown } | undefined)?.kind,
        allowed: KINDS,
      });
  }
}

/** How many valid updates a round needs for this aggregator (Krum: 2f + 3; the others: 1). */
export function minimumUpdates(spec: AggregatorSpec): number {
  return spec.kind === 'krum' ? krumMinimumUpdates(spec.byzantine) : 1;
}

/**
 * Runs the aggregator a spec names on screened updates.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER as the chosen aggregator does
 */
export function combineUpdates(updates: readonly ClientUpdate[], spec: AggregatorSpec): AggregatorOutput {
  switch (spec.kind) {
    case 'mean':
      return weightedMean(updates, spec.weighting === undefined ? {} : { weighting: spec.weighting });
    case 'norm-bound':
      return normBound(updates, spec);
    case 'median':
      return coordinateMedian(updates);
    case 'trimmed-mean':
      return trimmedMean(updates, spec);
    case 'krum':
      return krum(updates, spec);
    case 'geometric-median':
      return geometricMedian(updates, spec);
  }
}
