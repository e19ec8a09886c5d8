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
