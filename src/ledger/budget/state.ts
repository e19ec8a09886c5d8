/**
 * The budget state, bound to the signed audit log (issue 13, item 3). The tables a spend relies on — each
 * account's limits (`accounts`) and its subtree's running totals (`event_totals`, `subtree_spends`) — are derived
 * data that an insider with write access to the database could edit to free budget. So:
 *
 * - each account has a digest of exactly what a spend reads of it: its row and its subtree's totals
 *   ({@link accountDigest}); the digests are kept in `budget_digests`, one row per account;
 * - the state digest is SHA-256 over every (account, digest) pair in path order, and every audit entry that
 *   changes the budget (an account created, a spend granted, a refund) carries the state digest after its
 *   change (`detail.budgetState`), so the signed tree heads cover it;
 * - before a change, {@link checkBudgetState} finds the newest such entry, proves it is the newest (the entries
 *   after it, re-hashed from their content, lead to the signed head's chain hash, so none was edited, removed or
 *   hidden), checks `budget_digests` as a whole against its state digest, and recomputes the digest of every
 *   account the change relies on from the tables (stored digests that disagree with the signed state are
 *   recomputed from the tables, a cache rebuilt, when those give the signed state). Any difference refuses the change ({@link IntegrityError},
 *   `details.check` 'budget-state'), naming the account when it is one. The cost is one read of `budget_digests`
 *   (one short row per account), the rows the spend reads anyway, and the audit entries after the newest budget
 *   entry (usually none).
 *
 * `veil audit verify` goes further (replay.ts): it recomputes every account, spend and total from the audited
 * entries and compares them with the tables. What the cheap check cannot see is an edit to an older audit entry
 * itself (a rewritten history); full verification reports it (the entry's hashes no longer match).
 *
 * A ledger whose newest budget entry predates these digests (or that has none) starts from its tables as they are
 * ("bootstrap"): its digests are computed from them once, and from then on every change is bound to the log. Full
 * verification still checks those tables against the whole log.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { IntegrityError } from '../../core/index.js';
import { chainNext, entryBytes, hex, type SignedTreeHead, unhex, ZERO } from '../audit/format.js';
import { leafHash } from '../audit/merkle.js';
import type { LedgerSchema } from '../store/schema.js';
import type { LedgerContext } from './context.js';

/** The audit actions and outcomes that change the budget state; their entries carry `detail.budgetState`. */
export const STATE_ACTIONS = ['account.create', 'budget.spend', 'budget.refund'] as const;
export const STATE_OUTCOMES = ['created', 'granted', 'refunded'] as const;

/** What an account's digest covers: its limits and its subtree's totals, as the tables hold them. */
export interface AccountFacts {
  readonly path: string;
  readonly parent: string | null;
  readonly epsilonLimit: number;
  readonly deltaLimit: number;
  readonly accountant: string;
  /** Granted spends in the subtree. */
  readonly spends: number;
  /** Each distinct unit event (its JSON, as `event_totals` stores it) and how many times it ran. */
  readonly totals: readonly { readonly event: string; readonly count: number }[];
}

const sha256hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The digest of an account's facts (the totals in event-text order, so the digest does not depend on row order). */
export function accountDigest(f: AccountFacts): string {
  const totals = [...f.totals]
    .filter((t) => t.count !== 0)
    .sort((a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : 0))
    .map((t) => [t.event, t.count]);
  return sha256hex(
    JSON.stringify([
      'veil-budget-account-v1',
      f.path,
      f.parent,
      f.epsilonLimit,
      f.deltaLimit,
      f.accountant,
      f.spends,
      totals,
    ]),
  );
}

/** The state digest: SHA-256 over every (account, digest) pair, in path order. */
export function stateDigest(digests: ReadonlyMap<string, string>): string {
  const lines = [...digests.keys()].sort().map((path) => `${path} ${digests.get(path)}\n`);
  return sha256hex(`veil-budget-state-v1\n${lines.join('')}`);
}

/** The facts of the accounts at `paths` as the tables hold them (three queries in all); absent accounts are left out. */
export async function accountFactsIn(
  db: Kysely<LedgerSchema>,
  paths: readonly string[],
): Promise<Map<string, AccountFacts>> {
  const out = new Map<string, AccountFacts>();
  if (paths.length === 0) return out;
  const wanted = [...new Set(paths)];
  const rows = await db.selectFrom('accounts').selectAll().where('path', 'in', wanted).execute();
  const spends = new Map(
    (await db.selectFrom('subtree_spends').selectAll().where('account', 'in', wanted).execute()).map((r) => [
      r.account,
      Number(r.spends),
    ]),
  );
  const totals = new Map<string, { event: string; count: number }[]>();
  for (const t of await db
    .selectFrom('event_totals')
    .select(['account', 'event', 'count'])
    .where('account', 'in', wanted)
    .execute()) {
    let list = totals.get(t.account);
    if (!list) {
      list = [];
      totals.set(t.account, list);
    }
    list.push({ event: t.event, count: Number(t.count) });
  }
  for (const row of rows) {
    out.set(row.path, {
      path: row.path,
      parent: row.parent,
      epsilonLimit: row.epsilon_limit,
      deltaLimit: row.delta_limit,
      accountant: row.accountant,
      spends: spends.get(row.path) ?? 0,
      totals: totals.get(row.path) ?? [],
    });
  }
  return out;
}

/** Every account's digest recomputed from the tables (the bootstrap, and verification). */
export async function digestsFromTables(db: Kysely<LedgerSchema>): Promise<Map<string, string>> {
  const accounts = await db.selectFrom('accounts').selectAll().execute();
  const spends = new Map(
    (await db.selectFrom('subtree_spends').selectAll().execute()).map((r) => [r.account, Number(r.spends)]),
  );
  const totals = new Map<string, { event: string; count: number }[]>();
  for (const r of await db.selectFrom('event_totals').select(['account', 'event', 'count']).execute()) {
    let list = totals.get(r.account);
    if (!list) {
      list = [];
      totals.set(r.account, list);
    }
    list.push({ event: r.event, count: Number(r.count) });
  }
  const out = new Map<string, string>();
  for (const a of accounts) {
    out.set(
      a.path,
      accountDigest({
        path: a.path,
        parent: a.parent,
        epsilonLimit: a.epsilon_limit,
        deltaLimit: a.delta_limit,
        accountant: a.accountant,
        spends: spends.get(a.path) ?? 0,
        totals: totals.get(a.path) ?? [],
      }),
    );
  }
  return out;
}

/** The stored digests (`budget_digests`), by account. */
export async function storedDigests(db: Kysely<LedgerSchema>): Promise<Map<string, string>> {
  const rows = await db.selectFrom('budget_digests').select(['account', 'digest']).execute();
  return new Map(rows.map((r) => [r.account, r.digest]));
}

async function storeDigests(trx: Kysely<LedgerSchema>, digests: ReadonlyMap<string, string>): Promise<void> {
  await trx.deleteFrom('budget_digests').execute();
  const rows = [...digests].map(([account, digest]) => ({ account, digest }));
  for (let i = 0; i < rows.length; i += 500) {
    await trx
      .insertInto('budget_digests')
      .values(rows.slice(i, i + 500))
      .execute();
  }
}

function refuse(message: string, details: Record<string, unknown> = {}): never {
  throw new IntegrityError(
    `${message}; nothing was written. Run \`veil audit verify\` for the full comparison`,
    {
      check: 'budget-state',
      ...details,
    },
  );
}

/**
 * The state digest the newest budget entry signed, its sequence number, or null when the log holds none carrying one
 * (a new ledger, or one from before the digests). `head` is the newest signed tree head, already checked by the
 * write path (openAppend: its signature under the log key, its frontier, the witness). Proves the entry is the
 * newest: the entries from it to the end must be exactly the ones the head covers, their content hashing to its
 * chain hash.
 * @throws {IntegrityError} the entries after the newest budget entry do not lead to the signed head (edited,
 *   removed, or one hidden)
 */
export async function signedState(
  trx: Kysely<LedgerSchema>,
  head: SignedTreeHead | null,
): Promise<{ readonly seq: number; readonly digest: string } | null> {
  if (!head) return null;
  const newest = await trx
    .selectFrom('audit_entries')
    .select('seq')
    .where('action', 'in', [...STATE_ACTIONS])
    .where('outcome', 'in', [...STATE_OUTCOMES])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  // with no budget entry, the whole log is re-hashed to prove there is none (a log without one is short: budget
  // entries start with the first account)
  const from = newest?.seq ?? 0;
  const rows = await trx
    .selectFrom('audit_entries')
    .selectAll()
    .where('seq', '>=', from)
    .orderBy('seq')
    .execute();
  const before =
    from === 0
      ? null
      : await trx
          .selectFrom('audit_entries')
          .select('chain_hash')
          .where('seq', '=', from - 1)
          .executeTakeFirst();
  let chain: Uint8Array = from === 0 ? ZERO : before ? unhex(before.chain_hash) : ZERO;
  let expected = from;
  for (const row of rows) {
    if (row.seq !== expected) break;
    chain = chainNext(chain, leafHash(entryBytes(row)));
    expected++;
  }
  if (
    (from > 0 && !before) ||
    expected !== head.size ||
    rows.length !== head.size - from ||
    hex(chain) !== head.chainHash
  ) {
    refuse(
      `the audit entries from ${from} on do not lead to the newest signed tree head (size ${head.size}): the newest ` +
        'budget entry or an entry after it was edited, removed or hidden in the database',
      { size: head.size, from },
    );
  }
  if (!newest) return null;
  const detail = JSON.parse(rows[0]!.detail) as { budgetState?: unknown };
  const digest = detail.budgetState;
  return typeof digest === 'string' && /^[0-9a-f]{64}$/.test(digest) ? { seq: newest.seq, digest } : null;
}

/** The checked budget state of a write transaction: update it after the change, then put its digest in the entry. */
export interface BudgetState {
  /**
   * Recomputes the digests of `paths` (the accounts the change touched) from the tables, stores them, and returns
   * the new state digest for the entry's `detail.budgetState`.
   */
  update(paths: readonly string[]): Promise<string>;
}

/**
 * Checks, inside a write transaction and before the change reads anything, that the budget state is the one the
 * log signed: the account digests as a whole against the newest budget entry's state digest, and each account in
 * `relied` (those whose limits or totals the change reads; unknown paths are skipped) recomputed from the tables.
 * The digests come from `cache` when it holds the signed digest (this process signed it last), else from
 * `budget_digests`. A ledger without a signed state digest yet starts from its tables (see the module's comment).
 * `head` is the newest signed head as the write path checked it.
 * @throws {IntegrityError} `details.check` 'budget-state', naming the account when one differs
 */
export async function checkBudgetState(
  trx: Kysely<LedgerSchema>,
  head: SignedTreeHead | null,
  relied: readonly string[],
  cache: LedgerContext['budgetCache'],
): Promise<BudgetState> {
  const signed = await signedState(trx, head);
  let digests: Map<string, string>;
  if (signed === null) {
    digests = await digestsFromTables(trx);
    await storeDigests(trx, digests);
  } else if (cache.current?.digest === signed.digest) {
    digests = new Map(cache.current.digests);
  } else {
    digests = await storedDigests(trx);
    if (stateDigest(digests) !== signed.digest) {
      // the stored digests are only a cache of the tables: if the tables give the signed state, store them again
      const fromTables = await digestsFromTables(trx);
      if (stateDigest(fromTables) !== signed.digest) {
        const differing = [...new Set([...digests.keys(), ...fromTables.keys()])]
          .sort()
          .filter((path) => digests.get(path) !== fromTables.get(path));
        refuse(
          `the budget state in the database differs from the one signed in audit entry ${signed.seq}` +
            (differing.length > 0
              ? `: account "${differing[0]}" first (the accounts, event_totals or subtree_spends table was edited)`
              : ': an account, its limits or its spent totals were edited together with their digests'),
          { seq: signed.seq, ...(differing.length > 0 ? { account: differing[0] } : {}) },
        );
      }
      await storeDigests(trx, fromTables);
      digests = fromTables;
    }
  }
  if (signed !== null) {
    const facts = await accountFactsIn(trx, relied);
    for (const path of relied) {
      const f = facts.get(path);
      const stored = digests.get(path);
      if (f === undefined && stored === undefined) continue;
      if (f === undefined || stored === undefined || accountDigest(f) !== stored) {
        refuse(
          `account "${path}": its limits or spent totals in the database differ from the budget state signed in ` +
            `audit entry ${signed.seq} (the accounts, event_totals or subtree_spends table was edited)`,
          { account: path, seq: signed.seq },
        );
      }
    }
  }
  return {
    async update(paths) {
      for (const [path, f] of await accountFactsIn(trx, paths)) {
        const digest = accountDigest(f);
        digests.set(path, digest);
        await trx
          .insertInto('budget_digests')
          .values({ account: path, digest })
          .onConflict((oc) => oc.column('account').doUpdateSet({ digest }))
          .execute();
      }
      const digest = stateDigest(digests);
      cache.current = { digest, digests };
      return digest;
    },
  };
}
