/**
 * The ledger under real concurrency and real crashes, on SQLite and on PostgreSQL (a fresh database each; the
 * PostgreSQL variant needs VEIL_TEST_POSTGRES_URL, see src/ledger/store/testing.ts): 100 spender processes
 * against one account, and a process SIGKILLed inside a spend's transaction.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gaussianEvent, RdpAccountant } from '../../src/accounting/index.js';
import { Ledger } from '../../src/ledger/index.js';
import { createTestDatabase, type TestDatabase, testDialects } from '../../src/ledger/store/testing.js';

const SOURCE = join(import.meta.dirname, 'fixtures', 'ledger-spender.ts');
// The spender bundled to plain JavaScript once: `node --import tsx` costs ~1.6 s of CPU per process, which for 100
// processes on a 2-core machine was minutes. Written under node_modules/.cache so its imports resolve.
const SPENDER = join(
  import.meta.dirname,
  '..',
  '..',
  'node_modules',
  '.cache',
  'veil-e2e',
  'ledger-spender.mjs',
);
beforeAll(async () => {
  await build({
    entryPoints: [SOURCE],
    outfile: SPENDER,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
});

function spender(
  database: TestDatabase,
  args: string[],
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; out: string; err: string }>;
} {
  const keyFile = database.ledgerOptions.auditKeyFile;
  const child = spawn(process.execPath, [SPENDER, database.url, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: keyFile ? { ...process.env, VEIL_E2E_AUDIT_KEY_FILE: keyFile } : process.env,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  // 'close', not 'exit': 'exit' can come before the last of stdout has been read
  return {
    child,
    done: new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err }))),
  };
}

describe.each(testDialects().map((t) => [t.label, t] as const))(
  'the ledger across processes (%s)',
  (_, { dialect, skip }) => {
    let database: TestDatabase | undefined;
    beforeEach(async (context) => {
      context.skip(skip, 'no PostgreSQL server configured');
      database = await createTestDatabase(dialect);
    });
    afterEach(async () => {
      await database?.dispose();
      database = undefined;
    });
    const open = () => Ledger.open(database!.url, database!.ledgerOptions);

    it('100 concurrent spenders never overspend: exactly the affordable number of spends is granted', async () => {
      const setup = await open();
      await setup.createAccount({ path: 'shared', epsilon: 10, delta: 1e-5 });
      await setup.close();
      // identical events, so the number of grants the budget allows does not depend on the order
      const sigma = 3;
      let affordable = 0;
      const acc = new RdpAccountant();
      while (acc.compose(gaussianEvent({ sigma })).epsilon({ delta: 1e-5 }) <= 10) affordable++;
      expect(affordable).toBeGreaterThan(10);
      expect(affordable).toBeLessThan(100);
      const runs = await Promise.all(
        Array.from({ length: 100 }, () => spender(database!, ['shared', String(sigma)]).done),
      );
      for (const r of runs) expect(r.code, r.err).toBe(0);
      const results = runs.map((r) => JSON.parse(r.out.trim()) as { granted: boolean; message?: string });
      const granted = results.filter((r) => r.granted).length;
      expect(granted).toBe(affordable);
      for (const r of results.filter((x) => !x.granted)) expect(r.message).toMatch(/\(\d+\.\d+ remaining\)/);
      const check = await open();
      const s = await check.status('shared');
      // every spend, granted or refused, is in the audit log, and the log verifies
      const entries = await check.auditEntries();
      const audit = await check.verifyAudit();
      await check.close();
      expect(s.spends).toBe(affordable);
      expect(s.epsilonSpent).toBeLessThanOrEqual(10);
      expect(entries.filter((e) => e.outcome === 'granted')).toHaveLength(affordable);
      expect(entries.filter((e) => e.outcome === 'refused')).toHaveLength(100 - affordable);
      expect(audit).toMatchObject({ ok: true, size: 101 });
    }, 600_000); // a spender takes ~1.6 s of CPU to start (node + tsx); 5 min measured on a busy 2-core machine

    it('a spender killed inside its spend leaves the ledger without it, and the next spend goes through', async () => {
      const setup = await open();
      await setup.createAccount({ path: 'acme', epsilon: 10, delta: 1e-5 });
      await setup.spend('acme', [gaussianEvent({ sigma: 4 })], { purpose: 'before the crash' });
      await setup.close();
      const victim = spender(database!, ['acme', '4', 'hang-in-spend']);
      await new Promise<void>((resolve, reject) => {
        victim.child.stdout!.on('data', (c: Buffer) => {
          if (c.toString('utf8').includes('"inside":true')) resolve();
        });
        victim.child.once('exit', () => reject(new Error('the spender exited before reaching the commit')));
      });
      victim.child.kill('SIGKILL');
      await victim.done;
      const after = await open();
      expect((await after.status('acme')).spends).toBe(1); // the killed spend is not there, not even half
      expect((await after.verifyAudit()).ok).toBe(true); // nor its audit entry: the log still verifies
      // the next writer gets the write lock (PostgreSQL released the dead session's lock with its transaction)
      await after.spend('acme', [gaussianEvent({ sigma: 4 })], { purpose: 'after the crash' });
      expect((await after.spends('acme')).map((x) => x.purpose)).toEqual([
        'before the crash',
        'after the crash',
      ]);
      expect(await after.verifyAudit()).toMatchObject({ ok: true, size: 3 });
      await after.close();
    }, 120_000);
  },
);
