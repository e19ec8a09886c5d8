/**
 * The service's migrations, in code for SQLite and PostgreSQL alike (ARCHITECTURE decision 5), recorded in their
 * own Kysely migration table so that they never mix with the ledger's.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, type RawBuilder, sql } from 'kysely';
import { migrateRacing } from '../../ledger/index.js';

type Dialect = 'sqlite' | 'postgres';

/** Key columns compare bytewise on both dialects (see the ledger's migrations). */
function keyText(dialect: Dialect): 'text' | RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

const migrations: Record<string, (db: Kysely<unknown>, dialect: Dialect) => Promise<void>> = {
  '0001-organisations-principals-keys-jobs': async (db, dialect) => {
    await db.schema
      .createTable('organisations')
      .addColumn('name', keyText(dialect), (c) => c.primaryKey())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('principals')
      .addColumn('id', keyText(dialect), (c) => c.primaryKey())
      .addColumn('org', keyText(dialect), (c) => c.notNull().references('organisations.name'))
      .addColumn('name', keyText(dialect), (c) => c.notNull())
      .addColumn('role', 'text', (c) =>
        c.notNull().check(sql`role in ('admin', 'data-steward', 'analyst', 'auditor')`),
      )
      .addColumn('oidc_issuer', 'text')
      .addColumn('oidc_subject', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'text')
      .addUniqueConstraint('principals_org_name', ['org', 'name'])
      .execute();
    await db.schema
      .createIndex('principals_oidc')
      .on('principals')
      .columns(['oidc_issuer', 'oidc_subject'])
      .unique()
      .execute();
    await db.schema
      .createTable('api_keys')
      .addColumn('id', keyText(dialect), (c) => c.primaryKey())
      .addColumn('org', keyText(dialect), (c) => c.notNull().references('organisations.name'))
      .addColumn('principal_id', keyText(dialect), (c) => c.notNull().references('principals.id'))
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text')
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('service_secrets')
      .addColumn('name', keyText(dialect), (c) => c.primaryKey())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('service_jobs')
      .addColumn('id', keyText(dialect), (c) => c.primaryKey())
      .addColumn('org', keyText(dialect), (c) => c.notNull().references('organisations.name'))
      .addColumn('principal_id', keyText(dialect), (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) =>
        c.notNull().check(sql`state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
      )
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
      .addColumn('spend_id', 'integer')
      .addColumn('spend_account', keyText(dialect))
      .addColumn('charge', 'text')
      .addColumn('reservation', 'text', (c) =>
        c.check(sql`reservation is null or reservation in ('reserved', 'consumed', 'refunded')`),
      )
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('cancel_requested', 'integer', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema
      .createIndex('service_jobs_org')
      .on('service_jobs')
      .columns(['org', 'created_at'])
      .execute();
    await db.schema
      .createIndex('service_jobs_state')
      .on('service_jobs')
      .columns(['state', 'priority'])
      .execute();
    await db.schema
      .createTable('job_events')
      .addColumn('job_id', keyText(dialect), (c) => c.notNull().references('service_jobs.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('job_events_pk', ['job_id', 'seq'])
      .execute();
  },
  '0002-webhooks-and-alerts': async (db, dialect) => {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', keyText(dialect), (c) => c.primaryKey())
      .addColumn('org', keyText(dialect), (c) => c.notNull().references('organisations.name'))
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('kinds', 'text', (c) => c.notNull())
      .addColumn('threshold', 'double precision', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'text')
      .execute();
    // one row per alert a webhook owes: the unique key makes two service processes send it once
    await db.schema
      .createTable('alerts')
      .addColumn('webhook_id', keyText(dialect), (c) => c.notNull().references('webhooks.id'))
      .addColumn('key', keyText(dialect), (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('delivered', 'integer', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addPrimaryKeyConstraint('alerts_pk', ['webhook_id', 'key'])
      .execute();
  },
};

/**
 * Brings the service's tables up to the newest schema (each migration in its own transaction).
 * @throws the migration's error
 */
export async function migrateService(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const all = Object.fromEntries(
    Object.entries(migrations).map(([name, up]): [string, Migration] => [
      name,
      { up: (d) => up(d, dialect) },
    ]),
  );
  const provider: MigrationProvider = { getMigrations: async () => all };
  await migrateRacing(dialect, () =>
    new Migrator({
      db,
      provider,
      migrationTableName: 'veil_service_migrations',
      migrationLockTableName: 'veil_service_migrations_lock',
    }).migrateToLatest(),
  );
}
