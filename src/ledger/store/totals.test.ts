/**
 * The running subtree totals always equal what the spends table composes to: after random spends and refunds
 * across an account tree (property test), and after migrating a ledger that already had spends (backfill).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dpSgdEvent, gaussianEvent, type PrivacyEvent } from '../../accounting/index.js';
import { BudgetExceededError } from '../../core/index.js';
import { composedEpsilonPlain } from '../budget/compose.js';
import { Ledger } from '../budget/ledger.js';

const ACCOUNTS = ['org', 'org/a', 'org/a/x', 'org/b'];
const EVENTS: PrivacyEvent[][] = [
  [gaussianEvent({ sigma: 8 })],
  [dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.5, steps: 200 })],
  [gaussianEvent({ sigma: 12 }), { kind: 'pure-dp', epsilon: 0.05 }],
];

async function recomputed(ledger: Ledger, path: string, delta: number): Promise<number> {
  const all = (await ledger.spends(path)).filter((s) => s.status === 'granted').flatMap((s) => s.events);
  return composedEpsilonPlain('rdp', all, delta);
}

describe('subtree event totals', () => {
  test.prop(
    [
      fc.array(
        fc.record({
          account: fc.integer({ min: 0, max: 3 }),
          events: fc.integer({ min: 0, max: 2 }),
          refund: fc.boolean(),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    ],
    { numRuns: 8 },
  )('equal the composition of the granted spends after spends and refunds', async (ops) => {
    const ledger = await Ledger.open('sqlite::memory:');
    await ledger.createAccount({ path: 'org', epsilon: 6, delta: 1e-5 });
    for (const path of ACCOUNTS.slice(1)) await ledger.createAccount({ path, epsilon: 6, delta: 1e-5 });
    for (const op of ops) {
      try {
        const r = await ledger.spend(ACCOUNTS[op.account]!, EVENTS[op.events]!, { purpose: 'p' });
        if (op.refund) await ledger.refund(r.id, 'never ran');
      } catch (err) {
        if (!(err instanceof BudgetExceededError)) throw err;
      }
    }
    for (const path of ACCOUNTS) {
      const s = await ledger.status(path);
      const expected = await recomputed(ledger, path, 1e-5);
      expect(Math.abs(s.epsilonSpent - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));
      expect(s.epsilonSpent).toBeLessThanOrEqual(6);
      expect(s.spends).toBe((await ledger.spends(path)).filter((x) => x.status === 'granted').length);
    }
    await ledger.close();
  });

  it('are filled from existing spends when a ledger from before them is migrated', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'veil-totals-')), 'veil.db');
    const ledger = await Ledger.open(`sqlite:${file}`);
    await ledger.createAccount({ path: 'org', epsilon: 9, delta: 1e-5 });
    await ledger.createAccount({ path: 'org/a', epsilon: 9, delta: 1e-5 });
    await ledger.spend('org/a', EVENTS[1]!, { purpose: 'p' });
    await ledger.spend('org', EVENTS[2]!, { purpose: 'p' });
    const before = await ledger.status('org');
    await ledger.close();
    // roll the file back to the schema without totals (and without the budget digests and the index that came
    // after them)
    const db = new Database(file);
    db.prepare('drop index audit_entries_dataset').run();
    db.prepare('drop table budget_digests').run();
    db.prepare('drop index audit_entries_account').run();
    db.prepare('drop table event_totals').run();
    db.prepare('drop table subtree_spends').run();
    db.prepare(
      "delete from kysely_migration where name in ('0003-subtree-event-totals', '0004-budget-digests', '0005-audit-entries-dataset')",
    ).run();
    db.close();
    const again = await Ledger.open(`sqlite:${file}`);
    expect(await again.status('org')).toEqual(before);
    expect((await again.status('org/a')).epsilonSpent).toBeCloseTo(
      await recomputed(again, 'org/a', 1e-5),
      12,
    );
    expect((await again.verifyAudit()).ok).toBe(true);
    // and it spends on: the budget state is taken from the rebuilt tables and signed from then on
    await again.spend('org/a', EVENTS[0]!, { purpose: 'p' });
    expect((await again.verifyAudit()).ok).toBe(true);
    await again.close();
  });
});
