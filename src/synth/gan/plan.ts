/**
 * The privacy plan of a DP GAN, fixed before the fit from (epsilon, delta) and public options alone: the d 1-way
 * marginal measurements (Gaussian, one per attribute) and `steps` discriminator steps of DP-SGD (Poisson rate q,
 * clip C, noise multiplier z). Its events are what the ledger is charged before any record is read, and what
 * the fit records.
 *
 * The split: z is calibrated with the calibrator `veil train` uses (`calibrateNoiseMultiplier`, the RDP
 * accountant by default) for `(1 - marginalShare) epsilon` at delta; the marginals then get the smallest noise
 * sigma (bisection) for which the composition of everything (the DP-SGD schedule and the d Gaussian
 * measurements) is at most epsilon at delta under the same accountant. Composing under RDP is sub-additive, so
 * the marginals get more than `marginalShare epsilon` would suggest; the check is the accountant's, on the events
 * themselves.
 */
import {
  calibrateNoiseMultiplier,
  createAccountant,
  gaussianEvent,
  type PrivacyEvent,
  poissonSampledEvent,
  selfComposedEvent,
} from '../../accounting/index.js';
import {
  assertInteger,
  assertOneOf,
  assertOpenUnit,
  assertPositive,
  assertRate,
  InvalidParameterError,
  NumericError,
} from '../../core/index.js';

/** The accountants a DP GAN can be planned with: those `veil train` calibrates with. */
export const GAN_ACCOUNTANTS = ['rdp', 'pld'] as const;

/** The privacy-bearing options of a DP GAN (see docs/synthetic-data.md for the defaults' reasons). */
export interface DpGanPrivacyOptions {
  /** Discriminator steps (each one Poisson-sampled DP-SGD step), default {@link DPGAN_DEFAULTS}.steps. */
  readonly steps?: number;
  /** Poisson sampling rate q of the real rows per discriminator step, in (0, 1]. */
  readonly sampleRate?: number;
  /** The clip C of each real row's discriminator gradient (L2). */
  readonly maxGradNorm?: number;
  /** The share of epsilon the DP-SGD part is calibrated for (the marginals get the rest), in (0, 1). */
  readonly marginalShare?: number;
  /** `'rdp'` (default, as `veil train`) or `'pld'`. */
  readonly accountant?: (typeof GAN_ACCOUNTANTS)[number];
}

/** The defaults of the privacy options. */
export const DPGAN_PRIVACY_DEFAULTS = Object.freeze({
  steps: 500,
  sampleRate: 0.01,
  maxGradNorm: 1,
  marginalShare: 0.1,
  accountant: 'rdp' as const,
});

/** A planned DP GAN run. */
export interface DpGanPlan {
  readonly epsilon: number;
  readonly delta: number;
  readonly accountant: (typeof GAN_ACCOUNTANTS)[number];
  readonly steps: number;
  readonly sampleRate: number;
  readonly maxGradNorm: number;
  /** The DP-SGD noise multiplier z: noise N(0, (z C)^2) per coordinate on the clipped sum. */
  readonly noiseMultiplier: number;
  /** The noise std of each 1-way marginal measurement (counts; L2 sensitivity 1). */
  readonly marginalSigma: number;
  /** The number of attributes (one 1-way measurement each). */
  readonly attributes: number;
  /** The events of the whole run: d marginal measurements, then the DP-SGD schedule. */
  readonly events: readonly PrivacyEvent[];
}

/** The event of `steps` DP-SGD steps: Poisson rate q, Gaussian noise multiplier z (what `veil train` charges). */
export function dpSgdSchedule(sampleRate: number, noiseMultiplier: number, steps: number): PrivacyEvent {
  return selfComposedEvent(poissonSampledEvent(sampleRate, gaussianEvent({ sigma: noiseMultiplier })), steps);
}

/** The event of one 1-way marginal measurement (`measureMarginal`'s: Gaussian, L2 sensitivity 1). */
export function marginalEvent(sigma: number): PrivacyEvent {
  return gaussianEvent({ sigma, l2Sensitivity: 1 });
}

/** epsilon at delta of `events` under `accountant`. */
export function epsilonOf(
  events: readonly PrivacyEvent[],
  delta: number,
  accountant: (typeof GAN_ACCOUNTANTS)[number],
): number {
  return createAccountant(accountant).compose({ kind: 'composed', events }).epsilon({ delta });
}

/**
 * Plans a DP GAN for (epsilon, delta) over `attributes` attributes.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an option out of range
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when no noise meets the target (e.g. epsilon far too small for the
 *   steps)
 * @example planDpGan(1, 1e-9, 14).noiseMultiplier; // about 1.78 with the defaults (500 steps at q = 0.01)
 */
export function planDpGan(
  epsilon: number,
  delta: number,
  attributes: number,
  options: DpGanPrivacyOptions = {},
): DpGanPlan {
  const fn = 'planDpGan';
  assertPositive(fn, 'epsilon', epsilon);
  assertOpenUnit(fn, 'delta', delta);
  assertInteger(fn, 'attributes', attributes, 1);
  const o = { ...DPGAN_PRIVACY_DEFAULTS, ...options };
  assertInteger(fn, 'steps', o.steps, 1);
  assertRate(fn, 'sampleRate', o.sampleRate);
  assertPositive(fn, 'maxGradNorm', o.maxGradNorm);
  assertOneOf(fn, 'accountant', o.accountant, GAN_ACCOUNTANTS);
  if (!(o.marginalShare > 0 && o.marginalShare < 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'marginalShare',
      value: o.marginalShare,
      allowed: 'a number in (0, 1)',
    });
  }
  const q = o.sampleRate;
  const z = calibrateNoiseMultiplier({
    targetEpsilon: (1 - o.marginalShare) * epsilon,
    delta,
    sampleRate: q,
    steps: o.steps,
    accountant: o.accountant,
  }).noiseMultiplier;
  const sgd = dpSgdSchedule(q, z, o.steps);
  const events = (sigma: number) => [...Array.from({ length: attributes }, () => marginalEvent(sigma)), sgd];
  const fits = (sigma: number) => epsilonOf(events(sigma), delta, o.accountant) <= epsilon;
  // Bracket: hi meets the target (large noise), lo does not; then bisect on log sigma.
  let hi = 1;
  while (!fits(hi)) {
    hi *= 4;
    if (hi > 1e12)
      throw new NumericError(`${fn}: no marginal noise fits epsilon ${epsilon}`, { epsilon, delta });
  }
  let lo = hi / 4;
  while (fits(lo)) {
    hi = lo;
    lo /= 4;
    if (lo < 1e-12) throw new NumericError(`${fn}: the marginal noise does not converge`, { epsilon, delta });
  }
  for (let i = 0; i < 40 && hi / lo > 1 + 1e-6; i++) {
    const mid = Math.sqrt(lo * hi);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return {
    epsilon,
    delta,
    accountant: o.accountant,
    steps: o.steps,
    sampleRate: q,
    maxGradNorm: o.maxGradNorm,
    noiseMultiplier: z,
    marginalSigma: hi,
    attributes,
    events: events(hi),
  };
}
