import { afterEach, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import { Ledger } from '../budget/ledger.js';
import { createTestDatabase } from '../store/testing.js';
import { RESERVED_AUDIT_PREFIXES } from './security-event.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function ledger(): Promise<Ledger> {
  const database = await createTestDatabase('sqlite');
  cleanup.push(() => database.dispose());
  const l = await Ledger.open(database.url, database.ledgerOptions);
  cleanup.push(() => l.close());
  return l;
}

describe('Ledger.recordEvent (security events in the audit log, without a spend)', () => {
  it('appends a signed entry with principal, subject, purpose and detail, and the log still verifies', async () => {
    const l = await ledger();
    const entry = await l.recordEvent({
      action: 'fl.registration',
      outcome: 'refused',
      principal: 'hospital-4',
      subject: 'secagg key binding',
      purpose: 'federation readmission-2026',
      detail: { reason: 'the certificate names ["hospital-2"], not "hospital-4"', attempt: 1 },
    });
    expect(entry).toMatchObject({
      action: 'fl.registration',
      outcome: 'refused',
      purpose: 'federation readmission-2026',
      account: null,
      events: null,
      detail: { principal: 'hospital-4', subject: 'secagg key binding', attempt: 1 },
    });
    const entries = await l.auditEntries();
    expect(entries.at(-1)!.seq).toBe(entry.seq);
    expect((await l.verifyAudit()).ok).toBe(true);
    expect((await l.auditHead())!.size).toBe(entry.seq + 1);
  });

  it("refuses the ledger's own action names, so an event cannot pass for a spend or a consent decision", async () => {
    const l = await ledger();
    for (const prefix of RESERVED_AUDIT_PREFIXES) {
      await expect(l.recordEvent({ action: `${prefix}spend`, outcome: 'granted' })).rejects.toThrow(
        InvalidParameterError,
      );
    }
    expect(await l.auditEntries()).toEqual([]);
  });

  it.each([
    ['an action without a module', { action: 'registration', outcome: 'refused' }, /action/],
    ['an upper-case action', { action: 'FL.Registration', outcome: 'refused' }, /action/],
    ['an outcome of two words', { action: 'fl.registration', outcome: 'not ok' }, /outcome/],
    ['an empty principal', { action: 'fl.registration', outcome: 'refused', principal: '' }, /principal/],
    ['a BigInt in the detail', { action: 'fl.x', outcome: 'failed', detail: { n: 1n } }, /detail/],
    ['NaN in the detail', { action: 'fl.x', outcome: 'failed', detail: { n: Number.NaN } }, /detail/],
    ['a detail that is an array', { action: 'fl.x', outcome: 'failed', detail: [1] }, /detail/],
    [
      'a detail over 16 KiB',
      { action: 'fl.x', outcome: 'failed', detail: { s: 'x'.repeat(17_000) } },
      /detail/,
    ],
  ])('refuses %s, naming the field, and writes nothing', async (_, event, field) => {
    const l = await ledger();
    const err = await l.recordEvent(event as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidParameterError);
    expect((err as Error).message).toMatch(field);
    expect(await l.auditEntries()).toEqual([]);
  });
});
