/** The interface every privacy accountant implements (RDP, PLD, zCDP). */
import type { PrivacyEvent } from './events.js';

/** Names of the accountants Veil ships. */
export type AccountantKind = 'rdp' | 'pld' | 'zcdp';

/** Options of {@link PrivacyAccountant.compose}. */
export interface ComposeOptions {
  /** How many times to apply the event (default 1). */
  readonly times?: number;
}

/**
 * A stateful accountant: compose events, then ask for epsilon at a delta or delta at an epsilon. Results are
 * rounded up (never optimistic); a computation that cannot be done soundly throws instead of guessing.
 */
export interface PrivacyAccountant {
  readonly kind: AccountantKind;
  /** The events composed so far (as given, self-composition kept as one event). */
  readonly events: readonly PrivacyEvent[];
  /** True if this accountant can compose `event` (otherwise `compose` throws VEIL_UNSUPPORTED). */
  supports(event: PrivacyEvent): boolean;
  /**
   * Composes `event` (`times` times). Validates first: on any error nothing is added.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a malformed event or times
   * @throws {UnsupportedError} VEIL_UNSUPPORTED for an event this accountant cannot count
   */
  compose(event: PrivacyEvent, options?: ComposeOptions): this;
  /** The smallest epsilon this accountant can certify at `delta` (Infinity for non-private events). */
  epsilon(options: { readonly delta: number }): number;
  /** The smallest delta this accountant can certify at `epsilon`. */
  delta(options: { readonly epsilon: number }): number;
}
