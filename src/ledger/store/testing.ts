/**
 * Test support for ledger tests and benchmarks, the ledger's testing entry (not shipped: tsconfig.build.json
 * leaves out testing.ts, and the module face does not export it): the dialects a test runs on, a fresh database
 * per test, and the hook that empties the composition memo (to time a query as after another process's spend).
 *
 * PostgreSQL variants read `VEIL_TEST_POSTGRES_URL`, a role allowed to create databases (`source
 * .ci/setup-postgres.sh` starts a local server and exports it). Without it they are skipped with the reason in
 * their name, unless `VEIL_REQUIRE_SERVICES=1` (CI), where they run and fail saying what is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { csprng } from '../../core/index.js';

export { clearCompositionMemo } from '../budget/compose.js';
/** Recomputes the running totals from the spends table (benchmarks that seed spends straight into it). */
export { rebuildTotals } from './totals.js';

/** A dialect a ledger test runs on. */
export interface TestDialect {
  readonly dialect: 'sqlite' | 'postgres';
  /** 'SQLite', 'PostgreSQL', or 'PostgreSQL: skipped, <reason>'. */
  readonly label: string;
  readonly skip: boolean;
}

/** A database for one test. */
export interface TestDatabase {
  readonly url: string;
  /**
   * Options for `Ledger.open`: for PostgreSQL the audit key goes in a temporary directory (its default is under
   * the working directory); SQLite keeps it beside the database file.
   */
  readonly ledgerOptions: { readonly auditKeyFile?: string };
  /** Drops the database (PostgreSQL) or deletes its directory (SQLite). */
  dispose(): Promise<void>;
}

const POSTGRES_UNSET =
  'VEIL_TEST_POSTGRES_URL is unset (source .ci/setup-postgres.sh to start a local server)';

/** SQLite always; PostgreSQL when a server is configured or required. */
export function testDialects(): readonly TestDialect[] {
  const hasPostgres = Boolean(process.env.VEIL_TEST_POSTGRES_URL);
  const required = process.env.VEIL_REQUIRE_SERVICES === '1';
  return [
    { dialect: 'sqlite', label: 'SQLite', skip: false },
    hasPostgres || required
      ? { dialect: 'postgres', label: 'PostgreSQL', skip: false }
      : { dialect: 'postgres', label: `PostgreSQL: skipped, ${POSTGRES_UNSET}`, skip: true },
  ];
}

/**
 * A fresh, empty database: a new SQLite file in a temporary directory, or a new PostgreSQL database
 * `veil_test_<random>` on the server of VEIL_TEST_POSTGRES_URL. The PostgreSQL database gets an ICU en-US
 * collation where the server has ICU, so that a query relying on byte order without `COLLATE "C"` fails here.
 * @throws when PostgreSQL is asked for and VEIL_TEST_POSTGRES_URL is unset
 */
export async function createTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'veil-ledger-'));
    return {
      url: `sqlite:${join(dir, 'data', 'veil.db')}`,
      ledgerOptions: {},
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = process.env.VEIL_TEST_POSTGRES_URL;
  if (!admin) throw new Error(`PostgreSQL is required here (VEIL_REQUIRE_SERVICES=1) but ${POSTGRES_UNSET}`);
  const bytes = new Uint8Array(8);
  csprng().fillBytes(bytes);
  const name = `veil_test_${Buffer.from(bytes).toString('hex')}`;
  await withAdmin(admin, async (client) => {
    try {
      await client.query(`create database ${name} template template0 locale_provider icu icu_locale 'en-US'`);
    } catch {
      await client.query(`create database ${name}`); // PostgreSQL < 15, or built without ICU
    }
  });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const keys = mkdtempSync(join(tmpdir(), 'veil-ledger-keys-'));
  return {
    url: url.toString(),
    ledgerOptions: { auditKeyFile: join(keys, `${name}.audit-key`) },
    dispose: async () => {
      rmSync(keys, { recursive: true, force: true });
      // FORCE ends connections a test left open (PostgreSQL 13+). A backend still finishing a refused login
      // belongs to no role yet and may refuse to be signalled: try again shortly.
      for (let attempt = 0; ; attempt++) {
        try {
          await withAdmin(admin, (client) => client.query(`drop database if exists ${name} with (force)`));
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
  };
}

async function withAdmin(url: string, body: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await body(client);
  } finally {
    await client.end();
  }
}
