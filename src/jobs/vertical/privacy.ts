/** The privacy of differentially private vertical training (docs/mpc.md §3.5). */
import {
  calibrateNoiseMultiplier,
  createAccountant,
  gaussianEvent,
  type PrivacyEvent,
  selfComposedEvent,
} from '../../accounting/index.js';

/**
 * `steps` full-batch Gaussian releases (no amplification by subsampling is claimed: the other party sees the
 * schedule): the noise multiplier calibrated to the target epsilon by the RDP accountant, the events the ledger
 * stores, and the epsilon they compose to (at most the target, rounded up by the accountant).
 */
export function verticalPrivacy(
  epsilon: number,
  delta: number,
  steps: number,
): { noiseMultiplier: number; events: PrivacyEvent[]; epsilon: number } {
  const { noiseMultiplier } = calibrateNoiseMultiplier({
    targetEpsilon: epsilon,
    delta,
    sampleRate: 1,
    steps,
  });
  const events = [selfComposedEvent(gaussianEvent({ sigma: noiseMultiplier }), steps)];
  const accountant = createAccountant('rdp');
  for (const e of events) accountant.compose(e);
  return { noiseMultiplier, events, epsilon: accountant.epsilon({ delta }) };
}
