/**
 * A PostgreSQL database per test file for the service's tests, with the ledger's rules for when it runs
 * (src/ledger/store/testing.ts; a module reaches another only through its face, so the few lines are repeated
 * here): `VEIL_TEST_POSTGRES_URL` names a role that may create databases (`source .ci/setup-postgres.sh`);
 * without it the tests are skipped with the reason in their name, unless `VEIL_REQUIRE_SERVICES=1` (CI), where
 * they run and fail saying what is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { csprng } from '../../core/index.js';

const UNSET = 'VEIL_TEST_POSTGRES_URL is unset (source .ci/setup-postgres.sh to start a local server)';

/** Whether PostgreSQL tests run here, and their label: 'PostgreSQL' or 'PostgreSQL: skipped, <reason>'. */
export function postgresForTests(): { readonly skip: boolean; readonly label: string } {
  if (process.env.VEIL_TEST_POSTGRES_URL || process.env.VEIL_REQUIRE_SERVICES === '1')
    return { skip: false, label: 'PostgreSQL' };
  return { skip: true, label: `PostgreSQL: skipped, ${UNSET}` };
}

/** A fresh database `veil_test_<random>` and an audit key file every process of the test signs with. */
export interface PostgresTestDatabase {
  readonly url: string;
  readonly auditKeyFile: string;
  dispose(): Promise<void>;
}

/** @throws when VEIL_TEST_POSTGRES_URL is unset (under VEIL_REQUIRE_SERVICES=1) or the server refuses */
export async function createPostgresTestDatabase(): Promise<PostgresTestDatabase> {
  const admin = process.env.VEIL_TEST_POSTGRES_URL;
  if (!admin) throw new Error(`PostgreSQL is required here (VEIL_REQUIRE_SERVICES=1) but ${UNSET}`);
  const bytes = new Uint8Array(8);
  csprng().fillBytes(bytes);
  const name = `veil_test_${Buffer.from(bytes).toString('hex')}`;
  await withAdmin(admin, `create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const keys = mkdtempSync(join(tmpdir(), 'veil-service-keys-'));
  return {
    url: url.toString(),
    auditKeyFile: join(keys, `${name}.audit-key`),
    async dispose() {
      rmSync(keys, { recursive: true, force: true });
      for (let attempt = 0; ; attempt++) {
        try {
          await withAdmin(admin, `drop database if exists ${name} with (force)`);
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
  };
}

async function withAdmin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
