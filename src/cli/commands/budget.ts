/**
 * `veil budget create|spend|show`: the privacy-budget ledger from the command line (docs/ledger.md). `--db URL`
 * picks the database: `sqlite:PATH` (default `sqlite:./veil-data/veil.db`, created on first use).
 */
import { readFileSync } from 'node:fs';
import { type AccountantKind, type PrivacyEvent, PrivacyEventSchema } from '../../accounting/index.js';
import { ConfigError } from '../../core/index.js';
import { withLedger } from '../../jobs/index.js';
import { FlagParser } from '../flags.js';
import type { CommandResult } from '../output.js';

/** The ACCOUNT argument, or a ConfigError saying one is needed. */
export function accountOf(account: string | undefined): string {
  if (!account) {
    throw new ConfigError(
      [{ path: 'ACCOUNT', value: undefined, allowed: "an account path like 'org/project/dataset'" }],
      'command-line arguments',
    );
  }
  return account;
}

/** `veil budget create ACCOUNT --epsilon E --delta D [--accountant rdp|pld|zcdp] [--db URL]`. */
export async function budgetCreate(
  account: string | undefined,
  flags: { epsilon?: string; delta?: string; accountant?: string; db?: string },
): Promise<CommandResult> {
  const path = accountOf(account);
  const p = new FlagParser();
  const epsilon = p.number('epsilon', flags.epsilon, { kind: 'positive' });
  const delta = p.optionalNumber('delta', flags.delta, { kind: 'non-negative' }, 0);
  const accountant = p.choice('accountant', flags.accountant, ['rdp', 'pld', 'zcdp'] as const, 'rdp');
  p.done();
  const created = await withLedger(flags.db, (l) =>
    l.createAccount({ path, epsilon, delta, accountant: accountant as AccountantKind }),
  );
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
  const path = accountOf(account);
  const p = new FlagParser();
  let events: PrivacyEvent[] = [];
  if (flags.events !== undefined && flags.epsilon !== undefined) {
    p.problem('--events', flags.events, 'either --events FILE or --epsilon E [--delta D], not both');
  } else if (flags.events !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(flags.events, 'utf8'));
    } catch (err) {
      p.problem('--events', flags.events, `a readable JSON file (${(err as Error).message})`);
    }
    const parsed = PrivacyEventSchema.array().min(1).safeParse(raw);
    if (raw !== undefined && !parsed.success)
      p.problem(
        '--events',
        flags.events,
        `a JSON array of privacy events: ${parsed.error.issues[0]?.message}`,
      );
    else if (parsed.success) events = parsed.data;
  } else {
    const epsilon = p.number('epsilon', flags.epsilon, { kind: 'positive' });
    const delta = p.optionalNumber('delta', flags.delta, { kind: 'non-negative' }, 0);
    if (delta >= 1) p.problem('--delta', flags.delta, 'a number in [0, 1)');
    events = [delta > 0 ? { kind: 'approx-dp', epsilon, delta } : { kind: 'pure-dp', epsilon }];
  }
  if (!flags.purpose)
    p.problem('--purpose', flags.purpose, 'why the budget is spent (recorded with the spend)');
  p.done();
  const { receipt, status } = await withLedger(flags.db, async (l) => {
    const receipt = await l.spend(path, events, {
      purpose: flags.purpose!,
      ...(flags.dataset !== undefined ? { dataset: flags.dataset } : {}),
    });
    return { receipt, status: await l.status(path) };
  });
  return {
    summary: { ok: true, spend: receipt, status },
    text: [
      `spend ${receipt.id} granted on ${path} for "${receipt.purpose}"`,
      `${path}: epsilon ${status.epsilonSpent.toFixed(6)} spent of ${status.account.epsilonLimit} (${status.epsilonRemaining.toFixed(6)} remaining) at delta ${status.account.deltaLimit}`,
    ],
  };
}

/** `veil budget show ACCOUNT [--db URL]`. */
export async function budgetShow(
  account: string | undefined,
  flags: { db?: string },
): Promise<CommandResult> {
  const path = accountOf(account);
  const { status, spends } = await withLedger(flags.db, async (l) => ({
    status: await l.status(path, { naiveSum: true }),
    spends: await l.spends(path),
  }));
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
