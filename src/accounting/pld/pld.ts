/**
 * A privacy-loss distribution under add/remove adjacency: a pair of discretised PMFs, one per direction
 * ('remove': the data set with the record is P; 'add': the data set without it is P), as dp_accounting's
 * `PrivacyLossDistribution` keeps `pmf_remove` and `pmf_add`. A mechanism is (epsilon, delta)-DP under
 * add/remove adjacency iff both directions are (Balle, Barthe & Gaboardi 2018, arXiv:1807.01647; Zhu, Dong &
 * Wang 2022, arXiv:2106.08567), so delta is the larger of the two deltas and epsilon of the two epsilons.
 */

import { NumericError } from '../../core/index.js';
import { type ChernoffProfile, composePmfs, selfComposePmf, selfComposePmfs } from './compose.js';
import { identityPmf, type PldPmf, pmfDelta, pmfEpsilon } from './pmf.js';

/** A PLD pair; `add` is null when both directions have the same PMF (symmetric mechanisms). */
export interface PrivacyLossDistribution {
  readonly remove: PldPmf;
  readonly add: PldPmf | null;
}

/** The PLD of a mechanism that reveals nothing. */
export function identityPld(interval: number): PrivacyLossDistribution {
  return { remove: identityPmf(interval), add: null };
}

/** The composition of two PLDs (direction by direction), tails truncated pessimistically by `tailMass`. */
export function composePlds(
  a: PrivacyLossDistribution,
  b: PrivacyLossDistribution,
  tailMass: number,
): PrivacyLossDistribution {
  const remove = composePmfs(a.remove, b.remove, tailMass);
  if (a.add === null && b.add === null) return { remove, add: null };
  return { remove, add: composePmfs(a.add ?? a.remove, b.add ?? b.remove, tailMass) };
}

/** Optional precomputed Chernoff profiles of the two directions. */
export interface PldProfiles {
  readonly remove: ChernoffProfile;
  readonly add: ChernoffProfile | null;
}

/** The `count`-fold self-composition of a PLD (count >= 1), by FFT exponentiation per direction. */
export function selfComposePld(
  pld: PrivacyLossDistribution,
  count: number,
  tailMass: number,
  profiles?: PldProfiles,
): PrivacyLossDistribution {
  if (pld.add === null)
    return { remove: selfComposePmf(pld.remove, count, tailMass, profiles?.remove), add: null };
  const [remove, add] = selfComposePmfs(
    [pld.remove, pld.add],
    count,
    tailMass,
    profiles?.add ? [profiles.remove, profiles.add] : undefined,
  );
  return { remove: remove!, add: add! };
}

function failClosed(value: number, what: string): number {
  if (Number.isNaN(value)) throw new NumericError(`pld: ${what} is NaN`, { what });
  return value;
}

/**
 * delta(epsilon) of the PLD: the larger of the two directions' hockey-stick divergences.
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if the result is NaN.
 */
export function pldDelta(pld: PrivacyLossDistribution, epsilon: number): number {
  const remove = pmfDelta(pld.remove, epsilon);
  return failClosed(pld.add === null ? remove : Math.max(remove, pmfDelta(pld.add, epsilon)), 'delta');
}

/**
 * epsilon(delta) of the PLD: the larger of the two directions' smallest epsilons (Infinity if none).
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if the result is NaN or the search does not settle.
 */
export function pldEpsilon(pld: PrivacyLossDistribution, delta: number): number {
  const remove = pmfEpsilon(pld.remove, delta);
  return failClosed(pld.add === null ? remove : Math.max(remove, pmfEpsilon(pld.add, delta)), 'epsilon');
}
