/**
 * The `event_totals` and `subtree_spends` tables: for every account, its subtree's granted events as distinct unit events (a DP-SGD
 * run is its step event times its steps; see budget/compose.ts) with counts. Kept in the same transaction as the
 * spend or refund that changes it, so it always equals what the spends table composes to (tested).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PrivacyEvent } from '../../accounting/index.js';
import { ancestorsOf } from '../budget/accounts.js';
import { EventGroups } from '../budget/compose.js';
import type { LedgerSchema } from './schema.js';

/** Adds `events` (times `sign`: 1 for a spend, -1 for a refund) to the totals of `account` and every ancestor. */
export async function addToTotals(
  db: Kysely<LedgerSchema>,
  account: string,
  events: readonly PrivacyEvent[],
  sign: 1 | -1,
): Promise<void> {
  const groups = new EventGroups().addAll(events).entries();
  for (const path of ancestorsOf(account)) {
    for (const g of groups) {
      const event = JSON.stringify(g.event);
      const eventKey = createHash('sha256').update(event).digest('hex');
      const delta = sign * g.count;
      await db
        .insertInto('event_totals')
        .values({ account: path, event_key: eventKey, event, count: delta })
        .onConflict((oc) =>
          oc.columns(['account', 'event_key']).doUpdateSet((eb) => ({
            count: eb(eb.ref('event_totals.count'), '+', delta),
          })),
        )
        .execute();
    }
    await db
      .insertInto('subtree_spends')
      .values({ account: path, spends: sign })
      .onConflict((oc) =>
        oc
          .column('account')
          .doUpdateSet((eb) => ({ spends: eb(eb.ref('subtree_spends.spends'), '+', sign) })),
      )
      .execute();
    if (sign < 0) {
      await db.deleteFrom('event_totals').where('account', '=', path).where('count', '<=', 0).execute();
    }
  }
}

/** Granted spends in `account`'s subtree. */
export async function subtreeSpends(db: Kysely<LedgerSchema>, account: string): Promise<number> {
  const row = await db
    .selectFrom('subtree_spends')
    .select('spends')
    .where('account', '=', account)
    .executeTakeFirst();
  return row ? Number(row.spends) : 0;
}

/** `account`'s subtree history as grouped unit events. */
export async function subtreeTotals(db: Kysely<LedgerSchema>, account: string): Promise<EventGroups> {
  const rows = await db
    .selectFrom('event_totals')
    .select(['event', 'count'])
    .where('account', '=', account)
    .execute();
  const groups = new EventGroups();
  for (const r of rows) groups.add(JSON.parse(r.event) as PrivacyEvent, Number(r.count));
  return groups;
}

/**
 * Each account's subtree history from a list of granted spends: its distinct unit events with counts and its
 * number of spends (what `event_totals` and `subtree_spends` hold). `parse` reads a spend's events text (default
 * JSON.parse; identical texts are parsed once).
 */
export function subtreeHistories(
  spends: Iterable<{ readonly account: string; readonly events: string }>,
  parse: (text: string) => PrivacyEvent[] = (text) => JSON.parse(text) as PrivacyEvent[],
): Map<string, { groups: EventGroups; spends: number }> {
  const perAccount = new Map<string, { groups: EventGroups; spends: number }>();
  const parsed = new Map<string, PrivacyEvent[]>();
  for (const row of spends) {
    let events = parsed.get(row.events);
    if (!events) {
      events = parse(row.events);
      parsed.set(row.events, events);
    }
    for (const path of ancestorsOf(row.account)) {
      let t = perAccount.get(path);
      if (!t) {
        t = { groups: new EventGroups(), spends: 0 };
        perAccount.set(path, t);
      }
      t.groups.addAll(events);
      t.spends++;
    }
  }
  return perAccount;
}

/**
 * Recomputes every account's totals from the granted spends (inside the caller's write transaction): the
 * migration that introduced them, and benchmarks that seed spends straight into the table (the testing entry).
 */
export async function rebuildTotals(db: Kysely<LedgerSchema>): Promise<void> {
  await db.deleteFrom('event_totals').execute();
  await db.deleteFrom('subtree_spends').execute();
  const rows = await db
    .selectFrom('spends')
    .select(['account', 'events'])
    .where('status', '=', 'granted')
    .execute();
  const perAccount = subtreeHistories(rows);
  const totals: { account: string; event_key: string; event: string; count: number }[] = [];
  for (const [account, t] of perAccount) {
    for (const g of t.groups.entries()) {
      const event = JSON.stringify(g.event);
      totals.push({
        account,
        event_key: createHash('sha256').update(event).digest('hex'),
        event,
        count: g.count,
      });
    }
  }
  for (let i = 0; i < totals.length; i += 500) {
    await db
      .insertInto('event_totals')
      .values(totals.slice(i, i + 500))
      .execute();
  }
  const counts = [...perAccount].map(([account, t]) => ({ account, spends: t.spends }));
  for (let i = 0; i < counts.length; i += 500) {
    await db
      .insertInto('subtree_spends')
      .values(counts.slice(i, i + 500))
      .execute();
  }
}
