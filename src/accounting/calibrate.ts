/**
 * Calibration: the smallest noise multiplier that meets a target (epsilon, delta) for a DP-SGD schedule, and
 * the largest number of steps a budget allows. Both search with the chosen accountant and return values that
 * are verified to meet the target (fail closed): the returned noise multiplier has epsilon <= target, and one
 * `tolerance` below it does not.
 */
import {
  assertInteger,
  assertOneOf,
  assertOpenUnit,
  assertPositive,
  assertRate,
  largestIntegerSatisfying,
  NumericError,
  smallestBelowTarget,
  UnsupportedError,
} from '../core/index.js';
import type { AccountantKind } from './accountant.js';
import { createAccountant } from './create-accountant.js';
import { dpSgdEvent } from './events.js';

/** Accountants usable for DP-SGD calibration. */
export const CALIBRATION_ACCOUNTANTS = ['rdp', 'pld'] as const satisfies readonly AccountantKind[];

/** Options of {@link calibrateNoiseMultiplier}. */
export interface NoiseCalibrationOptions {
  readonly targetEpsilon: number;
  readonly delta: number;
  /** Poisson sampling rate q in (0, 1]. */
  readonly sampleRate: number;
  /** Number of steps >= 1. */
  readonly steps: number;
  /** `'rdp'` (default) or `'pld'`. */
  readonly accountant?: (typeof CALIBRATION_ACCOUNTANTS)[number];
  /** Absolute precision of the noise multiplier (default 1e-4). */
  readonly tolerance?: number;
}

/** A calibrated noise multiplier and the epsilon it gives. */
export interface NoiseCalibration {
  readonly noiseMultiplier: number;
  readonly epsilon: number;
  readonly accountant: AccountantKind;
}

/** epsilon of a DP-SGD schedule under an accountant. */
export function dpSgdEpsilon(options: {
  readonly sampleRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
  readonly delta: number;
  readonly accountant?: AccountantKind;
}): number {
  const acc = createAccountant(options.accountant ?? 'rdp');
  acc.compose(dpSgdEvent(options));
  return acc.epsilon({ delta: options.delta });
}

/**
 * The smallest noise multiplier (to `tolerance`) whose DP-SGD schedule is (targetEpsilon, delta)-DP.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for out-of-range arguments
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if no noise multiplier below 1e4 meets the target
 * @example calibrateNoiseMultiplier({ targetEpsilon: 3, delta: 1e-5, sampleRate: 256 / 60000, steps: 14063 })
 */
export function calibrateNoiseMultiplier(options: NoiseCalibrationOptions): NoiseCalibration {
  const fn = 'calibrateNoiseMultiplier';
  assertPositive(fn, 'targetEpsilon', options.targetEpsilon);
  assertOpenUnit(fn, 'delta', options.delta);
  assertRate(fn, 'sampleRate', options.sampleRate);
  assertInteger(fn, 'steps', options.steps, 1);
  const accountant = options.accountant ?? 'rdp';
  assertOneOf(fn, 'accountant', accountant, CALIBRATION_ACCOUNTANTS);
  const tolerance = options.tolerance ?? 1e-4;
  assertPositive(fn, 'tolerance', tolerance);
  const eps = (noiseMultiplier: number) =>
    dpSgdEpsilon({
      sampleRate: options.sampleRate,
      noiseMultiplier,
      steps: options.steps,
      delta: options.delta,
      accountant,
    });
  const target = options.targetEpsilon;
  const epsilonOrInfinity = (s: number) => valueOrInfinity(() => eps(s));
  // Bracket [lo, hi] with f(hi) <= target < f(lo). For PLD, start from the RDP answer: PLD is tighter, so its
  // noise is at most a little below RDP's and the bracket closes in one or two steps.
  let hi =
    accountant === 'pld'
      ? calibrateNoiseMultiplier({ ...options, accountant: 'rdp', tolerance: 1e-3 }).noiseMultiplier
      : 1;
  let fHi = epsilonOrInfinity(hi);
  let lo: number;
  let fLo: number;
  if (fHi <= target) {
    lo = hi * 0.8;
    fLo = epsilonOrInfinity(lo);
    while (fLo <= target) {
      hi = lo;
      fHi = fLo;
      lo *= 0.5;
      if (lo < tolerance) return { noiseMultiplier: hi, epsilon: fHi, accountant };
      fLo = epsilonOrInfinity(lo);
    }
  } else {
    lo = hi;
    fLo = fHi;
    hi *= 1.25;
    fHi = epsilonOrInfinity(hi);
    while (fHi > target) {
      lo = hi;
      fLo = fHi;
      hi *= 2;
      if (hi > 1e4) {
        throw new NumericError(`${fn}: no noise multiplier up to 1e4 reaches epsilon ${target}`, {
          targetEpsilon: target,
        });
      }
      fHi = epsilonOrInfinity(hi);
    }
  }
  const found = smallestBelowTarget(epsilonOrInfinity, target, lo, hi, {
    tolerance,
    fLo,
    fHi,
    what: 'noise multiplier',
  });
  return { noiseMultiplier: found.x, epsilon: found.value, accountant };
}

/**
 * Whether a schedule's epsilon is within the target. A schedule the accountant refuses as too large to
 * represent (VEIL_UNSUPPORTED from the PLD grid limit) is far beyond any useful target: it counts as not
 * meeting it, so the search moves towards more noise or fewer steps. The returned answer is always one that
 * was computed and met the target.
 */
function meetsTarget(epsilon: () => number, target: number): boolean {
  return valueOrInfinity(epsilon) <= target;
}

/** epsilon, or Infinity when the accountant refuses the schedule as too large (see {@link meetsTarget}). */
function valueOrInfinity(epsilon: () => number): number {
  try {
    return epsilon();
  } catch (error) {
    if (error instanceof UnsupportedError) return Number.POSITIVE_INFINITY;
    throw error;
  }
}

/** Options of {@link maxSteps}. */
export interface MaxStepsOptions {
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly sampleRate: number;
  readonly noiseMultiplier: number;
  readonly accountant?: (typeof CALIBRATION_ACCOUNTANTS)[number];
  /** Upper end of the search (default 10^7 steps). */
  readonly limit?: number;
}

/**
 * The largest number of DP-SGD steps whose epsilon stays within the target (0 if even one step exceeds it).
 * The search stops at `limit`: `capped` says the answer is the limit, and more steps may fit.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for out-of-range arguments
 */
export function maxSteps(options: MaxStepsOptions): {
  readonly steps: number;
  readonly epsilon: number;
  readonly capped: boolean;
} {
  const fn = 'maxSteps';
  assertPositive(fn, 'targetEpsilon', options.targetEpsilon);
  assertOpenUnit(fn, 'delta', options.delta);
  assertRate(fn, 'sampleRate', options.sampleRate);
  assertPositive(fn, 'noiseMultiplier', options.noiseMultiplier);
  const accountant = options.accountant ?? 'rdp';
  assertOneOf(fn, 'accountant', accountant, CALIBRATION_ACCOUNTANTS);
  const limit = options.limit ?? 10_000_000;
  assertInteger(fn, 'limit', limit, 1);
  const eps = (steps: number) =>
    dpSgdEpsilon({
      sampleRate: options.sampleRate,
      noiseMultiplier: options.noiseMultiplier,
      steps,
      delta: options.delta,
      accountant,
    });
  // Exponential search for a failing upper end, then bisection on integers.
  const meets = (steps: number) => meetsTarget(() => eps(steps), options.targetEpsilon);
  // Exponential search for a failing upper end, then bisection on integers.
  let hi = 1;
  while (hi < limit && meets(hi)) hi = Math.min(limit, hi * 2);
  const steps = largestIntegerSatisfying(meets, 1, hi);
  return { steps: Math.max(0, steps), epsilon: steps >= 1 ? eps(steps) : 0, capped: steps >= limit };
}
