/**
 * The audit log as a user relies on it: every ledger action leaves an entry (granted and refused alike), the log
 * verifies, proofs check against signed heads, and every kind of tampering with the SQLite file — an edited entry
 * (naive and with recomputed hashes), a deleted entry, reordered entries, a truncated log (with and without its
 * heads), a forged head, an unsigned appended entry — is detected and the first bad entry named.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { gaussianEvent } from '../../accounting/index.js';
import { BudgetExceededError, ConsentError } from '../../core/index.js';
import { generateSigningKeyPair, sign } from '../../crypto/index.js';
import { Ledger } from '../budget/ledger.js';
import { fingerprintFile } from '../consent/datasets.js';
import { entryBytes, treeHeadMessage } from './log.js';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle.js';
import { verifyAuditExport } from './queries.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

let dir: string;
let file: string;

/** A ledger with a history of ten audited actions of every kind. Returns the number of entries. */
async function history(): Promise<number> {
  const ledger = await Ledger.open(`sqlite:${file}`, { actor: 'alice' });
  await ledger.createAccount({ path: 'acme', epsilon: 2, delta: 1e-5 }); // 0
  await ledger.createAccount({ path: 'acme/ecg', epsilon: 2, delta: 1e-5 }); // 1
  const csv = join(dir, 'ecg.csv');
  writeFileSync(csv, 'age,hr\n50,70\n');
  await ledger.registerDataset({
    name: 'ecg',
    fingerprint: await fingerprintFile(csv),
    purposes: ['readmission model'],
    retainUntil: '2099-01-01',
    constraints: ['no re-identification'],
  }); // 2
  await ledger.authorize('ecg', 'readmission model'); // 3
  await expect(ledger.authorize('ecg', 'marketing')).rejects.toThrow(ConsentError); // 4 (refused)
  const s = await ledger.spend('acme/ecg', [gaussianEvent({ sigma: 3 })], {
    purpose: 'readmission model',
    dataset: 'ecg',
  }); // 5
  await expect(
    ledger.spend('acme/ecg', [gaussianEvent({ sigma: 0.5 })], { purpose: 'readmission model' }),
  ).rejects.toThrow(BudgetExceededError); // 6 (refused)
  await ledger.spend('acme/ecg', [gaussianEvent({ sigma: 4 })], { purpose: 'cohort counts' }); // 7
  await ledger.refund(s.id, 'the job crashed before training'); // 8
  await ledger.recordJob({
    job: 'job-1',
    account: 'acme/ecg',
    datasets: ['ecg'],
    purpose: 'readmission model',
    modelHash: `sha256:${'ab'.repeat(32)}`,
    spendIds: [s.id],
  }); // 9
  await ledger.close();
  return 10;
}

async function verify(options: { trustedPublicKey?: string } = {}) {
  const ledger = await Ledger.open(`sqlite:${file}`);
  try {
    return await ledger.verifyAudit(options);
  } finally {
    await ledger.close();
  }
}

/** Edits the SQLite file directly, as an attacker with write access to it (but not the key file) would. */
function tamper(fn: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'veil-audit-'));
  file = join(dir, 'veil.db');
});

describe('audit log', () => {
  it('records every action, granted and refused, and verifies', async () => {
    const n = await history();
    const ledger = await Ledger.open(`sqlite:${file}`);
    const entries = await ledger.auditEntries();
    expect(entries.map((e) => [e.seq, e.action, e.outcome])).toEqual([
      [0, 'account.create', 'created'],
      [1, 'account.create', 'created'],
      [2, 'dataset.register', 'registered'],
      [3, 'dataset.access', 'allowed'],
      [4, 'dataset.access', 'refused'],
      [5, 'budget.spend', 'granted'],
      [6, 'budget.spend', 'refused'],
      [7, 'budget.spend', 'granted'],
      [8, 'budget.refund', 'refunded'],
      [9, 'job.complete', 'recorded'],
    ]);
    expect(entries.every((e) => e.actor === 'alice')).toBe(true);
    expect(entries[5]!.dataset).toMatch(/^ecg@sha256:[0-9a-f]{64}$/);
    expect(entries[5]!.events).toEqual([gaussianEvent({ sigma: 3 })]);
    expect(entries[4]!.detail).toMatchObject({ reason: 'purpose' });
    expect(entries[6]!.detail).toMatchObject({ reason: 'budget' });
    expect(String(entries[6]!.detail.message)).toMatch(/remaining/);
    // the dataset's content never enters the log
    expect(JSON.stringify(entries)).not.toContain('50,70');
    expect((await ledger.auditEntries({ dataset: 'ecg' })).map((e) => e.seq)).toEqual([2, 3, 4, 5, 9]);
    expect((await ledger.auditEntries({ account: 'acme/ecg' })).map((e) => e.seq)).toEqual([
      1, 5, 6, 7, 8, 9,
    ]);
    const result = await ledger.verifyAudit();
    expect(result).toMatchObject({ ok: true, size: n, firstBad: null, problems: [] });
    expect(result.head?.size).toBe(n);
    await ledger.close();
  });

  it('gives inclusion and consistency proofs that check against the signed heads', async () => {
    await history();
    const ledger = await Ledger.open(`sqlite:${file}`);
    const head = (await ledger.auditHead())!;
    for (const seq of [0, 4, 9]) {
      const p = await ledger.inclusionProof(seq);
      expect(verifyInclusion(unhex(p.leafHash), seq, head.size, p.proof.map(unhex), unhex(head.root))).toBe(
        true,
      );
      expect(
        verifyInclusion(unhex(p.leafHash), (seq + 1) % 10, head.size, p.proof.map(unhex), unhex(head.root)),
      ).toBe(false);
    }
    for (const old of [1, 3, 7]) {
      const c = await ledger.consistencyProof(old);
      expect(
        verifyConsistency(old, head.size, c.proof.map(unhex), unhex(c.oldHead.root), unhex(head.root)),
      ).toBe(true);
    }
    await expect(ledger.inclusionProof(10)).rejects.toThrow(/\[0, 10\)/);
    await ledger.close();
  });

  it('an export verifies offline, and fails under another key or with an edited entry', async () => {
    await history();
    const ledger = await Ledger.open(`sqlite:${file}`);
    const bundle = await ledger.exportAudit();
    const key = ledger.auditKey.publicKey;
    await ledger.close();
    const copy = JSON.parse(JSON.stringify(bundle));
    expect((await verifyAuditExport(copy, { trustedPublicKey: key })).ok).toBe(true);
    const other = hex(generateSigningKeyPair().publicKey);
    expect((await verifyAuditExport(copy, { trustedPublicKey: other })).ok).toBe(false);
    copy.entries[3].purpose = 'marketing';
    expect((await verifyAuditExport(copy, { trustedPublicKey: key })).firstBad?.seq).toBe(3);
  });

  it('detects an edited entry and names it', async () => {
    await history();
    tamper((db) => db.prepare("update audit_entries set purpose = 'marketing' where seq = 3").run());
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 3 });
    expect(r.firstBad?.reason).toMatch(/edited/);
  });

  it('detects an edit whose leaf and chain hashes were recomputed, through the signed heads', async () => {
    await history();
    tamper((db) => {
      // a careful attacker rewrites entry 5's events and recomputes every hash after it
      const rows = db.prepare('select * from audit_entries order by seq').all() as Record<string, unknown>[];
      rows[5]!.events = JSON.stringify([gaussianEvent({ sigma: 30 })]);
      let chain = new Uint8Array(32);
      for (const row of rows) {
        const leaf = leafHash(entryBytes(row as never));
        const h = createHash('sha256');
        h.update('veil-audit-chain-v1');
        h.update(chain);
        h.update(leaf);
        chain = new Uint8Array(h.digest());
        db.prepare('update audit_entries set events = ?, leaf_hash = ?, chain_hash = ? where seq = ?').run(
          row.events,
          hex(leaf),
          hex(chain),
          row.seq,
        );
      }
    });
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 5 });
    expect(r.problems.join('\n')).toMatch(/signed tree head of size 6 does not match/);
  });

  it('detects a deleted entry', async () => {
    await history();
    tamper((db) => db.prepare('delete from audit_entries where seq = 4').run());
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 4 });
    expect(r.firstBad?.reason).toMatch(/missing/);
  });

  it('detects reordered entries', async () => {
    await history();
    tamper((db) => {
      // swap the content of entries 2 and 6, keeping the numbering (and each row's own hashes)
      const a = db.prepare('select * from audit_entries where seq = 2').get() as Record<string, unknown>;
      const b = db.prepare('select * from audit_entries where seq = 6').get() as Record<string, unknown>;
      const put = db.prepare(
        'update audit_entries set at=@at, actor=@actor, action=@action, account=@account, dataset=@dataset, purpose=@purpose, events=@events, outcome=@outcome, detail=@detail, leaf_hash=@leaf_hash, chain_hash=@chain_hash where seq=@target',
      );
      put.run({ ...b, target: 2 });
      put.run({ ...a, target: 6 });
    });
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 2 });
  });

  it('detects a truncated log, with its heads or without them (the witness head outside the database)', async () => {
    const n = await history();
    tamper((db) => db.prepare('delete from audit_entries where seq >= 8').run());
    let r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 8 });
    expect(r.problems.join('\n')).toMatch(`covers ${n} entries but the log has 8`);
    tamper((db) => db.prepare('delete from audit_heads where size > 8').run());
    r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 8 });
    expect(r.problems.join('\n')).toMatch(/witness head \(kept outside the database\) covers 10 entries/);
  });

  it('detects a forged tree head, and a head re-signed with another key', async () => {
    await history();
    tamper((db) => db.prepare(`update audit_heads set root = '${'00'.repeat(32)}' where size = 10`).run());
    let r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/tree head of size 10: its signature does not verify/);
    // an attacker with their own key signs a head: not the trusted key
    file = join(dir, 'second.db');
    await history();
    const forger = generateSigningKeyPair();
    tamper((db) => {
      const h = db.prepare('select * from audit_heads where size = 10').get() as Record<string, string>;
      const forged = { size: 10, root: h.root!, chainHash: h.chain_hash!, at: '2030-01-01T00:00:00.000Z' };
      db.prepare('update audit_heads set at = ?, key_id = ?, signature = ? where size = 10').run(
        forged.at,
        'f'.repeat(32),
        hex(sign(forger.privateKey, treeHeadMessage(forged))),
      );
    });
    r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/not the trusted key/);
  });

  it('detects an entry appended without a signed head', async () => {
    await history();
    tamper((db) => {
      const last = db.prepare('select * from audit_entries where seq = 9').get() as Record<string, unknown>;
      db.prepare(
        'insert into audit_entries (seq, at, actor, action, account, dataset, purpose, events, outcome, detail, leaf_hash, chain_hash) values (10, @at, @actor, @action, @account, @dataset, @purpose, @events, @outcome, @detail, @leaf_hash, @chain_hash)',
      ).run(last);
    });
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad?.seq).toBe(10);
  });

  it('verifies against a key given by the auditor, and fails under another', async () => {
    await history();
    const ledger = await Ledger.open(`sqlite:${file}`);
    const key = ledger.auditKey.publicKey;
    await ledger.close();
    expect((await verify({ trustedPublicKey: key })).ok).toBe(true);
    expect((await verify({ trustedPublicKey: hex(generateSigningKeyPair().publicKey) })).ok).toBe(false);
  });

  it('a spend that fails inside its transaction leaves neither a spend nor an entry', async () => {
    const ledger = await Ledger.open(`sqlite:${file}`);
    await ledger.createAccount({ path: 'acme', epsilon: 5, delta: 1e-5 });
    await expect(
      ledger.spend('acme', [gaussianEvent({ sigma: 3 })], {
        purpose: 'x',
        beforeCommit: async () => {
          throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    expect(await ledger.spends('acme')).toEqual([]);
    expect((await ledger.auditEntries()).length).toBe(1);
    expect((await ledger.verifyAudit()).ok).toBe(true);
    await ledger.close();
  });
});

describe('consent and purpose', () => {
  it('refuses a spend on a dataset for a purpose it does not allow, or after retention, and spends nothing', async () => {
    let now = new Date('2026-06-01T00:00:00Z');
    const ledger = await Ledger.open(`sqlite:${file}`, { now: () => now });
    await ledger.createAccount({ path: 'acme', epsilon: 5, delta: 1e-5 });
    await ledger.registerDataset({
      name: 'claims',
      fingerprint: `sha256:${'1'.repeat(64)}`,
      purposes: ['Fraud Detection'],
      retainUntil: '2026-12-31',
    });
    await expect(
      ledger.spend('acme', [gaussianEvent({ sigma: 3 })], { purpose: 'marketing', dataset: 'claims' }),
    ).rejects.toThrow(/may be used for "Fraud Detection", not "marketing"/);
    // purposes compare case-insensitively, trimmed
    await ledger.spend('acme', [gaussianEvent({ sigma: 3 })], {
      purpose: ' fraud detection ',
      dataset: 'claims',
    });
    now = new Date('2027-01-02T00:00:00Z');
    await expect(ledger.authorize('claims', 'fraud detection')).rejects.toThrow(/retention period is over/);
    expect((await ledger.spends('acme')).length).toBe(1);
    const refused = (await ledger.auditEntries()).filter((e) => e.outcome === 'refused');
    expect(refused.map((e) => e.detail.reason)).toEqual(['purpose', 'retention']);
    await expect(ledger.authorize('nope', 'x')).rejects.toThrow(/a registered dataset/);
    // '_' is allowed in names and is a LIKE wildcard: the lineage filter matches names exactly
    for (const name of ['a_b', 'axb']) {
      await ledger.registerDataset({ name, fingerprint: `sha256:${'2'.repeat(64)}`, purposes: ['p'] });
    }
    await ledger.recordJob({ job: 'j', datasets: ['axb', 'claims'], purpose: 'p' });
    expect((await ledger.auditEntries({ dataset: 'a_b' })).map((e) => e.action)).toEqual([
      'dataset.register',
    ]);
    expect((await ledger.auditEntries({ dataset: 'axb' })).map((e) => e.action)).toEqual([
      'dataset.register',
      'job.complete',
    ]);
    await expect(
      ledger.registerDataset({ name: 'bad name', fingerprint: 'x', purposes: [] }),
    ).rejects.toThrow(/name/);
    await ledger.close();
  });
});
