import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dpSgdEvent } from '../../accounting/index.js';
import { BudgetExceededError, ConfigError, IntegrityError } from '../../core/index.js';
import { epsilonSpent } from '../../fl/index.js';
import type { Ledger } from '../../ledger/index.js';
import { ledgerAt } from '../context.js';
import { ledgerBudget } from './budget.js';

// One event costs about 3.44 at delta 1e-5 (RDP), two about 4.22: a budget of 4 pays for one.
const round = dpSgdEvent({ sampleRate: 0.1, noiseMultiplier: 1, steps: 10 });
const limits = { account: 'local-dp', epsilon: 4, delta: 1e-5, accountant: 'rdp' as const };
const purpose = (label: string) => `federated training as h: ${label}`;

function place(): { dir: string; url: string } {
  const dir = mkdtempSync(join(tmpdir(), 'veil-node-budget-'));
  return { dir, url: `sqlite:${join(dir, 'ledger.db')}` };
}

const withLedger = <T>(url: string, body: (l: Ledger) => Promise<T>): Promise<T> => ledgerAt(url).use(body);

describe('ledgerBudget: a federation budget is a ledger account', () => {
  it('creates the account, charges through Ledger.spend, and a restarted party sees its earlier spends', async () => {
    const { url } = place();
    const spent = await withLedger(url, async (l) => {
      const { budget, notes } = await ledgerBudget(l, { ...limits, purpose });
      expect(notes.join('\n')).toMatch(/created account local-dp \(epsilon 4, delta 0\.00001, rdp\)/);
      expect(await budget.events()).toEqual([]);
      return budget.charge([round], 'round 1');
    });
    expect(spent).toBeCloseTo(epsilonSpent([round], 1e-5, 'rdp'), 10);
    // a restarted node: the same file, a fresh process's view
    await withLedger(url, async (l) => {
      const { budget, notes } = await ledgerBudget(l, { ...limits, purpose });
      expect(notes).toEqual([]);
      expect(await budget.events()).toEqual([round]);
      await expect(budget.charge([round], 'round 2')).rejects.toBeInstanceOf(BudgetExceededError);
      expect(await budget.events()).toEqual([round]); // the refused round charged nothing
      // the audit log verifies and shows the granted spend with its purpose, and the refusal
      const v = await l.verifyAudit();
      expect(v.ok, JSON.stringify(v)).toBe(true);
      const actions = (await l.auditEntries()).map((e) => `${e.action} ${e.outcome} ${e.purpose ?? ''}`);
      expect(actions).toContain('budget.spend granted federated training as h: round 1');
      expect(actions).toContain('budget.spend refused federated training as h: round 2');
    });
  });

  it("refuses an account whose limits are not the config's, charging nothing", async () => {
    const { url } = place();
    await withLedger(url, async (l) => {
      await l.createAccount({ path: 'local-dp', epsilon: 10, delta: 1e-5 });
      await expect(ledgerBudget(l, { ...limits, purpose })).rejects.toThrow(
        /privacy: must be the limits of ledger account local-dp \(epsilon 10, delta 0\.00001, rdp\)/,
      );
      await expect(ledgerBudget(l, { ...limits, purpose })).rejects.toBeInstanceOf(ConfigError);
      expect(await l.spends('local-dp')).toEqual([]);
    });
  });

  it("moves an earlier version's JSON spend file into the ledger once, and says so", async () => {
    const { dir, url } = place();
    const legacy = join(dir, 'privacy-spends.json');
    writeFileSync(legacy, JSON.stringify({ events: [round] }));
    await withLedger(url, async (l) => {
      const { budget, notes } = await ledgerBudget(l, { ...limits, purpose, legacySpendFile: legacy });
      expect(notes.join('\n')).toMatch(
        /migrated 1 privacy spend\(s\) from .*privacy-spends\.json into ledger account local-dp/,
      );
      expect(await budget.events()).toEqual([round]);
      await expect(budget.charge([round], 'round 2')).rejects.toBeInstanceOf(BudgetExceededError);
    });
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(`${legacy}.migrated`)).toBe(true);
    // a second start finds nothing to migrate and keeps the migrated spend
    await withLedger(url, async (l) => {
      const { budget, notes } = await ledgerBudget(l, { ...limits, purpose, legacySpendFile: legacy });
      expect(notes).toEqual([]);
      expect(await budget.events()).toEqual([round]);
    });
  });

  it('refuses a corrupt spend file with an IntegrityError and leaves it as it was', async () => {
    for (const [text, pattern] of [
      ['{ not json', /is not valid JSON/],
      ['{"spent": []}', /has no "events" list/],
      ['{"events": [{"kind": "gaussian", "sigma": -1}]}', /event 0 is not a privacy event/],
    ] as const) {
      const { dir, url } = place();
      const legacy = join(dir, 'privacy-spends.json');
      writeFileSync(legacy, text);
      await withLedger(url, async (l) => {
        const err = await ledgerBudget(l, { ...limits, purpose, legacySpendFile: legacy }).catch((e) => e);
        expect(err).toBeInstanceOf(IntegrityError);
        expect((err as Error).message).toMatch(pattern);
        expect(await l.spends('local-dp')).toEqual([]);
      });
      expect(readFileSync(legacy, 'utf8')).toBe(text);
    }
  });

  it('refuses to migrate into an account that already has spends', async () => {
    const { dir, url } = place();
    const legacy = join(dir, 'privacy-spends.json');
    await withLedger(url, async (l) => {
      const { budget } = await ledgerBudget(l, { ...limits, purpose });
      await budget.charge([round], 'round 1');
      writeFileSync(legacy, JSON.stringify({ events: [round] }));
      await expect(ledgerBudget(l, { ...limits, purpose, legacySpendFile: legacy })).rejects.toThrow(
        /already has spends/,
      );
    });
    expect(existsSync(legacy)).toBe(true);
  });
});
