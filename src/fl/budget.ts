/**
 * The privacy budget a federation's party charges before it touches data: a node's local-DP budget, a
 * coordinator's central- or distributed-DP budget. The deployment's budget is a ledger account (the jobs layer
 * provides it: `Ledger.spend`, atomic, audited, persisted before the training it pays for); simulations without
 * a ledger use {@link memoryBudget}.
 */
import { type AccountantKind, createAccountant, type PrivacyEvent } from '../accounting/index.js';
import { assertOpenUnit, assertPositive, BudgetExceededError } from '../core/index.js';

/** A budget of (epsilon, delta) under an accountant, charged event by event. */
export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
  readonly accountant: AccountantKind;
  /** Every event charged so far, earlier runs included (a restarted party reads its spends back). */
  events(): Promise<readonly PrivacyEvent[]>;
  /**
   * Charges `events` for `label` (`round 3`, `fine-tune`), or refuses; returns the epsilon spent after, at the
   * budget's delta.
   * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the budget would be exceeded (nothing is charged)
   */
  charge(events: readonly PrivacyEvent[], label: string): Promise<number>;
}

/** A budget kept in memory (simulations without a ledger): nothing survives the process. */
export function memoryBudget(
  epsilon: number,
  delta: number,
  accountant: AccountantKind = 'rdp',
): PrivacyBudget {
  assertPositive('memoryBudget', 'epsilon', epsilon);
  assertOpenUnit('memoryBudget', 'delta', delta);
  const charged: PrivacyEvent[] = [];
  const epsilonOf = (events: readonly PrivacyEvent[]) => epsilonSpent(events, delta, accountant);
  return {
    epsilon,
    delta,
    accountant,
    events: async () => [...charged],
    async charge(events, label) {
      const after = epsilonOf([...charged, ...events]);
      if (after > epsilon) {
        throw new BudgetExceededError(
          `privacy budget: ${label} would bring epsilon to ${after.toFixed(4)} > ${epsilon} (delta ${delta})`,
          { requested: after, remaining: epsilon - epsilonOf(charged) },
        );
      }
      charged.push(...events);
      return after;
    },
  };
}

/** The epsilon `events` spend at `delta` under `accountant` (0 for none). */
export function epsilonSpent(
  events: readonly PrivacyEvent[],
  delta: number,
  accountant: AccountantKind,
): number {
  if (events.length === 0) return 0;
  const acc = createAccountant(accountant);
  for (const e of events) acc.compose(e);
  return acc.epsilon({ delta });
}
