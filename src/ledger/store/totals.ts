/**
 * The `event_totals` and `subtree_spends` tables: for every account, its subtree's granted events as distinct unit events (a DP-SGD
 * run is its step event times its steps; see budget/compose.ts) with counts. Kept in the same transaction as the
 * spend or refund that changes it, so it always equals what the spends table composes to (tested).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PrivacyEvent } from '../../accounting/index.js';
import { EventGroups } from '../budget/compose.js';
import type { LedgerSchema } from './schema.js';

/** The account and each ancestor, self first. */
export function selfAndAncestors(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/')).reverse();
}

/** Adds `events` (times `sign`: 1 for a spend, -1 for a refund) to the totals of `account` and every ancestor. */
export async function addToTotals(
  db: Kysely<LedgerSchema>,
  account: string,
  events: readonly PrivacyEvent[],
  sign: 1 | -1,
): Promise<void> {
  const groups = new EventGroups().addAll(events).entries();
  for (const path of selfAndAncestors(account)) {
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
