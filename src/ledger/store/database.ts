/**
 * Opening a ledger database by URL: `sqlite:PATH` (the embedded default: a file, created with its directory on
 * first use), `sqlite::memory:` for tests, or `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (also `postgresql://`)
 * for a ledger shared by several hosts (postgres.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { ConfigError, csprng, ensureDirectory, InvalidParameterError } from '../../core/index.js';
import { migrateToLatest } from './migrations.js';
import { openPostgres, postgresWrite } from './postgres.js';
import type { LedgerSchema } from './schema.js';

/** An open ledger database. */
export interface LedgerDatabase {
  readonly db: Kysely<LedgerSchema>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Where it lives: the file path for SQLite, the URL without its password for PostgreSQL. */
  readonly location: string;
  /**
   * Runs `body` as one serialised write transaction and commits it, or rolls it back when `body` throws. Two
   * writers never interleave: on SQLite, BEGIN IMMEDIATE takes the write lock up front (so two processes never
   * both pass a budget check on the same snapshot; the second waits); on PostgreSQL, a transaction-scoped
   * advisory lock taken before the first read does the same across hosts (postgres.ts says why not SERIALIZABLE).
   */
  writeTransaction<T>(body: (trx: Kysely<LedgerSchema>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The default database: `./veil-data/veil.db`. */
export const DEFAULT_LEDGER_URL = 'sqlite:./veil-data/veil.db';

/** How to open a ledger database. */
export interface OpenLedgerOptions {
  /**
   * Create a missing SQLite file and its directory (default true). False for commands that only read: a missing
   * file is refused and nothing is created. PostgreSQL ignores it (the database exists; migrations run).
   */
  readonly create?: boolean;
}

/**
 * Opens (creating and migrating when needed) the ledger at `url`.
 * @throws {InvalidParameterError} for a URL of another kind
 * @throws {ConfigError} when the PostgreSQL server cannot be reached or refuses the credentials (the message
 * names host, port, database and user, never the password); with `create: false`, when no SQLite file is there
 */
export async function openLedgerDatabase(
  url: string = DEFAULT_LEDGER_URL,
  options: OpenLedgerOptions = {},
): Promise<LedgerDatabase> {
  if (typeof url === 'string' && /^postgres(ql)?:\/\//.test(url)) {
    const { db, location } = await openPostgres(url);
    try {
      await migrateToLatest(db as Kysely<unknown>, 'postgres');
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return {
      db,
      dialect: 'postgres',
      location,
      writeTransaction: (body) => postgresWrite(db, body),
      close: () => db.destroy(), // ends the pool
    };
  }
  if (typeof url !== 'string' || !url.startsWith('sqlite:') || url.length === 'sqlite:'.length) {
    throw new InvalidParameterError({
      fn: 'openLedgerDatabase',
      param: 'url',
      value: url,
      allowed:
        'sqlite:PATH (a file, created on first use), sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DB',
    });
  }
  const target = url.slice('sqlite:'.length);
  const location = target === ':memory:' ? target : resolve(target);
  const mustExist = options.create === false && location !== ':memory:';
  if (mustExist && !existsSync(location))
    throw new ConfigError(
      [
        {
          path: 'ledger',
          value: url,
          allowed: `an existing ledger (there is none at ${location}; the first write command, such as \`veil budget create\`, creates one)`,
        },
      ],
      'ledger',
    );
  let sqlite: InstanceType<typeof Database>;
  try {
    if (location !== ':memory:' && !mustExist) ensureDirectory(dirname(location));
    // fileMustExist: a file removed since the check above is refused, not created
    sqlite = new Database(location, { fileMustExist: mustExist });
  } catch (err) {
    throw new ConfigError(
      [
        {
          path: 'ledger',
          value: url,
          allowed: `a SQLite file Veil can create or open (${(err as Error).message})`,
        },
      ],
      'ledger',
    );
  }
  // WAL lets readers run beside the one writer; a writer waits up to 30 s for the lock instead of failing;
  // FULL sync makes a committed spend survive a power cut.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 30000');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<LedgerSchema>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  try {
    await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    db,
    dialect: 'sqlite',
    location,
    writeTransaction: (body) => sqliteWrite(db, body),
    close: () => db.destroy(),
  };
}

/**
 * The database as Kysely's SQLite driver sees it, with prepared statements reused: the driver prepares every query
 * anew, which was an eighth of a service's CPU per request (bench/service/api.ts). Statements are keyed by their
 * SQL text (parameters are bound at each run); the cache is emptied when it reaches 1,000 statements.
 */
function withStatementCache(sqlite: InstanceType<typeof Database>): InstanceType<typeof Database> {
  const cache = new Map<string, ReturnType<InstanceType<typeof Database>['prepare']>>();
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare')
        return (source: string) => {
          let stmt = cache.get(source);
          if (stmt === undefined) {
            if (cache.size >= 1000) cache.clear();
            stmt = target.prepare(source);
            cache.set(source, stmt);
          }
          return stmt;
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function sqliteWrite<T>(
  db: Kysely<LedgerSchema>,
  body: (trx: Kysely<LedgerSchema>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    // The busy timeout covers most waits, but SQLite can still answer SQLITE_BUSY at once (WAL recovery, or a
    // queue of writers longer than the timeout): try again with jittered backoff for up to two minutes.
    const until = Date.now() + 120_000;
    const jitter = csprng();
    for (let attempt = 0; ; attempt++) {
      try {
        await sql`begin immediate`.execute(conn);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 10 + jitter.uniformInt(40 * Math.min(attempt + 1, 10))));
      }
    }
    try {
      // `conn` is bound to the one connection, so every query of `body` runs inside the open transaction.
      const result = await body(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
  });
}
