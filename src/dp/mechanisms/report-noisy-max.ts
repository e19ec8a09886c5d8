/**
 * Report noisy max: add independent noise to every candidate's utility and release only the index of the
 * largest noisy value. With utility sensitivity D (max change of any utility between neighbours):
 *
 * - `noise: 'laplace'` (default): Lap(2D / epsilon) per candidate is epsilon-DP (Dwork & Roth 2014,
 *   Claim 3.9 proves Lap(1/epsilon) for monotone sensitivity-1 counts; for utilities that may move in both
 *   directions the scale doubles to 2D / epsilon).
 * - `noise: 'exponential'`: Exp(scale 2D / epsilon) per candidate is epsilon-DP and equals the permute-and-flip
 *   mechanism (McKenna & Sheldon 2020, arXiv:2010.12603; Ding, Kifer, Steinke et al. 2021, "The permute-and-flip mechanism is
 *   identical to report-noisy-max with exponential noise", arXiv:2105.07260); never worse than the
 *   exponential mechanism in expected utility.
 *
 * Only the index is released, so the low-order bits of the float noise are not exposed directly; the
 * noise is still float noise (see docs/mechanisms.md).
 */
import type { PureDpEvent } from '../../accounting/index.js';
import { assertFiniteArray, assertOneOf, assertPositive, type Rng } from '../../core/index.js';
import { pureDpEvent } from '../_events.js';
import { assertOptions, resolveRng } from '../_input.js';
import type { Mechanism } from '../mechanism.js';
import { sampleLaplace } from './laplace.js';

/** The noise added to each utility. */
export type NoisyMaxNoise = 'laplace' | 'exponential';

/** Options of {@link reportNoisyMax}. */
export interface ReportNoisyMaxOptions {
  /** The privacy parameter, finite > 0. */
  readonly epsilon: number;
  /** Max |u_i(x) - u_i(x')| over candidates and neighbours; finite > 0. */
  readonly utilitySensitivity: number;
  /** `'laplace'` (default) or `'exponential'` (permute-and-flip); both with scale 2D / epsilon. */
  readonly noise?: NoisyMaxNoise;
}

/** Report-noisy-max over utilities; `release` returns the winning index. */
export interface ReportNoisyMaxMechanism extends Mechanism<ArrayLike<number>, number> {
  readonly name: 'report-noisy-max';
  readonly event: PureDpEvent;
  readonly epsilon: number;
  readonly utilitySensitivity: number;
  readonly noise: NoisyMaxNoise;
  /** The scale of the per-candidate noise, 2 D / epsilon. */
  readonly noiseScale: number;
}

/**
 * Report noisy max. epsilon-DP; records a `pure-dp` event `{ epsilon, mechanism: 'report-noisy-max' }`.
 *
 * An index chosen with a seeded rng is not private.
 * @param options.epsilon finite > 0
 * @param options.utilitySensitivity finite > 0
 * @param options.noise `'laplace'` (default) or `'exponential'`
 * @returns a frozen mechanism
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for epsilon or sensitivity not finite > 0 or an
 *   unknown noise; at release, for an empty utility array or a non-finite utility
 * @example
 * const rnm = reportNoisyMax({ epsilon: 1, utilitySensitivity: 1 });
 * rnm.release([120, 80, 119]); // 0 or 2, rarely 1
 */
export function reportNoisyMax(options: ReportNoisyMaxOptions): ReportNoisyMaxMechanism {
  const fn = 'reportNoisyMax';
  assertOptions(fn, options);
  const { epsilon, utilitySensitivity } = options;
  assertPositive(fn, 'epsilon', epsilon);
  assertPositive(fn, 'utilitySensitivity', utilitySensitivity);
  const noise = options.noise ?? 'laplace';
  assertOneOf(fn, 'noise', noise, ['laplace', 'exponential'] as const);
  const noiseScale = (2 * utilitySensitivity) / epsilon; // Dwork & Roth Claim 3.9 (x2 for two-sided); Ding et al. 2021
  const event = pureDpEvent(fn, epsilon, 'report-noisy-max');
  return Object.freeze({
    name: 'report-noisy-max',
    event,
    epsilon,
    utilitySensitivity,
    noise,
    noiseScale,
    release(utilities: ArrayLike<number>, rng?: Rng): number {
      assertFiniteArray(fn, 'utilities', utilities);
      const r = resolveRng(fn, rng);
      let best = -1;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < utilities.length; i++) {
        const z = noise === 'laplace' ? sampleLaplace(r, noiseScale) : noiseScale * r.exponential();
        const noisy = utilities[i]! + z;
        if (best < 0 || noisy > bestValue) {
          best = i;
          bestValue = noisy;
        }
      }
      return best;
    },
  });
}
