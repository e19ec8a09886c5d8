/**
 * gatherEvidence on a real ledger shared by organisations: without a scope it reads everything (the CLI's
 * report); with one, only the organisation's accounts, spends, datasets and refusals, and no problem of the
 * audit verification that names another organisation's records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laplaceEvent } from '../accounting/index.js';
import { Ledger } from '../ledger/index.js';
import { gatherEvidence, scopedProblems } from './gather.js';
import { buildReport, renderJson } from './report.js';

const ACME = { account: 'acme', datasetPrefix: 'acme.' } as const;
const fingerprint = (c: string) => `sha256:${c.repeat(64)}`;
const event = laplaceEvent({ scale: 10 });

let dir: string;
let ledger: Ledger;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-gather-'));
  ledger = await Ledger.open(`sqlite:${join(dir, 'veil.db')}`, { actor: 'gather-test' });
  // 'acme-labs' shares acme's first letters but is another root: a prefix match would take it in
  for (const [path, epsilon] of [
    ['acme', 10],
    ['acme/cardiology', 5],
    ['acme-labs', 10],
    ['globex', 10],
    ['globex/trial', 5],
  ] as const)
    await ledger.createAccount({ path, epsilon, delta: 1e-5 });
  for (const [name, c] of [
    ['acme.ecg', 'a'],
    ['acme-labs.blood', 'b'],
    ['globex.oncology', 'c'],
  ] as const)
    await ledger.registerDataset({ name, fingerprint: fingerprint(c), purposes: ['research'] });
  await ledger.spend('acme/cardiology', [event], { purpose: 'research', dataset: 'acme.ecg' });
  await ledger.spend('acme-labs', [event], { purpose: 'research', dataset: 'acme-labs.blood' });
  await ledger.spend('globex/trial', [event], { purpose: 'research', dataset: 'globex.oncology' });
  // refusals: globex's spend outside its dataset's purposes, and two consent checks filed under no account
  await expect(
    ledger.spend('globex/trial', [event], { purpose: 'marketing', dataset: 'globex.oncology' }),
  ).rejects.toThrow();
  await expect(ledger.authorize('globex.oncology', 'marketing')).rejects.toThrow();
  await expect(ledger.authorize('acme.ecg', 'marketing')).rejects.toThrow();
});
afterAll(async () => {
  await ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gatherEvidence', () => {
  it('reads the whole ledger without a scope (the CLI report)', async () => {
    const e = await gatherEvidence(ledger);
    expect(e.accounts.map((a) => a.path)).toEqual([
      'acme',
      'acme-labs',
      'acme/cardiology',
      'globex',
      'globex/trial',
    ]);
    expect(e.spends.map((s) => s.account)).toEqual(['acme/cardiology', 'acme-labs', 'globex/trial']);
    expect(e.datasets).toHaveLength(3);
    expect(e.audit.refusals).toEqual({ budget: 0, purpose: 3, retention: 0 });
    expect(e).not.toHaveProperty('scope');
    expect(buildReport(e, 'gdpr')).not.toHaveProperty('scope');
  });

  it("reads one organisation's accounts, spends, datasets and refusals with a scope", async () => {
    const e = await gatherEvidence(ledger, { scope: ACME });
    expect(e.accounts.map((a) => a.path)).toEqual(['acme', 'acme/cardiology']);
    expect(e.accounts[0]!.spends).toBe(1);
    expect(e.spends.map((s) => [s.account, s.dataset])).toEqual([['acme/cardiology', 'acme.ecg']]);
    expect(e.datasets.map((d) => d.name)).toEqual(['acme.ecg']);
    // acme's own refused consent check only: globex's two refusals are not acme's
    expect(e.audit.refusals).toEqual({ budget: 0, purpose: 1, retention: 0 });
    expect(e.audit.verified).toBe(true);
    expect(e.scope).toEqual(ACME);
    const report = buildReport(e, 'gdpr');
    expect(report.scope?.note).toMatch(/whole log/);
    const json = renderJson(report);
    for (const name of ['globex', 'oncology', 'acme-labs', 'blood']) expect(json, name).not.toContain(name);
  });

  it('an organisation without records gets an empty report, not the ledger', async () => {
    const e = await gatherEvidence(ledger, { scope: { account: 'initech', datasetPrefix: 'initech.' } });
    expect([e.accounts, e.spends, e.datasets]).toEqual([[], [], []]);
    expect(e.audit.refusals).toEqual({ budget: 0, purpose: 0, retention: 0 });
  });

  it("says the shared log did not verify when another organisation's records were edited, naming none", async () => {
    await ledger.database.db
      .updateTable('accounts')
      .set({ epsilon_limit: 99 })
      .where('path', '=', 'globex/trial')
      .execute();
    try {
      expect((await ledger.verifyAudit()).budget.problems.join('\n')).toContain('"globex/trial"');
      const e = await gatherEvidence(ledger, { scope: ACME });
      expect(e.audit.verified).toBe(false);
      const json = renderJson(buildReport(e, 'gdpr'));
      expect(json).not.toContain('globex');
      expect(json).toContain('an audit log that did NOT verify');
    } finally {
      await ledger.database.db
        .updateTable('accounts')
        .set({ epsilon_limit: 5 })
        .where('path', '=', 'globex/trial')
        .execute();
    }
  });

  it('shows only the problems that quote nothing outside the scope, and counts the others', () => {
    const problems = [
      'entry 7: its content does not match its leaf hash: edited',
      'account "acme/cardiology": created in entry 3, but missing from the accounts table',
      'account "globex/trial": created in entry 9, but missing from the accounts table',
      'spend 4 (entry 12): its account is "acme", the log\'s "globex"',
    ];
    expect(scopedProblems(problems, ACME)).toEqual([
      problems[0],
      problems[1],
      "2 more problems elsewhere in the shared ledger (not shown: they name records outside this report's scope)",
    ]);
    expect(scopedProblems(problems.slice(0, 2), ACME)).toEqual(problems.slice(0, 2));
  });

  it('refuses a scope that would not narrow anything', async () => {
    for (const scope of [
      { account: '', datasetPrefix: 'acme.' },
      { account: 'acme/cardiology', datasetPrefix: 'acme.' },
      { account: 'acme', datasetPrefix: '' },
    ])
      await expect(gatherEvidence(ledger, { scope })).rejects.toThrow(
        expect.objectContaining({ code: 'VEIL_INVALID_PARAMETER' }),
      );
  });
});
