/**
 * A node's own privacy budget for local DP: every round's DP-SGD event is charged before the round trains and
 * persisted before any update leaves, so a crash or restart can never forget a spend (it may only over-count a
 * round that did not finish). A round whose event would take the cumulative epsilon past the budget is refused
 * and the node leaves the federation.
 */
import { readFileSync } from 'node:fs';
import {
  type AccountantKind,
  createAccountant,
  type PrivacyEvent,
  PrivacyEventSchema,
} from '../../accounting/index.js';
import { assertOpenUnit, assertPositive, BudgetExceededError, IntegrityError } from '../../core/index.js';
import { fromJsonText, toJsonText, writeFileAtomic } from '../persist.js';

/** Where a node's spends are kept. */
export interface SpendStore {
  load(): PrivacyEvent[];
  save(events: readonly PrivacyEvent[]): void;
}

/** Spends in a JSON file, written atomically. */
export function fileSpendStore(path: string): SpendStore {
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      let parsed: unknown;
      try {
        parsed = fromJsonText(text);
      } catch (err) {
        throw new IntegrityError(`privacy spend file ${path} is not valid JSON: ${(err as Error).message}`);
      }
      const events = (parsed as { events?: unknown } | null)?.events;
      if (!Array.isArray(events)) throw new IntegrityError(`privacy spend file ${path} has no "events" list`);
      return events.map((e, i) => {
        const r = PrivacyEventSchema.safeParse(e);
        if (!r.success)
          throw new IntegrityError(`privacy spend file ${path}: event ${i} is not a privacy event`);
        return r.data as PrivacyEvent;
      });
    },
    save(events) {
      writeFileAtomic(path, toJsonText({ events }));
    },
  };
}

/** Spends kept in memory (simulations). */
export function memorySpendStore(): SpendStore {
  let events: PrivacyEvent[] = [];
  return {
    load: () => [...events],
    save(e) {
      events = [...e];
    },
  };
}

/** A node's local-DP budget. */
export class LocalBudget {
  private readonly spends: PrivacyEvent[];
  constructor(
    readonly epsilon: number,
    readonly delta: number,
    private readonly store: SpendStore,
    private readonly accountant: AccountantKind = 'rdp',
  ) {
    assertPositive('LocalBudget', 'epsilon', epsilon);
    assertOpenUnit('LocalBudget', 'delta', delta);
    this.spends = store.load();
  }

  /** Epsilon spent so far at the budget's delta. */
  spent(): number {
    return this.epsilonOf(this.spends);
  }

  /** The events charged so far. */
  events(): readonly PrivacyEvent[] {
    return [...this.spends];
  }

  /** Epsilon if `event` were charged too. */
  wouldSpend(event: PrivacyEvent): number {
    return this.epsilonOf([...this.spends, event]);
  }

  /**
   * Charges `event` and persists it, or refuses.
   * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the budget would be exceeded (nothing is charged)
   */
  charge(event: PrivacyEvent): number {
    const after = this.wouldSpend(event);
    if (after > this.epsilon) {
      throw new BudgetExceededError(
        `local privacy budget: this round would bring epsilon to ${after.toFixed(4)} > ${this.epsilon} (delta ${this.delta})`,
        { requested: after, remaining: this.epsilon - this.spent() },
      );
    }
    this.spends.push(event);
    this.store.save(this.spends);
    return after;
  }

  private epsilonOf(events: readonly PrivacyEvent[]): number {
    if (events.length === 0) return 0;
    const acc = createAccountant(this.accountant);
    for (const e of events) acc.compose(e);
    return acc.epsilon({ delta: this.delta });
  }
}
