/**
 * Schema migrations, in code so that SQLite and PostgreSQL run the same ones (ARCHITECTURE decision 5). Kysely's
 * Migrator records applied migrations in its own table, so opening a ledger migrates it once and only forward.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001-accounts-and-spends': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('accounts')
        .addColumn('path', 'text', (c) => c.primaryKey())
        .addColumn('parent', 'text', (c) => c.references('accounts.path'))
        .addColumn('epsilon_limit', 'double precision', (c) => c.notNull())
        .addColumn('delta_limit', 'double precision', (c) => c.notNull())
        .addColumn('accountant', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('spends')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('account', 'text', (c) => c.notNull().references('accounts.path'))
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
    async up(db: Kysely<unknown>) {
      // The audit log: one row per entry, `seq` its 0-based leaf index in the Merkle tree (assigned in the
      // writer's transaction, so it is dense), with its leaf hash and the hash chain up to it (hex).
      await db.schema
        .createTable('audit_entries')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('account', 'text')
        .addColumn('dataset', 'text')
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
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // Datasets with their consent terms: allowed purposes, retention, constraints; JSON arrays as text.
      await db.schema
        .createTable('datasets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('purposes', 'text', (c) => c.notNull())
        .addColumn('retain_until', 'text')
        .addColumn('constraints', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'text', (c) => c.notNull())
        .addColumn('registered_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('spends').addColumn('dataset', 'text').execute();
      await db.schema.alterTable('spends').addColumn('actor', 'text').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the database up to the newest schema.
 * @throws the migration's error (nothing of a failed migration is kept: each runs in a transaction)
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
}
