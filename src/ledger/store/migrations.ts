/**
 * Schema migrations, in code so that SQLite and PostgreSQL run the same ones (ARCHITECTURE decision 5). Kysely's
 * Migrator records applied migrations in its own table, so opening a ledger migrates it once and only forward.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, type RawBuilder, sql } from 'kysely';
import type { LedgerSchema } from './schema.js';
import { rebuildTotals } from './totals.js';

/** The SQL dialect a migration writes for. */
export type LedgerDialect = 'sqlite' | 'postgres';

/** A migration; `dialect` picks the few column types that differ (key text, generated ids). */
interface LedgerMigration {
  up(db: Kysely<unknown>, dialect: LedgerDialect): Promise<void>;
}

/**
 * The type of a text column holding a key or an account path. The ledger finds a subtree with the byte-order range
 * ['path/', 'path0') (ledger.ts, `inSubtree`); SQLite compares text bytewise, but PostgreSQL compares by the
 * database's locale (ICU's en-US puts 'acme/Cardio/x' inside the range of 'acme/cardio'), so there such columns
 * are `COLLATE "C"`: byte order, and every comparison and index on them uses it.
 */
function keyText(dialect: LedgerDialect): 'text' | RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

const migrations: Record<string, LedgerMigration> = {
  '0001-accounts-and-spends': {
    async up(db: Kysely<unknown>, dialect: LedgerDialect) {
      await db.schema
        .createTable('accounts')
        .addColumn('path', keyText(dialect), (c) => c.primaryKey())
        .addColumn('parent', keyText(dialect), (c) => c.references('accounts.path'))
        .addColumn('epsilon_limit', 'double precision', (c) => c.notNull())
        .addColumn('delta_limit', 'double precision', (c) => c.notNull())
        .addColumn('accountant', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('spends')
        // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT; PostgreSQL has no AUTOINCREMENT: an identity column
        .addColumn('id', 'integer', (c) =>
          dialect === 'postgres'
            ? c.primaryKey().generatedByDefaultAsIdentity()
            : c.primaryKey().autoIncrement(),
        )
        .addColumn('account', keyText(dialect), (c) => c.notNull().references('accounts.path'))
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('granted', 'refunded')`))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('refunded_at', 'text')
        .addColumn('refund_reason', 'text')
        .execute();
      await db.schema.createIndex('spends_account').on('spends').column('account').execute();
      await db.schema.createIndex('accounts_parent').on('accounts').column('parent').execute();
    },
  },
  '0002-audit-log-and-datasets': {
    async up(db: Kysely<unknown>, dialect: LedgerDialect) {
      // The audit log: one row per entry, `seq` its 0-based leaf index in the Merkle tree (assigned in the
      // writer's transaction, so it is dense), with its leaf hash and the hash chain up to it (hex).
      await db.schema
        .createTable('audit_entries')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('account', keyText(dialect))
        .addColumn('dataset', keyText(dialect))
        .addColumn('purpose', 'text')
        .addColumn('events', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('leaf_hash', 'text', (c) => c.notNull())
        .addColumn('chain_hash', 'text', (c) => c.notNull())
        .execute();
      // Signed tree heads, one per log size; `frontier` is the right edge of the tree (the roots of its perfect
      // subtrees, JSON), so the next append computes its root in O(log n).
      await db.schema
        .createTable('audit_heads')
        .addColumn('size', 'integer', (c) => c.primaryKey())
        .addColumn('root', 'text', (c) => c.notNull())
        .addColumn('chain_hash', 'text', (c) => c.notNull())
        .addColumn('frontier', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('key_id', keyText(dialect), (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_keys')
        .addColumn('key_id', keyText(dialect), (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // Datasets with their consent terms: allowed purposes, retention, constraints; JSON arrays as text.
      await db.schema
        .createTable('datasets')
        .addColumn('name', keyText(dialect), (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('purposes', 'text', (c) => c.notNull())
        .addColumn('retain_until', 'text')
        .addColumn('constraints', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'text', (c) => c.notNull())
        .addColumn('registered_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('spends').addColumn('dataset', keyText(dialect)).execute();
      await db.schema.alterTable('spends').addColumn('actor', 'text').execute();
    },
  },
  '0003-subtree-event-totals': {
    // Each account's granted history as distinct unit events with counts, over its whole subtree (a spend adds
    // to its account and every ancestor, a refund subtracts): a status or spend check reads a few dozen rows
    // instead of every spend below the account. Derived data, written in the spend's own transaction.
    async up(db: Kysely<unknown>, dialect: LedgerDialect) {
      await db.schema
        .createTable('event_totals')
        .addColumn('account', keyText(dialect), (c) => c.notNull())
        .addColumn('event_key', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_totals_pk', ['account', 'event_key'])
        .execute();
      await db.schema
        .createTable('subtree_spends')
        .addColumn('account', keyText(dialect), (c) => c.primaryKey())
        .addColumn('spends', 'bigint', (c) => c.notNull())
        .execute();
      // existing ledgers: fill from the granted spends
      await rebuildTotals(db as unknown as Kysely<LedgerSchema>);
    },
  },
  '0004-budget-digests': {
    // Each account's digest (its row and its subtree's totals), bound to the audit log by the state digest that
    // every budget entry carries (budget/state.ts). Filled from the tables by the first budget change after this
    // migration. The index serves the audit queries by account (a refund finds its spend's entry).
    async up(db: Kysely<unknown>, dialect: LedgerDialect) {
      await db.schema
        .createTable('budget_digests')
        .addColumn('account', keyText(dialect), (c) => c.primaryKey())
        .addColumn('digest', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audit_entries_account')
        .on('audit_entries')
        .columns(['account', 'seq'])
        .execute();
    },
  },
  '0005-audit-entries-dataset': {
    // An organisation's view of a shared log takes the entries that name its datasets but no account
    // (`dataset.register`, `dataset.access`; audit/queries.ts): a range on the label, served by this index.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('audit_entries_dataset')
        .on('audit_entries')
        .columns(['dataset', 'seq'])
        .execute();
    },
  },
};

/**
 * Brings the database up to the newest schema.
 * @throws the migration's error (nothing of a failed migration is kept: each runs in a transaction)
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: LedgerDialect): Promise<void> {
  const forDialect = Object.fromEntries(
    Object.entries(migrations).map(([name, m]): [string, Migration] => [
      name,
      { up: (d) => m.up(d, dialect) },
    ]),
  );
  const provider: MigrationProvider = { getMigrations: async () => forDialect };
  await migrateRacing(dialect, () => new Migrator({ db, provider }).migrateToLatest());
}

/**
 * Runs a migrator, once more after a failure on SQLite: Kysely takes no migration lock there, so two processes
 * opening a new ledger at once both try the first migration; the loser's transaction rolls back ("table already
 * exists") and, run again, finds the winner's migrations applied. PostgreSQL's migrator locks (no retry needed).
 * @throws the migration's error when it fails again
 */
export async function migrateRacing(
  dialect: LedgerDialect,
  migrate: () => Promise<{ error?: unknown }>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { error } = await migrate();
    if (!error) return;
    if (dialect !== 'sqlite' || attempt >= 3) throw error;
    await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
  }
}
