/**
 * `veil report` end to end on a real SQLite ledger: the report's controls follow the ledger's records (purposes
 * refused and audited, a dataset past retention, the audit log verified or tampered with), the HIPAA report
 * carries the Safe Harbor check of a CSV, and an existing file is never overwritten without --force.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-report-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'veil.db');
const db = `sqlite:${file}`;

type Report = {
  controls: { id: string; status: string; evidence: string[] }[];
  audit: { verified: boolean };
};
const control = (r: Report, id: string) => r.controls.find((c) => c.id === id)!;

describe('veil report', () => {
  it('builds GDPR and HIPAA reports from the ledger, and reflects a tampered audit log', async () => {
    const csv = join(dir, 'patients.csv');
    writeFileSync(csv, 'name,zip,age,outcome\nAda Lovelace,02139,91,1\nAlan Turing,94110,41,0\n');
    const ok = async (...args: string[]) => {
      const r = await runVeil(...args, '--db', db);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      return r;
    };
    await ok(
      'dataset',
      'register',
      'patients',
      '--file',
      csv,
      '--purpose',
      'readmission model',
      '--retain-until',
      '2099-01-01',
    );
    await ok('budget', 'create', 'hospital', '--epsilon', '4', '--delta', '1e-5');
    await ok(
      'budget',
      'spend',
      'hospital',
      '--epsilon',
      '1',
      '--purpose',
      'readmission model',
      '--dataset',
      'patients',
    );
    expect(
      (
        await runVeil(
          'budget',
          'spend',
          'hospital',
          '--epsilon',
          '1',
          '--purpose',
          'ads',
          '--dataset',
          'patients',
          '--db',
          db,
        )
      ).code,
    ).toBe(7);

    const out = join(dir, 'gdpr.json');
    let r = await ok('--json', 'report', '--regulation', 'gdpr', '--format', 'json', '--out', out);
    expect(r.json()).toMatchObject({ ok: true, auditVerified: true, regulation: 'gdpr' });
    let report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.audit.verified).toBe(true);
    expect(control(report, 'gdpr-art5-2').status).toBe('met');
    expect(control(report, 'gdpr-art5-1b').evidence.join(' ')).toMatch(/refus/);
    expect(JSON.stringify(report)).not.toMatch(/compliant/i);
    expect(
      (await runVeil('report', '--regulation', 'gdpr', '--format', 'json', '--out', out, '--db', db)).code,
    ).toBe(2);

    const html = join(dir, 'hipaa.html');
    r = await ok('report', '--regulation', 'hipaa', '--out', html, '--dataset-file', csv);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('data-control="hipaa-164-514b2"');
    expect(page).not.toContain('Ada Lovelace'); // the identifier check reports counts and shapes, never values

    const sqlite = new Database(file);
    sqlite.prepare("update audit_entries set purpose = 'research' where seq = 3").run();
    sqlite.close();
    r = await ok('--json', 'report', '--regulation', 'gdpr', '--format', 'json', '--out', out, '--force');
    report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.audit.verified).toBe(false);
    expect(control(report, 'gdpr-art5-2').status).toBe('not met');
    expect((await runVeil('report', '--format', 'json', '--out', join(dir, 'x.json'), '--db', db)).code).toBe(
      2,
    );
  });

  const chromium = process.env['VEIL_CHROMIUM'] || undefined;
  const required = process.env['VEIL_REQUIRE_SERVICES'] === '1';
  it.skipIf(chromium === undefined && !required)(
    'prints a PDF through Chromium (skipped without VEIL_CHROMIUM)',
    async () => {
      const pdf = join(dir, 'ccpa.pdf');
      const r = await runVeil('report', '--regulation', 'ccpa', '--format', 'pdf', '--out', pdf, '--db', db);
      expect(r.code, r.stderr).toBe(0);
      const bytes = readFileSync(pdf);
      expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(bytes.length).toBeGreaterThan(10_000);
    },
  );
});
