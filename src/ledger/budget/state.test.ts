/**
 * The budget state is covered by the audit log (issue 13, item 3). An insider with write access to the database
 * (not to the key file) edits each table a spend relies on; before this, editing `event_totals` freed budget (1.0
 * spent of 5 shown, a new spend granted, 8 in all against 5) while `veil audit verify` said "verified". Now the next
 * spend is refused with nothing written, and verification names the account, on SQLite and PostgreSQL.
 */
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gaussianEvent, type PrivacyEvent } from '../../accounting/index.js';
import { IntegrityError } from '../../core/index.js';
import { openLedgerDatabase } from '../store/database.js';
import type { LedgerSchema } from '../store/schema.js';
import { createTestDatabase, type TestDatabase, testDialects } from '../store/testing.js';
import { Ledger } from './ledger.js';
import { accountDigest, accountFactsIn } from './state.js';

/** Under RDP at delta 1e-5, k of these compose to 2.17, 3.19, 4.01, 4.73, 5.38: four fit a limit of 5, a fifth does not. */
const ONE: PrivacyEvent[] = [gaussianEvent({ sigma: 2 })];

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Runs `body` on the raw database, as an insider with write access would. */
async function tamper(
  database: TestDatabase,
  body: (db: Kysely<LedgerSchema>) => Promise<unknown>,
): Promise<void> {
  const store = await openLedgerDatabase(database.url);
  try {
    await body(store.db);
  } finally {
    await store.close();
  }
}

async function counts(database: TestDatabase) {
  let out = { spends: 0, entries: 0 };
  await tamper(database, async (db) => {
    const spends = await db
      .selectFrom('spends')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const entries = await db
      .selectFrom('audit_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out = { spends: Number(spends.n), entries: Number(entries.n) };
  });
  return out;
}

describe.each(testDialects().map((t) => [t.label, t] as const))(
  'the budget state against the audit log (%s)',
  (_, { dialect, skip }) => {
    beforeEach((context) => context.skip(skip, 'no PostgreSQL server configured'));

    /** 'acme' (epsilon 5) with 'acme/a' under it, three spends on 'acme/a' (4.01 of 5 spent). */
    async function setUp() {
      const database = await createTestDatabase(dialect);
      cleanup.push(() => database.dispose());
      const open = async () => {
        const l = await Ledger.open(database.url, database.ledgerOptions);
        cleanup.push(() => l.close());
        return l;
      };
      const ledger = await open();
      await ledger.createAccount({ path: 'acme', epsilon: 5, delta: 1e-5 });
      await ledger.createAccount({ path: 'acme/a', epsilon: 5, delta: 1e-5 });
      await ledger.createAccount({ path: 'other', epsilon: 5, delta: 1e-5 });
      for (let i = 0; i < 3; i++) await ledger.spend('acme/a', ONE, { purpose: 'counts' });
      expect((await ledger.verifyAudit()).ok).toBe(true);
      return { database, ledger, open };
    }

    /** The next spend on 'acme/a' is refused naming `account`, and nothing is written. */
    async function expectSpendRefused(database: TestDatabase, ledger: Ledger, account: RegExp) {
      const before = await counts(database);
      const err = await ledger.spend('acme/a', ONE, { purpose: 'counts' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IntegrityError);
      expect(err).toMatchObject({ code: 'VEIL_INTEGRITY_FAILED', details: { check: 'budget-state' } });
      expect((err as Error).message).toMatch(account);
      expect((err as Error).message).toMatch(/nothing was written/);
      expect(await counts(database)).toEqual(before);
    }

    it('grants what the limits allow on an untouched ledger, and refuses past them', async () => {
      const { ledger } = await setUp();
      const status = await ledger.status('acme');
      expect(status.epsilonSpent).toBeCloseTo(4.01, 2);
      // a fourth spend fits; a fifth would take 'acme' past 5
      await ledger.spend('acme/a', ONE, { purpose: 'counts' });
      await expect(ledger.spend('acme/a', ONE, { purpose: 'counts' })).rejects.toMatchObject({
        code: 'VEIL_BUDGET_EXCEEDED',
      });
      const v = await ledger.verifyAudit();
      expect(v.ok).toBe(true);
      expect(v.budget).toMatchObject({ ok: true, accounts: 3, spends: 4, firstBad: null });
    });

    it('refuses a spend and fails verification after event_totals are lowered (the reported attack)', async () => {
      const { database, ledger } = await setUp();
      await tamper(database, (db) =>
        db.updateTable('event_totals').set({ count: 1 }).where('account', 'in', ['acme', 'acme/a']).execute(),
      );
      // what the attack showed: status now reads 2.17 of 5 spent, room for two more spends
      expect((await ledger.status('acme')).epsilonSpent).toBeLessThan(2.5);
      await expectSpendRefused(database, ledger, /account "acme\/a"/);
      const v = await ledger.verifyAudit();
      expect(v.ok).toBe(false);
      expect(v.problems).toEqual([]); // the log itself is intact
      expect(v.budget.firstBad?.account).toBe('acme');
      expect(v.budget.firstBad?.reason).toMatch(/event_totals differ from the log's spends/);
      expect(v.budget.problems.join('\n')).toMatch(/account "acme\/a": event_totals differ/);
    });

    it('refuses and reports deleted event_totals rows', async () => {
      const { database, ledger } = await setUp();
      await tamper(database, (db) => db.deleteFrom('event_totals').where('account', '=', 'acme').execute());
      await expectSpendRefused(database, ledger, /account "acme"/);
      const v = await ledger.verifyAudit();
      expect(v.budget.firstBad).toMatchObject({
        account: 'acme',
        reason: expect.stringMatching(/counted 0 times, the log 3/),
      });
    });

    it('refuses and reports an edited subtree_spends count', async () => {
      const { database, ledger } = await setUp();
      await tamper(database, (db) =>
        db.updateTable('subtree_spends').set({ spends: 0 }).where('account', '=', 'acme/a').execute(),
      );
      await expectSpendRefused(database, ledger, /account "acme\/a"/);
      const v = await ledger.verifyAudit();
      expect(v.budget.firstBad).toMatchObject({
        account: 'acme/a',
        reason: expect.stringMatching(/subtree_spends counts 0 granted spends .* give 3/),
      });
    });

    it('refuses and reports a raised limit in the accounts table', async () => {
      const { database, ledger } = await setUp();
      await tamper(database, (db) =>
        db
          .updateTable('accounts')
          .set({ epsilon_limit: 100 })
          .where('path', 'in', ['acme', 'acme/a'])
          .execute(),
      );
      await expectSpendRefused(database, ledger, /account "acme\/a"/);
      // a new account under it could not claim the raised limit either
      await expect(ledger.createAccount({ path: 'acme/b', epsilon: 50, delta: 1e-5 })).rejects.toMatchObject({
        details: { check: 'budget-state' },
      });
      const v = await ledger.verifyAudit();
      expect(v.budget.firstBad).toMatchObject({
        account: 'acme',
        reason: expect.stringMatching(/the accounts table says epsilon 100.*created it with epsilon 5/),
      });
    });

    it('reports spends deleted, added, edited or marked refunded in the spends table', async () => {
      const { database, ledger } = await setUp();
      await tamper(database, async (db) => {
        await db.deleteFrom('spends').where('id', '=', 1).execute();
        await db.updateTable('spends').set({ status: 'refunded' }).where('id', '=', 2).execute();
        await db
          .updateTable('spends')
          .set({ events: JSON.stringify([gaussianEvent({ sigma: 100 })]) })
          .where('id', '=', 3)
          .execute();
      });
      const v = await ledger.verifyAudit();
      expect(v.ok).toBe(false);
      expect(v.budget.firstBad?.account).toBe('acme/a');
      const text = v.budget.problems.join('\n');
      expect(text).toMatch(/spend 1 \(entry \d+\) is missing from the spends table/);
      expect(text).toMatch(/spend 2 \(entry \d+\): its status is refunded, the log says granted/);
      expect(text).toMatch(/spend 3 \(entry \d+\): its events differ/);
    });

    it('refuses to refund a spend whose row was edited to more events, or set back to granted', async () => {
      const { database, ledger } = await setUp();
      await tamper(database, (db) =>
        db
          .updateTable('spends')
          .set({ events: JSON.stringify([...ONE, ...ONE, ...ONE]) })
          .where('id', '=', 3)
          .execute(),
      );
      await expect(ledger.refund(3, 'never ran')).rejects.toMatchObject({
        code: 'VEIL_INTEGRITY_FAILED',
        message: expect.stringMatching(/spend 3 on "acme\/a" is not the spend the audit log granted/),
      });
      await tamper(database, (db) =>
        db
          .updateTable('spends')
          .set({ events: JSON.stringify(ONE) })
          .where('id', '=', 3)
          .execute(),
      );
      await ledger.refund(3, 'never ran');
      await tamper(database, (db) =>
        db.updateTable('spends').set({ status: 'granted' }).where('id', '=', 3).execute(),
      );
      await expect(ledger.refund(3, 'never ran')).rejects.toMatchObject({
        message: expect.stringMatching(/spend 3 on "acme\/a" was already refunded/),
      });
    });

    it('refuses totals edited together with their recomputed digests (the signed state digest differs)', async () => {
      const { database, open } = await setUp();
      await tamper(database, async (db) => {
        await db
          .updateTable('event_totals')
          .set({ count: 1 })
          .where('account', 'in', ['acme', 'acme/a'])
          .execute();
        const facts = await accountFactsIn(db, ['acme', 'acme/a']);
        for (const path of ['acme', 'acme/a']) {
          await db
            .updateTable('budget_digests')
            .set({ digest: accountDigest(facts.get(path)!) })
            .where('account', '=', path)
            .execute();
        }
      });
      // another process (this one remembers the digests it signed, and would name the account instead)
      const other = await open();
      await expectSpendRefused(
        database,
        other,
        /differs from the one signed in audit entry \d+: .* edited together with their digests/,
      );
    });

    it('rebuilds stored digests that were lost or edited when the tables still give the signed state', async () => {
      const { database, open, ledger: first } = await setUp();
      const ledger = await open(); // another process, which reads the stored digests
      await tamper(database, (db) => db.deleteFrom('budget_digests').execute());
      await ledger.spend('acme/a', ONE, { purpose: 'counts' });
      await tamper(database, (db) =>
        db
          .updateTable('budget_digests')
          .set({ digest: '0'.repeat(64) })
          .execute(),
      );
      await first.spend('other', ONE, { purpose: 'counts' }); // its remembered digests are stale: it reads them too
      expect((await ledger.verifyAudit()).ok).toBe(true);
    });

    it('refuses when the newest budget entry was removed from the log to restore an older state', async () => {
      const { database, ledger } = await setUp();
      await ledger.recordEvent({ action: 'fl.registration', outcome: 'refused', subject: 'node-7' });
      // the insider rolls the tables back to before spend 3 and removes spend 3's entry from the middle of the log
      await tamper(database, async (db) => {
        const entry = await db
          .selectFrom('audit_entries')
          .select('seq')
          .where('action', '=', 'budget.spend')
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow();
        await db.deleteFrom('audit_entries').where('seq', '=', entry.seq).execute();
        await db.deleteFrom('spends').where('id', '=', 3).execute();
        await db
          .updateTable('event_totals')
          .set({ count: 2 })
          .where('account', 'in', ['acme', 'acme/a'])
          .execute();
        await db
          .updateTable('subtree_spends')
          .set({ spends: 2 })
          .where('account', 'in', ['acme', 'acme/a'])
          .execute();
      });
      await expectSpendRefused(database, ledger, /do not lead to the newest signed tree head/);
    });
  },
);
