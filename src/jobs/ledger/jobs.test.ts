/**
 * The ledger jobs on a real SQLite ledger, through the context's ledger access: a spend records the event its
 * release describes, `audit show` of a missing entry says so instead of failing, an export never replaces a file
 * unless forced, and an export verifies against its own key.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { ledgerAt } from '../context.js';
import { runAuditExport, runAuditShow, runAuditVerify } from './audit.js';
import { runBudgetCreate, runBudgetShow, runBudgetSpend, spendEvents } from './budget.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-ledger-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx = { ledger: ledgerAt(`sqlite:${join(dir, 'veil.db')}`) };

describe('ledger jobs', () => {
  it('records an (epsilon, delta) release as a pure-DP event at delta 0, approximate-DP otherwise', () => {
    expect(spendEvents({ kind: 'epsilon-delta', epsilon: 1, delta: 0 })).toEqual([
      { kind: 'pure-dp', epsilon: 1 },
    ]);
    expect(spendEvents({ kind: 'epsilon-delta', epsilon: 1, delta: 1e-6 })).toEqual([
      { kind: 'approx-dp', epsilon: 1, delta: 1e-6 },
    ]);
  });

  it('spends, shows, finds no missing entry, and exports once (then only with force)', async () => {
    await runBudgetCreate({ account: 'acme', epsilon: 4, delta: 1e-5, accountant: 'rdp' }, ctx);
    const { receipt } = await runBudgetSpend(
      { account: 'acme', release: { kind: 'epsilon-delta', epsilon: 0.5, delta: 0 }, purpose: 'counts' },
      ctx,
    );
    const { status, spends } = await runBudgetShow({ account: 'acme' }, ctx);
    expect(status.epsilonSpent).toBeCloseTo(0.5, 9);
    expect(spends.map((s) => s.id)).toEqual([receipt.id]);

    const missing = await runAuditShow({ from: 0, limit: 50, entry: 99, proof: true }, ctx);
    expect(missing).toEqual({ kind: 'entry', entry: null, proof: null });
    const one = await runAuditShow({ from: 0, limit: 50, entry: 1, proof: true }, ctx);
    expect(one.kind === 'entry' && one.proof?.head.size).toBe(2);

    const out = join(dir, 'exports', 'log.json');
    const bundle = await runAuditExport({ out, force: false }, ctx);
    expect(bundle.entries).toHaveLength(2);
    await expect(runAuditExport({ out, force: false }, ctx)).rejects.toThrow(ConfigError);
    await runAuditExport({ out, force: true }, ctx);
    const verified = await runAuditVerify({ source: { kind: 'export', bundle } }, ctx);
    expect(verified).toMatchObject({ ok: true, size: 2 });
  });

  it('refuses to replace a file before opening the ledger', async () => {
    const out = join(dir, 'taken.json');
    writeFileSync(out, 'x');
    const nowhere = { ledger: ledgerAt(`sqlite:${join(dir, 'no-such-dir', 'sub', 'veil.db')}`) };
    await expect(runAuditExport({ out, force: false }, nowhere)).rejects.toMatchObject({
      issues: [{ path: 'out', value: out, allowed: 'a new file (or --force to replace it)' }],
    });
  });

  it('opens a ledger with create: false only where one exists, and creates nothing where none does', async () => {
    const url = `sqlite:${join(dir, 'absent', 'x.db')}`;
    await expect(Ledger.open(url, { create: false })).rejects.toThrow(ConfigError);
    await expect(ledgerAt(url).use((l) => l.accounts(), { create: false })).rejects.toThrow(
      /an existing ledger/,
    );
    expect(existsSync(join(dir, 'absent'))).toBe(false);
    const existing = await Ledger.open(`sqlite:${join(dir, 'veil.db')}`, { create: false });
    await existing.close();
    const memory = await Ledger.open('sqlite::memory:', { create: false });
    await memory.close();
  });
});
