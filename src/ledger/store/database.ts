/**
 * Opening a ledger database by URL: `sqlite:PATH` (the embedded default: a file, created with its directory on
 * first use), `sqlite::memory:` for tests, or `postgres://…` (not built yet: refused with a clear error).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { InvalidParameterError, UnsupportedError } from '../../core/index.js';
import { migrateToLatest } from './migrations.js';
import type { LedgerSchema } from './schema.js';

/** An open ledger database. */
export interface LedgerDatabase {
  readonly db: Kysely<LedgerSchema>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Where it lives (the file path for SQLite). */
  readonly location: string;
  close(): Promise<void>;
}

/** The default database: `./veil-data/veil.db`. */
export const DEFAULT_LEDGER_URL = 'sqlite:./veil-data/veil.db';

/**
 * Opens (creating and migrating when needed) the ledger at `url`.
 * @throws {InvalidParameterError} for a URL of another kind
 * @throws {UnsupportedError} for PostgreSQL, not built yet
 */
export async function openLedgerDatabase(url: string = DEFAULT_LEDGER_URL): Promise<LedgerDatabase> {
  if (typeof url === 'string' && /^postgres(ql)?:\/\//.test(url)) {
    throw new UnsupportedError('the PostgreSQL ledger is not built yet; use sqlite:PATH', {
      url: '<postgres>',
    });
  }
  if (typeof url !== 'string' || !url.startsWith('sqlite:') || url.length === 'sqlite:'.length) {
    throw new InvalidParameterError({
      fn: 'openLedgerDatabase',
      param: 'url',
      value: url,
      allowed: 'sqlite:PATH (a file, created on first use) or sqlite::memory:',
    });
  }
  const target = url.slice('sqlite:'.length);
  const location = target === ':memory:' ? target : resolve(target);
  if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
  const sqlite = new Database(location);
  // WAL lets readers run beside the one writer; a writer waits up to 30 s for the lock instead of failing;
  // FULL sync makes a committed spend survive a power cut.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 30000');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<LedgerSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, dialect: 'sqlite', location, close: () => db.destroy() };
}
