/**
 * Privacy arithmetic without training anything: the epsilon of a schedule or release, the noise for a target,
 * the most steps within a target. Pure functions of their spec; every epsilon is rounded up by the accountant.
 */
import {
  calibrateGaussianSigma,
  calibrateNoiseMultiplier,
  createAccountant,
  dpSgdEvent,
  gaussianEvent,
  laplaceEvent,
  maxSteps,
  type PrivacyEvent,
  RdpAccountant,
  selfComposedEvent,
} from '../../accounting/index.js';
import { unreachableTargetError } from '../input-errors.js';
import type { PrivacyCalibrateSpec, PrivacyEpsilonSpec, PrivacyMaxStepsSpec } from './spec.js';

/** The privacy event of a release: a DP-SGD schedule, or a Gaussian or Laplace release repeated `steps` times. */
export function releaseEvent(release: PrivacyEpsilonSpec['release']): PrivacyEvent {
  switch (release.kind) {
    case 'dp-sgd':
      return dpSgdEvent(release);
    case 'gaussian':
      return selfComposedEvent(
        gaussianEvent({ sigma: release.sigma, l2Sensitivity: release.l2Sensitivity }),
        release.steps,
      );
    case 'laplace':
      return selfComposedEvent(
        laplaceEvent({ scale: release.scale, l1Sensitivity: release.l1Sensitivity }),
        release.steps,
      );
  }
}

/** The epsilon of a release at the spec's delta; `order` is the RDP order that gave it (null: none did). */
export interface PrivacyEpsilonResult {
  readonly epsilon: number;
  readonly order: number | null;
}

/** The epsilon of the spec's release, composed by its accountant. */
export function runPrivacyEpsilon(spec: PrivacyEpsilonSpec): PrivacyEpsilonResult {
  const accountant = createAccountant(spec.accountant);
  accountant.compose(releaseEvent(spec.release));
  if (!(accountant instanceof RdpAccountant))
    return { epsilon: accountant.epsilon({ delta: spec.delta }), order: null };
  const { epsilon, order } = accountant.epsilonAndOrder({ delta: spec.delta });
  // NaN order: basic composition of pure-DP events beat every order (e.g. one Laplace release)
  return { epsilon, order: Number.isNaN(order) ? null : order };
}

type CalibratedRelease<K extends string> = Extract<PrivacyCalibrateSpec['release'], { kind: K }>;

/** The release with the noise found for the target: a DP-SGD noise multiplier (and its epsilon), a sigma or a scale. */
export type PrivacyCalibrateResult =
  | (CalibratedRelease<'dp-sgd'> & { readonly noiseMultiplier: number; readonly epsilon: number })
  | (CalibratedRelease<'gaussian'> & { readonly sigma: number; readonly noiseMultiplier: number })
  | (CalibratedRelease<'laplace'> & { readonly scale: number });

/** The least noise that meets the spec's target. */
export function runPrivacyCalibrate(spec: PrivacyCalibrateSpec): PrivacyCalibrateResult {
  const { targetEpsilon, release } = spec;
  switch (release.kind) {
    case 'dp-sgd': {
      try {
        const { noiseMultiplier, epsilon } = calibrateNoiseMultiplier({ targetEpsilon, ...release });
        return { ...release, noiseMultiplier, epsilon };
      } catch (err) {
        throw unreachableTargetError(err, 'targetEpsilon', 'privacy calibrate');
      }
    }
    case 'gaussian': {
      const { delta, l2Sensitivity, calibration } = release;
      const sigma = calibrateGaussianSigma({ epsilon: targetEpsilon, delta, l2Sensitivity, calibration });
      return { ...release, sigma, noiseMultiplier: sigma / l2Sensitivity };
    }
    case 'laplace':
      // Laplace: epsilon = sensitivity / scale (Dwork et al. 2006)
      return { ...release, scale: release.l1Sensitivity / targetEpsilon };
  }
}

/** The most DP-SGD steps within the spec's target, and the epsilon they spend. */
export function runPrivacyMaxSteps(spec: PrivacyMaxStepsSpec): {
  readonly steps: number;
  readonly epsilon: number;
  /** The search stopped at its limit (10^7 steps): more steps may fit. */
  readonly capped: boolean;
} {
  return maxSteps(spec);
}
