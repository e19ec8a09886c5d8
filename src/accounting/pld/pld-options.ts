/**
 * Options of the PLD accountant, validated at the boundary (STYLE.md §5), with dp_accounting's defaults.
 */
import { assertFinite, assertPositive, InvalidParameterError } from '../../core/index.js';

/** Options of the PLD accountant and of `pldForEvent`. */
export interface PldOptions {
  /** Grid step of the privacy losses (default 1e-4, as dp_accounting's PLDAccountant); smaller is tighter. */
  readonly valueDiscretizationInterval?: number;
  /**
   * ln of the noise mass (Gaussian, discrete Gaussian) left outside the grid, which goes pessimistically to
   * +infinity or to the lowest loss (default -50, as dp_accounting); in [-700, -1].
   */
  readonly logMassTruncationBound?: number;
  /** Mass cut from the tails of each composition and moved pessimistically (default 1e-15); in [0, 1e-3]. */
  readonly tailMassTruncation?: number;
}

/** {@link PldOptions} with defaults filled in. */
export interface ResolvedPldOptions {
  readonly interval: number;
  readonly logMassTruncation: number;
  readonly tailMass: number;
}

/**
 * Validates PLD options and fills in the defaults.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming the bad field.
 */
export function resolvePldOptions(options: PldOptions, fn: string): ResolvedPldOptions {
  const interval = options.valueDiscretizationInterval ?? 1e-4;
  const logMassTruncation = options.logMassTruncationBound ?? -50;
  const tailMass = options.tailMassTruncation ?? 1e-15;
  assertPositive(fn, 'valueDiscretizationInterval', interval);
  if (interval > 1) {
    throw new InvalidParameterError({
      fn,
      param: 'valueDiscretizationInterval',
      value: interval,
      allowed: 'a number in (0, 1]',
    });
  }
  assertFinite(fn, 'logMassTruncationBound', logMassTruncation);
  if (logMassTruncation < -700 || logMassTruncation > -1) {
    throw new InvalidParameterError({
      fn,
      param: 'logMassTruncationBound',
      value: logMassTruncation,
      allowed: 'a number in [-700, -1]',
    });
  }
  if (typeof tailMass !== 'number' || !(tailMass >= 0 && tailMass <= 1e-3)) {
    throw new InvalidParameterError({
      fn,
      param: 'tailMassTruncation',
      value: tailMass,
      allowed: 'a number in [0, 1e-3]',
    });
  }
  return { interval, logMassTruncation, tailMass };
}
