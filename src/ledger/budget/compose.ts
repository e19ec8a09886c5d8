/**
 * Composition of an account's history under its accountant: the hot path of every spend and status query.
 */
import { type AccountantKind, createAccountant, type PrivacyEvent } from '../../accounting/index.js';

/** Composes `events` under `kind` and returns epsilon at `delta`. */
export function composedEpsilon(
  kind: AccountantKind,
  events: readonly PrivacyEvent[],
  delta: number,
): number {
  if (events.length === 0) return 0;
  const acc = createAccountant(kind);
  for (const e of events) acc.compose(e);
  return acc.epsilon({ delta });
}
