import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BudgetExceededError, ConfigError } from '../../core/index.js';
import { runCli } from '../main.js';
import { budgetCreate, budgetShow, budgetSpend } from './budget.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-budget-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = `sqlite:${join(dir, 'veil.db')}`;

describe('veil budget', () => {
  it('creates accounts, spends (epsilon flags or an events file), refuses overspending and shows the account', async () => {
    await budgetCreate('acme', { epsilon: '5', delta: '1e-5', db });
    const created = await budgetCreate('acme/ecg', { epsilon: '3', delta: '1e-5', db });
    expect(created.text[0]).toBe('account acme/ecg: epsilon 3 at delta 0.00001, composed with rdp');
    const file = join(dir, 'events.json');
    writeFileSync(file, JSON.stringify([{ kind: 'gaussian', sigma: 2, l2Sensitivity: 1 }]));
    const spent = await budgetSpend('acme/ecg', { events: file, purpose: 'model A', db });
    expect(spent.text[1]).toMatch(/^acme\/ecg: epsilon 2\.165716 spent of 3 \(0\.834284 remaining\)/);
    await expect(budgetSpend('acme/ecg', { epsilon: '1', purpose: 'too much', db })).rejects.toThrow(
      BudgetExceededError,
    );
    await expect(budgetSpend('acme/ecg', { epsilon: '0.5', db })).rejects.toThrow(/--purpose/);
    await expect(budgetSpend('acme/ecg', { epsilon: '0.5', events: file, purpose: 'x', db })).rejects.toThrow(
      ConfigError,
    );
    writeFileSync(file, '[{"kind":"gaussian","sigma":-2}]');
    await expect(budgetSpend('acme/ecg', { events: file, purpose: 'x', db })).rejects.toThrow(
      /privacy events/,
    );
    await budgetSpend('acme', { epsilon: '0.5', purpose: 'org-level count', db });
    const shown = await budgetShow('acme', { db });
    expect(shown.summary.status).toMatchObject({ spends: 2 });
    expect(shown.text.slice(2)).toHaveLength(2);
    await expect(budgetShow(undefined, { db })).rejects.toThrow(/ACCOUNT/);
  });
});

describe('read commands on a ledger that does not exist', () => {
  const jobs = join(dir, 'jobs.json');
  writeFileSync(jobs, JSON.stringify([{ kind: 'epsilon-delta', name: 'a', delta: 1e-6 }]));
  const reads: readonly (readonly string[])[] = [
    ['budget', 'show', 'acme'],
    ['budget', 'forecast', 'acme'],
    ['budget', 'allocate', 'acme', '--jobs', jobs],
    ['dataset', 'list'],
    ['dataset', 'check', 'adult', '--purpose', 'research'],
    ['audit', 'show'],
    ['audit', 'verify'],
    ['audit', 'export', '--out', join(dir, 'export.json')],
    ['report', '--regulation', 'gdpr', '--out', join(dir, 'report.html')],
  ];
  const cases = reads.map((argv) => ({
    command: argv
      .filter((a) => /^[a-z]+$/.test(a))
      .slice(0, 2)
      .join(' '),
    argv,
  }));
  it.each(cases)('veil $command refuses it (exit 2) and creates nothing', async ({ argv }) => {
    const missing = join(dir, 'no', 'such', 'dir');
    const url = `sqlite:${join(missing, 'x.db')}`;
    const err: string[] = [];
    const code = await runCli([...argv, '--db', url], { stdout: () => {}, stderr: (s) => err.push(s) });
    expect(code).toBe(2);
    expect(err.join('')).toContain(url);
    expect(err.join('')).toMatch(/an existing ledger .*`veil budget create`, creates one/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
    expect(existsSync(join(dir, 'export.json')) || existsSync(join(dir, 'report.html'))).toBe(false);
  });
});
