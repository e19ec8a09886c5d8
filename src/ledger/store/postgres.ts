/**
 * The PostgreSQL ledger store: Kysely's PostgresDialect over a `pg` Pool, for deployments where several hosts
 * share one ledger. Same migrations and queries as SQLite (migrations.ts picks the few dialect-specific types).
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import type { LedgerSchema } from './schema.js';

/** Where a PostgreSQL URL points, without its password (safe to log and to put in errors). */
export interface PostgresTarget {
  /** The URL with the password (in the userinfo or a `password` parameter) removed. */
  readonly location: string;
  readonly host: string;
  readonly port: string;
  readonly database: string;
  readonly user: string;
}

/**
 * Parses a `postgres://` or `postgresql://` URL into what may be shown of it.
 * @throws {InvalidParameterError} when it is not a URL
 */
export function postgresTarget(url: string): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidParameterError({
      fn: 'openLedgerDatabase',
      param: 'url',
      value: '<unparsable postgres URL>',
      allowed: 'postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    });
  }
  u.password = '';
  u.searchParams.delete('password');
  const user = decodeURIComponent(u.username) || process.env.PGUSER || '(default user)';
  return {
    location: u.toString(),
    host: u.hostname || u.searchParams.get('host') || process.env.PGHOST || 'localhost',
    port: u.port || '5432',
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || user,
    user,
  };
}

/**
 * The one lock every ledger writer takes: the key is 'veil:led' read as a signed 64-bit integer. Advisory locks
 * are per database, so two ledgers in two databases of one server never wait for each other.
 */
const WRITE_LOCK_KEY = '8531340982680839524';

/** Opens a pool on `url` and checks that the server answers and accepts the credentials. */
export async function openPostgres(url: string): Promise<{ db: Kysely<LedgerSchema>; location: string }> {
  const target = postgresTarget(url);
  const pool = new pg.Pool({
    connectionString: url,
    application_name: 'veil-ledger',
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    types: { getTypeParser: typeParser },
  });
  // An idle pooled connection whose server went away must not crash the process (an 'error' event without a
  // listener throws); the next query on the pool opens a fresh connection or fails with the reason.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw connectionError(err, target, url);
  }
  return {
    db: new Kysely<LedgerSchema>({ dialect: new PostgresDialect({ pool }) }),
    location: target.location,
  };
}

/**
 * Runs `body` as one write transaction, serialised against every other ledger writer on the same database, in
 * any process on any host: BEGIN, then `pg_advisory_xact_lock` on one fixed key before the first read, so a
 * writer reads only after the previous one committed or rolled back (READ COMMITTED takes a fresh snapshot per
 * statement, so it sees that writer's rows). This is SQLite's BEGIN IMMEDIATE, and the budget check-and-spend
 * and the audit log's `seq = current size` rely on exactly that.
 *
 * Why not SERIALIZABLE with retries on 40001: the body would have to be re-run, and it is not always safe to
 * (callbacks such as `beforeCommit`, audit-log signatures); concurrent spenders on one account read the same
 * subtree range, so under SERIALIZABLE all but one abort and retry; and the ledger's write rate is low (one
 * spend per job), so one writer at a time costs nothing that matters. The lock is transaction-scoped, so it is
 * released by COMMIT, ROLLBACK or the server when the connection drops (a killed process), and it works behind
 * transaction-mode poolers such as PgBouncer. A writer waits at most 120 s for the lock (SQLite's path also gives up after two
 * minutes), and a transaction left idle for 120 s (a hung client) is ended by the server.
 */
export function postgresWrite<T>(
  db: Kysely<LedgerSchema>,
  body: (trx: Kysely<LedgerSchema>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    try {
      await sql`select set_config('lock_timeout', '120s', true),
        set_config('idle_in_transaction_session_timeout', '120s', true)`.execute(conn);
      await sql`select pg_advisory_xact_lock(${sql.raw(WRITE_LOCK_KEY)})`.execute(conn);
      // `conn` is bound to the one pooled connection, so every query of `body` runs inside the transaction.
      const result = await body(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      // When the connection is gone the server has already rolled back; the body's error says more.
      await sql`rollback`.execute(conn).catch(() => {});
      throw err;
    }
  });
}

/** pg's type parsers, except bigint (count(*), sums): JS numbers like SQLite's, refused past 2^53. */
function typeParser(oid: number, format?: string) {
  if (oid === pg.types.builtins.INT8 && format !== 'binary') {
    return (text: string) => {
      const n = Number(text);
      if (!Number.isSafeInteger(n)) throw new RangeError(`ledger: bigint ${text} is past 2^53`);
      return n;
    };
  }
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads return a parser per format
  return pg.types.getTypeParser(oid, format as any);
}

/** A clear error for a failed first connection: names host, port, database and user, never the password. */
function connectionError(err: unknown, target: PostgresTarget, url: string): ConfigError {
  const raw = err instanceof Error ? err.message : String(err);
  const password = passwordOf(url);
  const reason = (password ? raw.split(password).join('***') : raw) || 'no answer';
  return new ConfigError(
    [
      {
        path: 'db',
        value: target.location,
        allowed:
          `a reachable PostgreSQL server that accepts the URL's credentials ` +
          `(connecting to ${target.host}:${target.port}, database "${target.database}", ` +
          `user "${target.user}" failed: ${reason})`,
      },
    ],
    'ledger database',
  );
}

function passwordOf(url: string): string {
  try {
    const u = new URL(url);
    return decodeURIComponent(u.password) || u.searchParams.get('password') || '';
  } catch {
    return '';
  }
}
