/**
 * The one budget path for the federation's jobs: a node's local-DP budget and a coordinator's central- or
 * distributed-DP budget are ledger accounts, and every charge is a `Ledger.spend` (atomic against the limit,
 * audited, refused spends recorded) made before the data is touched.
 *
 * A node's earlier JSON spend file (`privacy-spends.json`, Veil before the ledger held node budgets) is moved
 * into its ledger on first start: its events become one spend, and the file is renamed `*.migrated`.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { type AccountantKind, type PrivacyEvent, PrivacyEventSchema } from '../../accounting/index.js';
import { ConfigError, IntegrityError } from '../../core/index.js';
import type { PrivacyBudget } from '../../fl/index.js';
import type { Ledger } from '../../ledger/index.js';

/** The account a budget charges, and the limits its job was configured with. */
export interface LedgerBudgetOptions {
  readonly account: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly accountant: AccountantKind;
  /** What each charge is for, as the audit log records it (`federated round 3`, …), from the charge's label. */
  readonly purpose: (label: string) => string;
  /** A JSON spend file of an earlier Veil version to move into the ledger (absent or missing: nothing to do). */
  readonly legacySpendFile?: string;
}

/**
 * A {@link PrivacyBudget} over a ledger account, creating the account with the configured limits when it does
 * not exist. Returns notes for the operator (an account created, a file migrated).
 * @throws {ConfigError} when the account exists with other limits than configured (nothing charged)
 * @throws {IntegrityError} when a legacy spend file cannot be read, or the account already has spends too
 */
export async function ledgerBudget(
  ledger: Ledger,
  o: LedgerBudgetOptions,
): Promise<{ readonly budget: PrivacyBudget; readonly notes: readonly string[] }> {
  const notes: string[] = [];
  const existing = (await ledger.accounts()).find((a) => a.path === o.account);
  if (!existing) {
    await ledger.createAccount({
      path: o.account,
      epsilon: o.epsilon,
      delta: o.delta,
      accountant: o.accountant,
    });
    notes.push(
      `ledger ${ledger.location.location}: created account ${o.account} (epsilon ${o.epsilon}, delta ${o.delta}, ${o.accountant})`,
    );
  } else if (
    existing.epsilonLimit !== o.epsilon ||
    existing.deltaLimit !== o.delta ||
    existing.accountant !== o.accountant
  ) {
    throw new ConfigError(
      [
        {
          path: 'privacy',
          value: { epsilon: o.epsilon, delta: o.delta, accountant: o.accountant },
          allowed: `the limits of ledger account ${o.account} (epsilon ${existing.epsilonLimit}, delta ${existing.deltaLimit}, ${existing.accountant}): a budget is changed through its account, not by editing the config`,
        },
      ],
      'privacy budget',
    );
  }
  if (o.legacySpendFile && existsSync(o.legacySpendFile)) {
    const events = readLegacySpends(o.legacySpendFile);
    const spends = await ledger.spends(o.account);
    if (spends.length > 0) {
      throw new IntegrityError(
        `${o.legacySpendFile} holds privacy spends of an earlier Veil version, but ledger account ${o.account} already has spends: if they are the same (a migration that could not rename the file), rename the file to ${o.legacySpendFile}.migrated; otherwise give this node a new account`,
      );
    }
    if (events.length > 0)
      await ledger.spend(o.account, events, {
        purpose: `migrated from ${o.legacySpendFile} (privacy spends of an earlier Veil version)`,
      });
    renameSync(o.legacySpendFile, `${o.legacySpendFile}.migrated`);
    notes.push(
      `migrated ${events.length} privacy spend(s) from ${o.legacySpendFile} into ledger account ${o.account} (the file is now ${o.legacySpendFile}.migrated)`,
    );
  }
  const budget: PrivacyBudget = {
    epsilon: o.epsilon,
    delta: o.delta,
    accountant: o.accountant,
    async events() {
      const spends = await ledger.spends(o.account);
      return spends.filter((s) => s.status === 'granted').flatMap((s) => s.events);
    },
    async charge(events, label) {
      const receipt = await ledger.spend(o.account, events, { purpose: o.purpose(label) });
      return receipt.epsilonAfter[o.account]!;
    },
  };
  return { budget, notes };
}

/** The events of an earlier version's JSON spend file (`{ "events": [...] }`). */
function readLegacySpends(path: string): PrivacyEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new IntegrityError(`privacy spend file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const events = (parsed as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) throw new IntegrityError(`privacy spend file ${path} has no "events" list`);
  return events.map((e, i) => {
    const r = PrivacyEventSchema.safeParse(e);
    if (!r.success) throw new IntegrityError(`privacy spend file ${path}: event ${i} is not a privacy event`);
    return r.data as PrivacyEvent;
  });
}
