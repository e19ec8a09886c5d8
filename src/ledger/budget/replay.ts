/**
 * The budget state replayed from the audit log (issue 13, item 3): every account, spend, refund and running total
 * recomputed from the audited entries alone and compared with the tables, so an edit to `accounts`, `spends`,
 * `event_totals` or `subtree_spends` is reported by `veil audit verify` with the account it touches, however it was
 * made (state.ts's per-spend check sees only what a spend reads, and trusts entries older than the newest budget
 * entry; the log's own verification proves those).
 */
import type { Kysely } from 'kysely';
import type { PrivacyEvent } from '../../accounting/index.js';
import type { LedgerSchema } from '../store/schema.js';
import { subtreeHistories } from '../store/totals.js';
import { type AccountFacts, accountDigest, STATE_ACTIONS, STATE_OUTCOMES, stateDigest } from './state.js';

/** The outcome of comparing the budget tables with the audit log. */
export interface BudgetVerification {
  readonly ok: boolean;
  /** Accounts the log created. */
  readonly accounts: number;
  /** Spends the log granted (refunded ones included). */
  readonly spends: number;
  /** The first difference: an account's limits, then a spend, then an account's totals (each in path order). */
  readonly firstBad: { readonly account: string; readonly reason: string } | null;
  /** Every difference, in that order (capped at 50). */
  readonly problems: readonly string[];
}

interface LoggedAccount {
  readonly seq: number;
  readonly parent: string | null;
  readonly epsilonLimit: number;
  readonly deltaLimit: number;
  readonly accountant: string;
}

interface LoggedSpend {
  readonly seq: number;
  readonly account: string;
  readonly events: string;
  readonly purpose: string | null;
  status: 'granted' | 'refunded';
}

type Finding = { readonly rank: number; readonly account: string; readonly reason: string };

const PAGE = 5000;

/** What the log's budget entries say: accounts, spends (with their refunds), and the newest signed state digest. */
async function replay(db: Kysely<LedgerSchema>, found: Finding[]) {
  const accounts = new Map<string, LoggedAccount>();
  const spends = new Map<number, LoggedSpend>();
  let signed: { seq: number; digest: string } | null = null;
  for (let from = 0; ; ) {
    const rows = await db
      .selectFrom('audit_entries')
      .select(['seq', 'action', 'account', 'events', 'purpose', 'detail'])
      .where('action', 'in', [...STATE_ACTIONS])
      .where('outcome', 'in', [...STATE_OUTCOMES])
      .where('seq', '>=', from)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const detail = JSON.parse(row.detail) as Record<string, unknown>;
      const account = row.account ?? '';
      if (typeof detail.budgetState === 'string') signed = { seq: row.seq, digest: detail.budgetState };
      if (row.action === 'account.create') {
        const parts = account.split('/');
        accounts.set(account, {
          seq: row.seq,
          parent: parts.length > 1 ? parts.slice(0, -1).join('/') : null,
          epsilonLimit: Number(detail.epsilon),
          deltaLimit: Number(detail.delta),
          accountant: String(detail.accountant),
        });
      } else if (row.action === 'budget.spend') {
        spends.set(Number(detail.spendId), {
          seq: row.seq,
          account,
          events: row.events ?? '',
          purpose: row.purpose,
          status: 'granted',
        });
      } else {
        const spend = spends.get(Number(detail.spendId));
        if (spend) spend.status = 'refunded';
        else
          found.push({
            rank: 1,
            account,
            reason: `entry ${row.seq} refunds spend ${String(detail.spendId)}, which the log never granted`,
          });
      }
    }
    if (rows.length < PAGE) break;
    from = rows.at(-1)!.seq + 1;
  }
  return { accounts, spends, signed };
}

/** Each account's subtree totals from the log's granted spends (an events text that does not parse counts none). */
function totalsOf(spends: Iterable<{ account: string; events: string; status: string }>) {
  const granted = [...spends].filter((s) => s.status === 'granted');
  const histories = subtreeHistories(granted, (text) => {
    try {
      return JSON.parse(text) as PrivacyEvent[];
    } catch {
      return [];
    }
  });
  const out = new Map<string, { spends: number; totals: Map<string, number> }>();
  for (const [path, t] of histories) {
    out.set(path, {
      spends: t.spends,
      totals: new Map(t.groups.entries().map((g) => [JSON.stringify(g.event), g.count])),
    });
  }
  return out;
}

const describeLimits = (a: {
  epsilonLimit: number;
  deltaLimit: number;
  accountant: string;
  parent: string | null;
}) =>
  `epsilon ${a.epsilonLimit}, delta ${a.deltaLimit}, ${a.accountant}${a.parent === null ? '' : `, under "${a.parent}"`}`;

/**
 * Replays the log's budget entries and compares the result with the tables: each account's limits, each spend
 * (account, events, purpose, status), and each account's totals (granted spends and unit-event counts in its
 * subtree); and checks that the newest signed state digest is the one the log's own entries give.
 */
export async function verifyBudgetState(db: Kysely<LedgerSchema>): Promise<BudgetVerification> {
  const found: Finding[] = [];
  const log = await replay(db, found);

  // accounts: the limits every spend is checked against
  const tableAccounts = new Map(
    (await db.selectFrom('accounts').selectAll().execute()).map((r) => [r.path, r]),
  );
  for (const path of new Set([...log.accounts.keys(), ...tableAccounts.keys()])) {
    const logged = log.accounts.get(path);
    const row = tableAccounts.get(path);
    if (!logged) {
      found.push({ rank: 0, account: path, reason: 'in the accounts table, but no audit entry created it' });
    } else if (!row) {
      found.push({
        rank: 0,
        account: path,
        reason: `created in entry ${logged.seq}, but missing from the accounts table`,
      });
    } else {
      const table = {
        epsilonLimit: row.epsilon_limit,
        deltaLimit: row.delta_limit,
        accountant: row.accountant,
        parent: row.parent,
      };
      if (describeLimits(table) !== describeLimits(logged)) {
        found.push({
          rank: 0,
          account: path,
          reason: `the accounts table says ${describeLimits(table)}; entry ${logged.seq} created it with ${describeLimits(logged)}`,
        });
      }
    }
  }

  // spends: what was granted, on which account, and whether it was refunded
  const tableSpends = new Map<number, { account: string; events: string; purpose: string; status: string }>();
  for (let after = 0; ; ) {
    const rows = await db
      .selectFrom('spends')
      .select(['id', 'account', 'events', 'purpose', 'status'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const r of rows) tableSpends.set(r.id, r);
    if (rows.length < PAGE) break;
    after = rows.at(-1)!.id;
  }
  for (const id of new Set([...log.spends.keys(), ...tableSpends.keys()])) {
    const logged = log.spends.get(id);
    const row = tableSpends.get(id);
    if (!logged) {
      found.push({
        rank: 1,
        account: row!.account,
        reason: `spend ${id} is in the spends table, but the log never granted it`,
      });
      continue;
    }
    if (!row) {
      found.push({
        rank: 1,
        account: logged.account,
        reason: `spend ${id} (entry ${logged.seq}) is missing from the spends table`,
      });
      continue;
    }
    const differs = [
      row.account !== logged.account ? `its account is "${row.account}", the log's "${logged.account}"` : '',
      row.events !== logged.events ? 'its events differ from the ones the log granted' : '',
      logged.purpose !== null && row.purpose !== logged.purpose ? 'its purpose differs from the log' : '',
      row.status !== logged.status ? `its status is ${row.status}, the log says ${logged.status}` : '',
    ].filter((x) => x !== '');
    if (differs.length > 0) {
      found.push({
        rank: 1,
        account: logged.account,
        reason: `spend ${id} (entry ${logged.seq}): ${differs.join('; ')}`,
      });
    }
  }

  // totals: what every spend check composes
  const replayed = totalsOf(log.spends.values());
  const tableTotals = new Map<string, { spends: number; totals: Map<string, number> }>();
  const entry = (path: string) => {
    let t = tableTotals.get(path);
    if (!t) {
      t = { spends: 0, totals: new Map() };
      tableTotals.set(path, t);
    }
    return t;
  };
  for (const r of await db.selectFrom('subtree_spends').selectAll().execute())
    entry(r.account).spends = Number(r.spends);
  for (const r of await db.selectFrom('event_totals').select(['account', 'event', 'count']).execute()) {
    const count = Number(r.count);
    if (count !== 0) entry(r.account).totals.set(r.event, count);
  }
  for (const path of new Set([...replayed.keys(), ...tableTotals.keys()])) {
    const want = replayed.get(path) ?? { spends: 0, totals: new Map<string, number>() };
    const got = tableTotals.get(path) ?? { spends: 0, totals: new Map<string, number>() };
    if (got.spends !== want.spends) {
      found.push({
        rank: 2,
        account: path,
        reason: `subtree_spends counts ${got.spends} granted spends in its subtree; the log's entries give ${want.spends}`,
      });
    }
    const events = new Set([...want.totals.keys(), ...got.totals.keys()]);
    const wrong = [...events].filter((e) => (got.totals.get(e) ?? 0) !== (want.totals.get(e) ?? 0));
    if (wrong.length > 0) {
      const e = wrong.sort()[0]!;
      found.push({
        rank: 2,
        account: path,
        reason:
          `event_totals differ from the log's spends in ${wrong.length} unit event(s), e.g. ` +
          `${(JSON.parse(e) as { kind?: string }).kind ?? 'an event'} counted ${got.totals.get(e) ?? 0} times, the log ${want.totals.get(e) ?? 0}`,
      });
    }
  }

  // the newest signed state digest is the one the log's entries give
  if (log.signed) {
    const digests = new Map<string, string>();
    for (const [path, a] of log.accounts) {
      const t = replayed.get(path);
      const facts: AccountFacts = {
        path,
        ...a,
        spends: t?.spends ?? 0,
        totals: [...(t?.totals ?? [])].map(([event, count]) => ({ event, count })),
      };
      digests.set(path, accountDigest(facts));
    }
    if (stateDigest(digests) !== log.signed.digest) {
      found.push({
        rank: 3,
        account: '',
        reason: `the budget state signed in entry ${log.signed.seq} is not the one the log's own entries give (the ledger's tables were taken as they were when the digests began, and did not match the log then)`,
      });
    }
  }

  found.sort((a, b) => a.rank - b.rank || (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  const first = found[0];
  return {
    ok: found.length === 0,
    accounts: log.accounts.size,
    spends: log.spends.size,
    firstBad: first ? { account: first.account, reason: first.reason } : null,
    problems: found
      .slice(0, 50)
      .map((f) => (f.account === '' ? f.reason : `account "${f.account}": ${f.reason}`)),
  };
}
