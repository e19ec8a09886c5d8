/**
 * `veil dataset` and `veil audit` as a privacy officer uses them: register data with its terms, a refused and an
 * allowed use, spends on the dataset, then show, export and verify the log; after an edit of the SQLite file,
 * `veil audit verify` exits 6 and names the first bad entry.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-audit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'veil.db');
const db = `sqlite:${file}`;

describe('veil dataset and veil audit', () => {
  it('records consent checks and spends, verifies, exports, and exits 6 on a tampered log', async () => {
    const csv = join(dir, 'claims.csv');
    writeFileSync(csv, 'amount,fraud\n10,0\n');
    let r = await runVeil(
      '--json',
      'dataset',
      'register',
      'claims',
      '--file',
      csv,
      '--purpose',
      'fraud detection',
      '--purpose',
      'actuarial statistics',
      '--retain-until',
      '2099-12-31',
      '--constraint',
      'no re-identification',
      '--db',
      db,
    );
    expect(r.code).toBe(0);
    expect(r.json().dataset).toMatchObject({
      name: 'claims',
      purposes: ['fraud detection', 'actuarial statistics'],
    });

    r = await runVeil('--json', 'dataset', 'check', 'claims', '--purpose', 'marketing', '--db', db);
    expect(r.code).toBe(7);
    expect(JSON.stringify(r.json())).toMatch(/VEIL_CONSENT_REFUSED.*not \\"marketing\\"/);
    r = await runVeil(
      'dataset',
      'check',
      'claims',
      '--purpose',
      'Fraud detection',
      '--file',
      csv,
      '--db',
      db,
    );
    expect(r.code).toBe(0);
    writeFileSync(join(dir, 'other.csv'), 'amount,fraud\n11,0\n');
    r = await runVeil(
      '--json',
      'dataset',
      'check',
      'claims',
      '--purpose',
      'fraud detection',
      '--file',
      join(dir, 'other.csv'),
      '--db',
      db,
    );
    expect(r.code).toBe(6);

    expect(
      (await runVeil('budget', 'create', 'insurer', '--epsilon', '3', '--delta', '1e-6', '--db', db)).code,
    ).toBe(0);
    r = await runVeil(
      '--json',
      'budget',
      'spend',
      'insurer',
      '--epsilon',
      '1',
      '--purpose',
      'marketing',
      '--dataset',
      'claims',
      '--db',
      db,
    );
    expect(r.code).toBe(7);
    r = await runVeil(
      'budget',
      'spend',
      'insurer',
      '--epsilon',
      '1',
      '--purpose',
      'fraud detection',
      '--dataset',
      'claims',
      '--db',
      db,
    );
    expect(r.code).toBe(0);

    r = await runVeil('--json', 'audit', 'show', '--dataset', 'claims', '--db', db);
    const entries = r.json().entries as { action: string; outcome: string }[];
    expect(entries.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'dataset.register:registered',
      'dataset.access:refused',
      'dataset.access:allowed',
      'dataset.access:refused',
      'budget.spend:refused',
      'budget.spend:granted',
    ]);
    r = await runVeil('audit', 'show', '--entry', '1', '--proof', '--db', db);
    expect(r.stdout).toMatch(/included in the signed tree head of size 7/);

    r = await runVeil('audit', 'verify', '--db', db);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/audit log verified: 7 entries/);
    const out = join(dir, 'exports', 'export.json'); // its directory is created
    r = await runVeil('--json', 'audit', 'export', '--out', out, '--db', db);
    expect(r.code).toBe(0);
    const publicKey = String(r.json().publicKey);
    expect((await runVeil('audit', 'export', '--out', out, '--db', db)).code).toBe(2); // no silent overwrite
    r = await runVeil('audit', 'verify', '--bundle', out, '--public-key', publicKey);
    expect(r.code).toBe(0);

    const sqlite = new Database(file);
    sqlite.prepare("update audit_entries set outcome = 'allowed' where seq = 1").run();
    sqlite.close();
    r = await runVeil('--json', 'audit', 'verify', '--db', db);
    expect(r.code).toBe(6);
    expect(r.json().verification).toMatchObject({ ok: false, firstBad: { seq: 1 } });
    r = await runVeil('audit', 'verify', '--db', db);
    expect(r.stdout).toMatch(
      /FAILED verification: first bad entry 1: its content does not match its leaf hash/,
    );
    // the export taken before the edit still verifies; the database no longer does
    expect(JSON.parse(readFileSync(out, 'utf8')).entries[1].outcome).toBe('refused');
    expect((await runVeil('audit', 'verify', '--public-key', 'nothex', '--db', db)).code).toBe(2);
  });

  it('exits 6 naming the account when the budget tables were edited, and refuses the next spend', async () => {
    const ledgerFile = join(dir, 'budget.db');
    const url = `sqlite:${ledgerFile}`;
    expect(
      (await runVeil('budget', 'create', 'acme', '--epsilon', '5', '--delta', '1e-5', '--db', url)).code,
    ).toBe(0);
    const spend = () =>
      runVeil('budget', 'spend', 'acme', '--epsilon', '2', '--purpose', 'counts', '--db', url);
    expect((await spend()).code).toBe(0);
    expect((await spend()).code).toBe(0);
    let r = await runVeil('audit', 'verify', '--db', url);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /budget state verified: the tables match the log's 1 account\(s\) and 2 spend\(s\)/,
    );
    // an insider frees budget: the totals say one spend instead of two
    const sqlite = new Database(ledgerFile);
    sqlite.prepare("update event_totals set count = 1 where account = 'acme'").run();
    sqlite.prepare("update subtree_spends set spends = 1 where account = 'acme'").run();
    sqlite.close();
    r = await spend();
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /account "acme": its limits or spent totals in the database differ from the budget state signed/,
    );
    r = await runVeil('audit', 'verify', '--db', url);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/audit log verified: \d+ entries/); // the log itself is intact
    expect(r.stdout).toMatch(
      /budget state FAILED verification: account "acme": subtree_spends counts 1 granted spends/,
    );
  });
});
