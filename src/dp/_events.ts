/**
 * Privacy-event constructors the accounting module does not export yet (discrete Laplace, discrete Gaussian,
 * pure-DP, non-private). Each builds the plain event and passes it through accounting's `validateEvent`, which
 * checks it with the event schema and freezes it. Internal to `dp`.
 */
import {
  composedEvent,
  type DiscreteGaussianEvent,
  type DiscreteLaplaceEvent,
  type NonPrivateEvent,
  type PrivacyEvent,
  type PureDpEvent,
  validateEvent,
} from '../accounting/index.js';

/** A pure epsilon-DP event recording which mechanism produced it. */
export function pureDpEvent(fn: string, epsilon: number, mechanism: string): PureDpEvent {
  return validateEvent({ kind: 'pure-dp', epsilon, mechanism }, fn) as PureDpEvent;
}

/** A discrete Laplace event: P(x) proportional to exp(-|x| / scale) per coordinate, integer L1 sensitivity. */
export function discreteLaplaceEvent(fn: string, scale: number, l1Sensitivity: number): DiscreteLaplaceEvent {
  return validateEvent({ kind: 'discrete-laplace', scale, l1Sensitivity }, fn) as DiscreteLaplaceEvent;
}

/** A discrete Gaussian event: N_Z(0, sigma^2) per coordinate on `dimension` integer coordinates. */
export function discreteGaussianEvent(
  fn: string,
  sigma: number,
  l2Sensitivity: number,
  dimension: number,
): DiscreteGaussianEvent {
  return validateEvent(
    { kind: 'discrete-gaussian', sigma, l2Sensitivity, dimension },
    fn,
  ) as DiscreteGaussianEvent;
}

/** The event a release made with a seeded generator carries: no privacy guarantee. */
export const SEEDED_RELEASE_EVENT: NonPrivateEvent = Object.freeze({
  kind: 'non-private',
  reason: 'released with a seeded (reproducible, non-private) rng',
});

/** Sequential composition of already-validated events, frozen. */
export function composeEvents(events: readonly PrivacyEvent[]): PrivacyEvent {
  return composedEvent(events);
}
