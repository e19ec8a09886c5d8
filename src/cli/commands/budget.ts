/**
 * `veil budget create|spend|show`: the privacy-budget ledger from the command line (docs/ledger.md). `--db URL`
 * picks the database: `sqlite:PATH` (default `sqlite:./veil-data/veil.db`, created on first use). The flags
 * become the job's spec (src/jobs/ledger); this file renders the result.
 */
import type { ConfigIssue } from '../../core/index.js';
import {
  BudgetCreateSpecSchema,
  BudgetShowSpecSchema,
  BudgetSpendSpecSchema,
  type LedgerJobContext,
  ledgerAt,
  ledgerUrl,
  runBudgetCreate,
  runBudgetShow,
  runBudgetSpend,
} from '../../jobs/index.js';
import type { CommandResult } from '../output.js';
import { type FlagField, numberFlag as n, parseFlags, readJsonFlag, textFlag as t } from '../parse-flags.js';

/** The ACCOUNT argument bound to the spec's `account` (an empty one counts as missing). */
export function accountField(account: string | undefined): FlagField {
  return t('ACCOUNT', 'account', account || undefined);
}

/** The ledger of a command's `--db` (else $VEIL_DB, else the default). */
export function ledgerOf(db: string | undefined): LedgerJobContext {
  return { ledger: ledgerAt(ledgerUrl(db), { name: '--db' }) };
}

/** `veil budget create ACCOUNT --epsilon E --delta D [--accountant rdp|pld|zcdp] [--db URL]`. */
export async function budgetCreate(
  account: string | undefined,
  flags: { epsilon?: string; delta?: string; accountant?: string; db?: string },
): Promise<CommandResult> {
  const { spec } = parseFlags(BudgetCreateSpecSchema, [
    accountField(account),
    n('--epsilon', 'epsilon', flags.epsilon),
    n('--delta', 'delta', flags.delta),
    t('--accountant', 'accountant', flags.accountant),
  ]);
  const created = await runBudgetCreate(spec, ledgerOf(flags.db));
  return {
    summary: { ok: true, account: created },
    text: [
      `account ${created.path}: epsilon ${created.epsilonLimit} at delta ${created.deltaLimit}, composed with ${created.accountant}`,
    ],
  };
}

/**
 * `veil budget spend ACCOUNT --purpose P (--epsilon E [--delta D] | --events FILE) [--db URL]`: an (epsilon,
 * delta) release is recorded as a pure-DP or approximate-DP event; a file holds a JSON array of privacy events.
 */
export async function budgetSpend(
  account: string | undefined,
  flags: {
    epsilon?: string;
    delta?: string;
    events?: string;
    purpose?: string;
    dataset?: string;
    db?: string;
  },
): Promise<CommandResult> {
  const issues: ConfigIssue[] = [];
  const fromFile = flags.events !== undefined;
  if (fromFile && flags.epsilon !== undefined)
    issues.push({
      path: '--events',
      value: flags.events,
      allowed: 'either --events FILE or --epsilon E [--delta D], not both',
    });
  const events =
    fromFile && issues.length === 0
      ? readJsonFlag('--events', flags.events, 'a readable JSON file', issues)
      : undefined;
  const { spec } = parseFlags(
    BudgetSpendSpecSchema,
    [
      accountField(account),
      { flag: '--events', path: 'release.events', raw: flags.events, kind: 'text', renameOnly: true },
      ...(fromFile
        ? []
        : [n('--epsilon', 'release.epsilon', flags.epsilon), n('--delta', 'release.delta', flags.delta)]),
      t('--purpose', 'purpose', flags.purpose),
      t('--dataset', 'dataset', flags.dataset),
    ],
    { values: { 'release.kind': fromFile ? 'events' : 'epsilon-delta', 'release.events': events }, issues },
  );
  const { receipt, status } = await runBudgetSpend(spec, ledgerOf(flags.db));
  return {
    summary: { ok: true, spend: receipt, status },
    text: [
      `spend ${receipt.id} granted on ${spec.account} for "${receipt.purpose}"`,
      `${spec.account}: epsilon ${status.epsilonSpent.toFixed(6)} spent of ${status.account.epsilonLimit} (${status.epsilonRemaining.toFixed(6)} remaining) at delta ${status.account.deltaLimit}`,
    ],
  };
}

/** `veil budget show ACCOUNT [--db URL]`. */
export async function budgetShow(
  account: string | undefined,
  flags: { db?: string },
): Promise<CommandResult> {
  const { spec } = parseFlags(BudgetShowSpecSchema, [accountField(account)]);
  const path = spec.account;
  const { status, spends } = await runBudgetShow(spec, ledgerOf(flags.db));
  return {
    summary: { ok: true, status, spends },
    text: [
      `${path}: epsilon ${status.epsilonSpent.toFixed(6)} spent of ${status.account.epsilonLimit} at delta ${status.account.deltaLimit} (${status.account.accountant}), ${status.epsilonRemaining.toFixed(6)} remaining`,
      `${status.spends} granted spends; summing their epsilons would give ${status.epsilonNaiveSum?.toFixed(6)}`,
      ...spends.map(
        (s) =>
          `  #${s.id} ${s.createdAt} ${s.account} ${s.status} "${s.purpose}" (${s.events.map((e) => e.kind).join(', ')})`,
      ),
    ],
  };
}
