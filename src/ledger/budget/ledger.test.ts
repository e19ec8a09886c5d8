import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dpSgdEvent, gaussianEvent, RdpAccountant } from '../../accounting/index.js';
import {
  BudgetExceededError,
  ConfigError,
  IntegrityError,
  InvalidParameterError,
  UnsupportedError,
} from '../../core/index.js';
import { createTestDatabase, type TestDatabase, type TestDialect, testDialects } from '../store/testing.js';
import { Ledger } from './ledger.js';

const databases: { dispose(): Promise<void> }[] = [];
const ledgers: Ledger[] = [];
afterEach(async () => {
  for (const l of ledgers.splice(0)) await l.close();
  for (const d of databases.splice(0)) await d.dispose();
});

/** A ledger on a fresh database of `dialect` (a new SQLite file, or a new PostgreSQL database). */
async function openFresh(dialect: TestDialect['dialect']) {
  const database = await createTestDatabase(dialect);
  databases.push(database);
  return { ledger: await reopen(database), database };
}

async function reopen(database: TestDatabase) {
  const ledger = await Ledger.open(database.url, database.ledgerOptions);
  ledgers.push(ledger);
  return ledger;
}

describe.each(testDialects().map((t) => [t.label, t] as const))(
  'Ledger budgets (%s)',
  (_, { dialect, skip }) => {
    beforeEach((context) => context.skip(skip, 'no PostgreSQL server configured'));
    const open = () => openFresh(dialect);

    it('creates the ledger on first use, grants spends within the limit and refuses the one past it', async () => {
      const { ledger, database } = await open();
      await ledger.createAccount({ path: 'acme', epsilon: 5, delta: 1e-5 });
      const r = await ledger.spend('acme', [gaussianEvent({ sigma: 3 })], { purpose: 'cohort counts' });
      expect(r.id).toBe(1);
      expect(r.epsilonAfter.acme).toBeCloseTo(
        new RdpAccountant().compose(gaussianEvent({ sigma: 3 })).epsilon({ delta: 1e-5 }),
        12,
      );
      const before = await ledger.status('acme');
      const refusal = await ledger
        .spend('acme', [gaussianEvent({ sigma: 1 })], { purpose: 'too much' })
        .catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(BudgetExceededError);
      expect((refusal as BudgetExceededError).message).toMatch(
        /account "acme" has epsilon 5 at delta 0.00001, 1\.\d+ spent \(3\.\d+ remaining\).*Nothing was spent/,
      );
      expect((refusal as BudgetExceededError).details.remaining).toBeCloseTo(before.epsilonRemaining, 12);
      // nothing was written by the refusal, and a reopened ledger sees the same state
      const again = await reopen(database);
      expect(await again.status('acme')).toEqual(before);
      expect(before.spends).toBe(1);
    });

    it('a spend must fit its account and every ancestor', async () => {
      const { ledger } = await open();
      await ledger.createAccount({ path: 'acme', epsilon: 3, delta: 1e-5 });
      await ledger.createAccount({ path: 'acme/cardio', epsilon: 3, delta: 1e-5 });
      await ledger.createAccount({ path: 'acme/cardio/ecg', epsilon: 2.5, delta: 1e-5 });
      await ledger.createAccount({ path: 'acme/oncology', epsilon: 2.5, delta: 1e-5 });
      const ok = await ledger.spend('acme/cardio/ecg', [gaussianEvent({ sigma: 2 })], { purpose: 'model A' });
      expect(Object.keys(ok.epsilonAfter)).toEqual(['acme/cardio/ecg', 'acme/cardio', 'acme']);
      // within oncology's own limit, but the organisation's composed total would pass 3
      const err = await ledger
        .spend('acme/oncology', [gaussianEvent({ sigma: 2 })], { purpose: 'model B' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect((err as BudgetExceededError).details.account).toBe('acme');
      expect((await ledger.status('acme/oncology')).spends).toBe(0);
      // the parent's status composes the whole subtree; a sibling whose name shares a prefix is not in it
      await ledger.createAccount({ path: 'acme/cardio_x', epsilon: 1, delta: 1e-5 });
      await ledger.spend('acme/cardio_x', [gaussianEvent({ sigma: 10 })], { purpose: 'small' });
      expect((await ledger.status('acme/cardio')).spends).toBe(1);
      expect((await ledger.status('acme')).spends).toBe(2);
      // nor is one whose name differs in case only (a locale collation would put 'acme/Cardio/x' in the range)
      await ledger.createAccount({ path: 'acme/Cardio', epsilon: 1, delta: 1e-5 });
      await ledger.createAccount({ path: 'acme/Cardio/x', epsilon: 1, delta: 1e-5 });
      await ledger.spend('acme/Cardio/x', [gaussianEvent({ sigma: 30 })], { purpose: 'tiny' });
      expect((await ledger.status('acme/cardio')).spends).toBe(1);
      expect((await ledger.status('acme/Cardio')).spends).toBe(1);
      expect((await ledger.status('acme')).spends).toBe(3);
    });

    it('the RDP-composed spend of a DP-SGD history is far below the naive sum of epsilons', async () => {
      const { ledger } = await open();
      await ledger.createAccount({ path: 'hospital', epsilon: 8, delta: 1e-5 });
      const job = dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 1000 });
      let granted = 0;
      for (let i = 0; i < 10; i++) {
        await ledger.spend('hospital', [job], { purpose: `training run ${i}` });
        granted++;
      }
      const s = await ledger.status('hospital', { naiveSum: true });
      // each run alone: epsilon 1.712 at delta 1e-5; ten of them: 5.632 composed, 17.12 summed
      expect(s.epsilonNaiveSum).toBeCloseTo(17.1177, 3);
      expect(s.epsilonSpent).toBeCloseTo(5.632, 3);
      expect(granted).toBe(10);
      expect(s.epsilonRemaining).toBeCloseTo(8 - 5.632, 3);
      // a spreadsheet summing epsilons would have stopped after 4 runs (4 x 1.712 = 6.85 <= 8 < 8.56)
      expect(Math.floor(8 / 1.7117701)).toBe(4);
    });

    it('refunds only granted spends, records the reason, and frees their budget', async () => {
      const { ledger } = await open();
      await ledger.createAccount({ path: 'acme', epsilon: 3, delta: 1e-5 });
      const r = await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'job that crashed' });
      const used = (await ledger.status('acme')).epsilonSpent;
      expect(used).toBeGreaterThan(0);
      await ledger.refund(r.id, 'the job failed before reading any data');
      expect((await ledger.status('acme')).epsilonSpent).toBe(0);
      const [spend] = await ledger.spends('acme');
      expect(spend).toMatchObject({ id: r.id, status: 'refunded' });
      await expect(ledger.refund(r.id, 'again')).rejects.toThrow(ConfigError);
      await expect(ledger.refund(99, 'unknown')).rejects.toThrow(ConfigError);
    });

    it('never refunds a spend marked used (audited budget.use), and uses a spend once', async () => {
      const { ledger } = await open();
      await ledger.createAccount({ path: 'acme', epsilon: 10, delta: 1e-5 });
      const r = await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'a job' });
      const spent = (await ledger.status('acme')).epsilonSpent;
      // a failing alongside write rolls the mark back with it
      await expect(
        ledger.markUsed(r.id, {
          alongside: async () => {
            throw new Error('lease lost');
          },
        }),
      ).rejects.toThrow('lease lost');
      expect((await ledger.auditEntries()).some((e) => e.action === 'budget.use')).toBe(false);
      // the receipt of the spend as granted, epsilon per account included (a job run on a reserved spend)
      expect(await ledger.markUsed(r.id)).toEqual(r);
      const use = (await ledger.auditEntries()).filter((e) => e.action === 'budget.use');
      expect(use).toHaveLength(1);
      expect(use[0]).toMatchObject({ account: 'acme', outcome: 'used', detail: { spendId: r.id } });
      await expect(ledger.refund(r.id, 'the job failed')).rejects.toThrow(IntegrityError);
      await expect(ledger.refund(r.id, 'the job failed')).rejects.toThrow(/was used/);
      expect((await ledger.status('acme')).epsilonSpent).toBe(spent);
      expect((await ledger.spends('acme'))[0]).toMatchObject({ status: 'granted' });
      await expect(ledger.markUsed(r.id)).rejects.toThrow(/already used/);
      // a refunded spend cannot be used; an unknown one neither
      const other = await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'b job' });
      await ledger.refund(other.id, 'never ran');
      await expect(ledger.markUsed(other.id)).rejects.toThrow(ConfigError);
      await expect(ledger.markUsed(999)).rejects.toThrow(ConfigError);
      expect((await ledger.verifyAudit()).ok).toBe(true);
    });

    it("an organisation's view of the log: its accounts' entries and its datasets', nothing of a name that only starts like it", async () => {
      const { ledger } = await open();
      const fingerprint = `sha256:${'0'.repeat(64)}`;
      for (const org of ['acme', 'acme2', 'acmeX', 'acme-b']) {
        await ledger.createAccount({ path: org, epsilon: 10, delta: 1e-5 });
        await ledger.createAccount({ path: `${org}/ml`, epsilon: 5, delta: 1e-5 });
        await ledger.registerDataset({ name: `${org}.adult`, fingerprint, purposes: ['research'] });
        await ledger.authorize(`${org}.adult`, 'research');
        await ledger.spend(`${org}/ml`, [gaussianEvent({ sigma: 3 })], {
          purpose: 'research',
          dataset: `${org}.adult`,
        });
      }
      const org = { account: 'acme', datasetPrefix: 'acme.' };
      const seen = await ledger.auditEntries({ org });
      expect(seen.map((e) => `${e.action} ${e.account ?? e.dataset?.split('@')[0]}`)).toEqual([
        'account.create acme',
        'account.create acme/ml',
        'dataset.register acme.adult',
        'dataset.access acme.adult',
        'budget.spend acme/ml',
      ]);
      // with the other filters, newest first and paged back
      expect(
        (await ledger.auditEntries({ org, action: 'dataset.', order: 'desc' })).map((e) => e.action),
      ).toEqual(['dataset.access', 'dataset.register']);
      const last = seen.at(-1)!.seq;
      expect((await ledger.auditEntries({ org, before: last, limit: 1, order: 'desc' }))[0]?.seq).toBe(
        seen.at(-2)!.seq,
      );
      expect((await ledger.auditEntries({ org, dataset: 'acme.adult' })).map((e) => e.action)).toEqual([
        'dataset.register',
        'dataset.access',
        'budget.spend',
      ]);
      expect(await ledger.auditEntries({ org, account: 'acme2' })).toEqual([]);
      await expect(ledger.auditEntries({ org: { account: 'acme', datasetPrefix: '' } })).rejects.toThrow(
        InvalidParameterError,
      );
    });

    it('refuses bad input with what is allowed, and stores nothing', async () => {
      const { ledger } = await open();
      await expect(ledger.createAccount({ path: 'a', epsilon: 0, delta: 1e-5 })).rejects.toThrow(
        InvalidParameterError,
      );
      await expect(ledger.createAccount({ path: 'a', epsilon: 1, delta: 1 })).rejects.toThrow(/\[0, 1\)/);
      await expect(ledger.createAccount({ path: 'a b', epsilon: 1, delta: 0 })).rejects.toThrow(/segments/);
      await expect(ledger.createAccount({ path: 'x/y', epsilon: 1, delta: 0 })).rejects.toThrow(
        /create "x" first/,
      );
      await ledger.createAccount({ path: 'a', epsilon: 1, delta: 1e-6 });
      await expect(ledger.createAccount({ path: 'a', epsilon: 1, delta: 0 })).rejects.toThrow(
        /not used by another/,
      );
      await expect(ledger.createAccount({ path: 'a/b', epsilon: 2, delta: 1e-6 })).rejects.toThrow(
        /at most the parent/,
      );
      await expect(ledger.spend('a', [], { purpose: 'x' })).rejects.toThrow(/non-empty array/);
      await expect(ledger.spend('a', [gaussianEvent({ sigma: 5 })], { purpose: ' ' })).rejects.toThrow(
        /purpose/,
      );
      await expect(
        ledger.spend('a', [{ kind: 'gaussian', sigma: -1, l2Sensitivity: 1 } as never], { purpose: 'x' }),
      ).rejects.toThrow(InvalidParameterError);
      await expect(ledger.spend('nope', [gaussianEvent({ sigma: 5 })], { purpose: 'x' })).rejects.toThrow(
        ConfigError,
      );
      await ledger.createAccount({ path: 'z', epsilon: 5, delta: 1e-5, accountant: 'zcdp' });
      await expect(
        ledger.spend(
          'z',
          [{ kind: 'poisson-sampled', sampleRate: 0.1, event: gaussianEvent({ sigma: 1 }) }],
          {
            purpose: 'x',
          },
        ),
      ).rejects.toThrow(UnsupportedError);
      expect((await ledger.status('a')).spends).toBe(0);
      expect((await ledger.status('z')).spends).toBe(0);
    });

    it.runIf(dialect === 'postgres')(
      'serialises concurrent writers: two pools racing for one account grant exactly what fits',
      async () => {
        const { ledger: first, database } = await open();
        const second = await reopen(database);
        await first.createAccount({ path: 'shared', epsilon: 4, delta: 1e-5 });
        let affordable = 0;
        const acc = new RdpAccountant();
        while (acc.compose(gaussianEvent({ sigma: 4 })).epsilon({ delta: 1e-5 }) <= 4) affordable++;
        const outcomes = await Promise.allSettled(
          Array.from({ length: 24 }, (_, i) =>
            (i % 2 ? first : second).spend('shared', [gaussianEvent({ sigma: 4 })], { purpose: `race ${i}` }),
          ),
        );
        const refused = outcomes.filter((o) => o.status === 'rejected');
        for (const r of refused) expect(r.reason).toBeInstanceOf(BudgetExceededError);
        expect(outcomes.length - refused.length).toBe(affordable);
        const s = await first.status('shared');
        expect(s.spends).toBe(affordable);
        expect(s.epsilonSpent).toBeLessThanOrEqual(4);
        // ids are numbers, dense from 1, as on SQLite
        expect((await first.spends('shared')).map((x) => x.id)).toEqual(
          Array.from({ length: affordable }, (_, i) => i + 1),
        );
      },
    );

    it.runIf(dialect === 'postgres')(
      'names host and database, never the password, when the server refuses the credentials',
      async () => {
        const { database } = await open();
        const wrong = new URL(database.url);
        wrong.password = 'not-the-password';
        const err = await Ledger.open(wrong.toString()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        const message = (err as ConfigError).message;
        expect(message).toContain(`${wrong.hostname}:${wrong.port}, database "${wrong.pathname.slice(1)}"`);
        expect(message).toMatch(/password authentication failed|authentication/);
        expect(message).not.toContain('not-the-password');
      },
    );
  },
);

describe('Ledger.open URLs', () => {
  it('refuses URLs of other kinds, saying which are allowed', async () => {
    await expect(Ledger.open('mysql://x')).rejects.toThrow(/sqlite:PATH.*postgres:\/\//);
  });

  it('reports an unreachable PostgreSQL server by host and port, without the password', async () => {
    const err = await Ledger.open('postgres://veil:s3cret@127.0.0.1:1/veil').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/127\.0\.0\.1:1, database "veil", user "veil" failed/);
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('s3cret');
  });
});
