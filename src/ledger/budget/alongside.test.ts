/**
 * A service's own writes committed with a ledger change (`alongside`), and views acting as another actor
 * (`Ledger.as`): both commit or neither does, on SQLite and PostgreSQL.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gaussianEvent } from '../../accounting/index.js';
import { BudgetExceededError, InvalidParameterError } from '../../core/index.js';
import { createTestDatabase, testDialects } from '../store/testing.js';
import type { Alongside } from './context.js';
import { Ledger } from './ledger.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fresh(dialect: 'sqlite' | 'postgres'): Promise<Ledger> {
  const database = await createTestDatabase(dialect);
  cleanups.push(() => database.dispose());
  const ledger = await Ledger.open(database.url, database.ledgerOptions);
  cleanups.push(() => ledger.close());
  await sql`create table service_rows (name text primary key)`.execute(ledger.database.db);
  return ledger;
}

async function rows(ledger: Ledger): Promise<string[]> {
  const r = await sql<{ name: string }>`select name from service_rows order by name`.execute(
    ledger.database.db,
  );
  return r.rows.map((x) => x.name);
}

const insert =
  (name: string): Alongside =>
  async (trx) => {
    await sql`insert into service_rows (name) values (${name})`.execute(trx);
  };

describe.each(testDialects().map((t) => [t.label, t] as const))(
  'alongside writes (%s)',
  (_, { dialect, skip }) => {
    beforeEach((context) => context.skip(skip, 'no PostgreSQL server configured'));

    it('commits the caller’s row with a granted spend, a refund and an audit event', async () => {
      const ledger = await fresh(dialect);
      await ledger.createAccount({ path: 'acme', epsilon: 5, delta: 1e-5 });
      const receipt = await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], {
        purpose: 'p',
        alongside: insert('job-1'),
      });
      await ledger.refund(receipt.id, 'never ran', { alongside: insert('job-1-refunded') });
      await ledger.recordEvent(
        { action: 'server.key', outcome: 'created', subject: 'k1' },
        { alongside: insert('key-1') },
      );
      expect(await rows(ledger)).toEqual(['job-1', 'job-1-refunded', 'key-1']);
      expect((await ledger.verifyAudit()).ok).toBe(true);
    });

    it('rolls the spend back when the caller’s write fails, and the caller’s row back when the spend is refused', async () => {
      const ledger = await fresh(dialect);
      await ledger.createAccount({ path: 'acme', epsilon: 5, delta: 1e-5 });
      await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'p', alongside: insert('dup') });
      // the row exists: the second insert fails inside the transaction, so the spend is not granted
      await expect(
        ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'p', alongside: insert('dup') }),
      ).rejects.toThrow();
      expect(await ledger.spends('acme')).toHaveLength(1);
      await expect(
        ledger.spend('acme', [gaussianEvent({ sigma: 0.1 })], {
          purpose: 'p',
          alongside: insert('too-much'),
        }),
      ).rejects.toBeInstanceOf(BudgetExceededError);
      expect(await rows(ledger)).toEqual(['dup']);
      expect((await ledger.verifyAudit()).ok).toBe(true);
    });

    it('a view records its own actor, shares the log and leaves the ledger open when closed', async () => {
      const ledger = await fresh(dialect);
      const view = ledger.as('acme/alice');
      await view.createAccount({ path: 'acme', epsilon: 5, delta: 1e-5 });
      await view.close();
      await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'p' });
      const entries = await ledger.auditEntries();
      expect(entries.map((e) => e.actor)).toEqual(['acme/alice', ledger.actor]);
      expect((await ledger.verifyAudit()).ok).toBe(true);
      expect(() => ledger.as('')).toThrow(InvalidParameterError);
    });
  },
);
