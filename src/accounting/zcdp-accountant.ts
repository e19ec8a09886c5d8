/**
 * The zCDP accountant (Bun & Steinke 2016): adds up rho. Simple and closed under composition; it cannot use
 * subsampling amplification (use RDP or PLD for DP-SGD) and cannot hold approximate-DP events.
 */
import {
  assertInteger,
  assertNonNegative,
  assertOpenUnit,
  InvalidParameterError,
  UnsupportedError,
} from '../core/index.js';
import type { ComposeOptions, PrivacyAccountant } from './accountant.js';
import { distributedDiscreteGaussianRho } from './analysis/distributed-discrete-gaussian.js';
import { zcdpToDelta, zcdpToEpsilon } from './analysis/zcdp.js';
import { type PrivacyEvent, validateEvent } from './events.js';

/** The zCDP accountant. @example new ZcdpAccountant().compose({ kind: 'zcdp', rho: 0.1 }).epsilon({ delta: 1e-6 }) */
export class ZcdpAccountant implements PrivacyAccountant {
  readonly kind = 'zcdp' as const;
  private total = 0;
  private readonly composed: PrivacyEvent[] = [];

  get events(): readonly PrivacyEvent[] {
    return this.composed;
  }

  /** rho composed so far. */
  get rho(): number {
    return this.total;
  }

  supports(event: PrivacyEvent): boolean {
    try {
      rhoOf(validateEvent(event, 'ZcdpAccountant.supports'));
      return true;
    } catch (e) {
      if (e instanceof UnsupportedError || e instanceof InvalidParameterError) return false;
      throw e;
    }
  }

  compose(event: PrivacyEvent, options: ComposeOptions = {}): this {
    const times = options.times ?? 1;
    assertInteger('ZcdpAccountant.compose', 'times', times, 0);
    const checked = validateEvent(event, 'ZcdpAccountant.compose');
    const rho = times === 0 ? 0 : times * rhoOf(checked);
    this.total += rho;
    this.composed.push(times === 1 ? checked : { kind: 'self-composed', event: checked, count: times });
    return this;
  }

  epsilon(options: { readonly delta: number }): number {
    assertOpenUnit('ZcdpAccountant.epsilon', 'delta', options.delta);
    return zcdpToEpsilon(this.total, options.delta);
  }

  delta(options: { readonly epsilon: number }): number {
    assertNonNegative('ZcdpAccountant.delta', 'epsilon', options.epsilon);
    return zcdpToDelta(this.total, options.epsilon);
  }
}

/** rho of one event; throws UnsupportedError for events zCDP cannot express. */
function rhoOf(event: PrivacyEvent): number {
  switch (event.kind) {
    case 'no-op':
      return 0;
    case 'non-private':
      return Number.POSITIVE_INFINITY;
    case 'zcdp':
      return event.rho;
    case 'gaussian':
      return (event.l2Sensitivity * event.l2Sensitivity) / (2 * event.sigma * event.sigma);
    case 'discrete-gaussian':
      // CKS20 Prop. 5 per coordinate; zCDP of independent coordinates adds.
      return (event.l2Sensitivity * event.l2Sensitivity) / (2 * event.sigma * event.sigma);
    case 'distributed-discrete-gaussian':
      // KLS21 Thm. 1 (arXiv:2102.06387), with the post-processing minimum over fewer parties.
      return distributedDiscreteGaussianRho(event);
    case 'laplace':
      return pureToRho(event.l1Sensitivity / event.scale);
    case 'discrete-laplace':
      return pureToRho(event.l1Sensitivity / event.scale);
    case 'pure-dp':
      return pureToRho(event.epsilon);
    case 'self-composed':
      return event.count === 0 ? 0 : event.count * rhoOf(event.event);
    case 'composed':
      return event.events.reduce((sum, e) => sum + rhoOf(e), 0);
    case 'approx-dp':
      throw new UnsupportedError(
        'ZcdpAccountant: approx-dp events have no zCDP guarantee; use the RDP or PLD accountant',
        {
          event: event.kind,
        },
      );
    case 'poisson-sampled':
      throw new UnsupportedError(
        'ZcdpAccountant: zCDP does not capture subsampling amplification; use the RDP or PLD accountant',
        { event: event.kind },
      );
  }
}

/** epsilon-DP implies (epsilon^2 / 2)-zCDP (Bun & Steinke 2016, Prop. 3.3). */
function pureToRho(epsilon: number): number {
  return (epsilon * epsilon) / 2;
}
