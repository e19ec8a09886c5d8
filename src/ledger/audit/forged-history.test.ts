/**
 * Forged history (security review): an insider who can write the database but not read the signing key rewrites
 * an entry, recomputes the hashes after it, fixes up the newest head row (root, chain hash, frontier) so that it
 * looks consistent, waits for the honest writer to sign the next head on top of it, then deletes the older heads
 * that would betray the rewrite. So the writer must verify the newest head before it signs, `verify` must see
 * deleted heads, and the witness head kept outside the database must move forward only along a consistency proof.
 * Each test edits a real SQLite file with raw SQL, as that insider would.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../core/index.js';
import { generateSigningKeyPair } from '../../crypto/index.js';
import { Ledger } from '../budget/ledger.js';
import type { AuditEntryTable } from '../store/schema.js';
import { AuditSigner, entryBytes, type SignedTreeHead, writeWitness } from './log.js';
import { leafHash, treeHash } from './merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

let dir: string;
let file: string;
let accounts = 0;

beforeEach(() => {
  accounts = 0;
  dir = mkdtempSync(join(tmpdir(), 'veil-forged-'));
  file = join(dir, 'veil.db');
});

/** `n` audited actions (account creations) in the ledger at `db`, signed with the key beside it or `keyFile`. */
async function history(n: number, db = file, keyFile?: string): Promise<void> {
  const ledger = await Ledger.open(`sqlite:${db}`, {
    actor: 'alice',
    ...(keyFile ? { auditKeyFile: keyFile } : {}),
  });
  for (let i = 0; i < n; i++)
    await ledger.createAccount({ path: `acct-${accounts++}`, epsilon: 1, delta: 1e-5 });
  await ledger.close();
}

/** Edits the SQLite file directly, as an insider with write access to it (but not to the key file) would. */
function tamper<T>(fn: (db: Database.Database) => T, db = file): T {
  const sqlite = new Database(db);
  try {
    return fn(sqlite);
  } finally {
    sqlite.close();
  }
}

function count(table: 'audit_entries' | 'audit_heads' | 'accounts', db = file): number {
  return tamper(
    (sqlite) => (sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n,
    db,
  );
}

function chainNext(previous: Uint8Array, leaf: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256').update('veil-audit-chain-v1').update(previous).update(leaf).digest(),
  );
}

/** The right edge of the tree of `leaves`: the roots of its perfect subtrees, largest first. */
function frontierOf(leaves: readonly Uint8Array[]): string[] {
  const nodes: string[] = [];
  let offset = 0;
  for (let bit = 2 ** 20; bit >= 1; bit /= 2) {
    if (leaves.length & bit) {
      nodes.push(hex(treeHash(leaves.slice(offset, offset + bit))));
      offset += bit;
    }
  }
  return nodes;
}

/**
 * Rewrites entry `seq` and recomputes every leaf and chain hash from it on; returns the new leaves and chain (the
 * careful attacker of audit-log.test.ts).
 */
function rewriteEntry(db: Database.Database, seq: number): { leaves: Uint8Array[]; chain: Uint8Array } {
  const rows = db.prepare('select * from audit_entries order by seq').all() as AuditEntryTable[];
  const leaves: Uint8Array[] = [];
  let chain: Uint8Array = new Uint8Array(32);
  for (const row of rows) {
    const edited = row.seq === seq ? { ...row, purpose: 'marketing' } : row;
    const leaf = leafHash(entryBytes(edited));
    chain = chainNext(chain, leaf);
    leaves.push(leaf);
    db.prepare('update audit_entries set purpose = ?, leaf_hash = ?, chain_hash = ? where seq = ?').run(
      edited.purpose,
      hex(leaf),
      hex(chain),
      row.seq,
    );
  }
  return { leaves, chain };
}

/** Rewrites entry `seq` and makes the newest head row agree with the rewrite: all but its signature. */
function rewriteAndFixUpNewestHead(db: Database.Database, seq: number): void {
  const { leaves, chain } = rewriteEntry(db, seq);
  db.prepare('update audit_heads set root = ?, chain_hash = ?, frontier = ? where size = ?').run(
    hex(treeHash(leaves)),
    hex(chain),
    JSON.stringify(frontierOf(leaves)),
    leaves.length,
  );
}

/** The witness file beside a key file. */
const witnessOf = (keyFile: string) => keyFile.replace(/\.audit-key$/, '.audit-head.json');

/** Expects one more action to be refused with an IntegrityError naming `check`, and nothing to be written. */
async function expectAppendRefused(
  check: string,
  options: { db?: string; keyFile?: string } = {},
): Promise<void> {
  const db = options.db ?? file;
  const keyFile = options.keyFile ?? `${db}.audit-key`;
  const state = () => ({
    entries: count('audit_entries', db),
    heads: count('audit_heads', db),
    accounts: count('accounts', db),
    witness: readFileSync(witnessOf(keyFile), 'utf8'),
  });
  const before = state();
  const ledger = await Ledger.open(`sqlite:${db}`, { auditKeyFile: keyFile });
  try {
    const attempt = ledger.createAccount({ path: 'after-the-attack', epsilon: 1, delta: 1e-5 });
    await expect(attempt).rejects.toBeInstanceOf(IntegrityError);
    await expect(attempt).rejects.toMatchObject({ code: 'VEIL_INTEGRITY_FAILED', details: { check } });
  } finally {
    await ledger.close();
  }
  expect(state()).toEqual(before);
}

/** Another log of `n` entries signed with a copy of the key beside `file`: its heads by size. */
async function otherLogWithTheSameKey(
  n: number,
): Promise<{ db: string; heads: Map<number, SignedTreeHead> }> {
  const otherKey = join(mkdtempSync(join(tmpdir(), 'veil-forged-key-')), 'copy.audit-key');
  copyFileSync(`${file}.audit-key`, otherKey);
  const db = join(dir, 'other.db');
  await history(n, db, otherKey);
  const ledger = await Ledger.open(`sqlite:${db}`, { auditKeyFile: otherKey });
  const bundle = await ledger.exportAudit();
  await ledger.close();
  return { db, heads: new Map(bundle.heads.map((h) => [h.size, h])) };
}

const witnessFile = () => witnessOf(`${file}.audit-key`);

async function verify() {
  const ledger = await Ledger.open(`sqlite:${file}`);
  try {
    return await ledger.verifyAudit();
  } finally {
    await ledger.close();
  }
}

describe('the writer signs only on top of a head it verified', () => {
  it('refuses to sign on top of a newest head fixed up to cover a rewritten entry, and writes nothing', async () => {
    await history(10);
    tamper((db) => rewriteAndFixUpNewestHead(db, 3));
    await expectAppendRefused('audit-head-signature');
  });

  it('refuses a newest head whose stored frontier does not give its signed root', async () => {
    await history(10);
    // the head's signed fields stay as they are; only the unsigned frontier follows the rewrite
    tamper((db) => {
      const { leaves } = rewriteEntry(db, 3);
      db.prepare('update audit_heads set frontier = ? where size = 10').run(
        JSON.stringify(frontierOf(leaves)),
      );
    });
    await expectAppendRefused('audit-head-frontier');
    // a one-node frontier equal to the root folds to the root, but is not the right edge of a tree of 10
    tamper((db) => {
      const { root } = db.prepare('select root from audit_heads where size = 10').get() as { root: string };
      db.prepare('update audit_heads set frontier = ? where size = 10').run(JSON.stringify([root]));
    });
    await expectAppendRefused('audit-head-frontier');
  });

  it('refuses a newest head signed by another key', async () => {
    await history(10);
    file = join(dir, 'other.db');
    await history(3);
    // the other log's head rows (its own key) pasted over this log's newest head
    const foreign = tamper((db) => db.prepare('select * from audit_heads where size = 3').get()) as Record<
      string,
      unknown
    >;
    file = join(dir, 'veil.db');
    tamper((db) =>
      db
        .prepare('update audit_heads set key_id = ?, signature = ?, at = ? where size = 10')
        .run(foreign.key_id, foreign.signature, foreign.at),
    );
    await expectAppendRefused('audit-head-signature');
  });

  it('refuses entries stored past the newest signed head', async () => {
    await history(10);
    tamper((db) => {
      const last = db.prepare('select * from audit_entries where seq = 9').get() as Record<string, unknown>;
      db.prepare(
        'insert into audit_entries (seq, at, actor, action, account, dataset, purpose, events, outcome, detail, leaf_hash, chain_hash) values (10, @at, @actor, @action, @account, @dataset, @purpose, @events, @outcome, @detail, @leaf_hash, @chain_hash)',
      ).run(last);
    });
    await expectAppendRefused('audit-log-end');
  });

  it('refuses to append below the witness head (a log truncated with its heads)', async () => {
    await history(10);
    tamper((db) => {
      db.prepare('delete from audit_entries where seq >= 7').run();
      db.prepare('delete from audit_heads where size > 7').run();
    });
    await expectAppendRefused('audit-witness');
  });

  it('refuses to append to a log that does not extend the witness head (another log signed with the same key)', async () => {
    await history(10); // the witness beside veil.db is this log's head of size 10
    const other = await otherLogWithTheSameKey(12);
    // the database swapped for the other one: every head verifies under the key, none extends the witness
    await expectAppendRefused('audit-witness', { db: other.db, keyFile: `${file}.audit-key` });
  });

  it('still appends to an untouched log, which verifies', async () => {
    await history(10);
    await history(3);
    const r = await verify();
    expect(r).toMatchObject({ ok: true, size: 13, problems: [] });
    expect((JSON.parse(readFileSync(witnessFile(), 'utf8')) as SignedTreeHead).size).toBe(13);
  });
});

describe('verify refuses gaps between signed heads', () => {
  it('detects signed heads deleted from the middle of the log', async () => {
    await history(10);
    tamper((db) => db.prepare('delete from audit_heads where size between 4 and 9').run());
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/signed tree heads of sizes 4\.\.9 are missing/);
    expect(r.firstBad?.seq).toBe(3);
  });

  it('detects the whole attack even had a fooled writer signed on top of the forged head', async () => {
    await history(10);
    tamper((db) => {
      rewriteAndFixUpNewestHead(db, 3);
      // what the old writer did: extend the fixed-up head row by one entry and sign, without checking it
      const rows = db.prepare('select * from audit_entries order by seq').all() as AuditEntryTable[];
      const next = { ...rows[9]!, seq: 10 };
      const leaf = leafHash(entryBytes(next));
      const chain = chainNext(unhex(rows[9]!.chain_hash), leaf);
      const leaves = [...rows.map((r) => unhex(r.leaf_hash)), leaf];
      db.prepare(
        'insert into audit_entries (seq, at, actor, action, account, dataset, purpose, events, outcome, detail, leaf_hash, chain_hash) values (@seq, @at, @actor, @action, @account, @dataset, @purpose, @events, @outcome, @detail, @leaf_hash, @chain_hash)',
      ).run({ ...next, leaf_hash: hex(leaf), chain_hash: hex(chain) });
      const head = AuditSigner.loadOrCreate(`${file}.audit-key`).signHead({
        size: 11,
        root: hex(treeHash(leaves)),
        chainHash: hex(chain),
        at: next.at,
      });
      db.prepare(
        'insert into audit_heads (size, root, chain_hash, frontier, at, key_id, signature) values (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        11,
        head.root,
        head.chainHash,
        JSON.stringify(frontierOf(leaves)),
        head.at,
        head.keyId,
        head.signature,
      );
      // then the insider deletes every head that would show the rewrite; the old writer moved the witness on
      db.prepare('delete from audit_heads where size between 4 and 10').run();
      writeFileSync(witnessFile(), `${JSON.stringify(head)}\n`);
    });
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/signed tree heads of sizes 4\.\.10 are missing/);
  });
});

describe('the witness moves forward only along a consistency proof', () => {
  /** A log of 10 entries: its heads by size, its public key, and a proof from `old` to the newest head. */
  async function log(): Promise<{
    heads: Map<number, SignedTreeHead>;
    publicKey: Uint8Array;
    proof: (old: number) => Uint8Array[];
  }> {
    await history(10);
    const ledger = await Ledger.open(`sqlite:${file}`);
    const bundle = await ledger.exportAudit();
    const proofs = new Map<number, Uint8Array[]>();
    for (let old = 1; old <= 10; old++)
      proofs.set(old, (await ledger.consistencyProof(old)).proof.map(unhex));
    await ledger.close();
    return {
      heads: new Map(bundle.heads.map((h) => [h.size, h])),
      publicKey: unhex(bundle.publicKey),
      proof: (old) => proofs.get(old)!,
    };
  }

  const witnessAt = () => join(dir, 'witness.json');
  const put = (h: SignedTreeHead) => writeFileSync(witnessAt(), `${JSON.stringify(h)}\n`);
  const stored = () => (JSON.parse(readFileSync(witnessAt(), 'utf8')) as SignedTreeHead).size;

  it('replaces the witness with a larger head given a valid consistency proof from it', async () => {
    const { heads, publicKey, proof } = await log();
    put(heads.get(5)!);
    writeWitness(witnessAt(), heads.get(10)!, { oldSize: 5, proof: proof(5) }, publicKey);
    expect(stored()).toBe(10);
  });

  it('refuses a larger head without a valid consistency proof, and keeps the old witness', async () => {
    const { heads, publicKey, proof } = await log();
    put(heads.get(5)!);
    for (const step of [
      { oldSize: 5, proof: [] },
      { oldSize: 5, proof: proof(6) }, // a proof from another size
      { oldSize: 5, proof: proof(5).map((p, i) => (i === 0 ? new Uint8Array(32) : p)) },
    ]) {
      expect(() => writeWitness(witnessAt(), heads.get(10)!, step, publicKey)).toThrow(IntegrityError);
      expect(stored()).toBe(5);
    }
    // a head of another log signed with the same key: its signature verifies, but it does not extend the witness
    const other = await otherLogWithTheSameKey(12);
    expect(() =>
      writeWitness(witnessAt(), other.heads.get(12)!, { oldSize: 5, proof: proof(5) }, publicKey),
    ).toThrow(IntegrityError);
    expect(stored()).toBe(5);
  });

  it('refuses a head not signed by the log key', async () => {
    const { heads, proof } = await log();
    put(heads.get(5)!);
    const other = generateSigningKeyPair().publicKey;
    expect(() => writeWitness(witnessAt(), heads.get(10)!, { oldSize: 5, proof: proof(5) }, other)).toThrow(
      /not signed by the log key|signature/,
    );
    expect(stored()).toBe(5);
  });

  it('refuses a head of the witness size with another root (a fork)', async () => {
    const { heads, publicKey } = await log();
    put(heads.get(10)!);
    const fork = (await otherLogWithTheSameKey(10)).heads.get(10)!;
    expect(() => writeWitness(witnessAt(), fork, { oldSize: 10, proof: [] }, publicKey)).toThrow(/fork/);
    expect(stored()).toBe(10);
  });

  it('keeps a larger witness, and one that moved since the proof was made (a racing writer)', async () => {
    const { heads, publicKey, proof } = await log();
    put(heads.get(10)!);
    writeWitness(witnessAt(), heads.get(7)!, { oldSize: 5, proof: proof(5) }, publicKey);
    expect(stored()).toBe(10);
    put(heads.get(6)!);
    writeWitness(witnessAt(), heads.get(10)!, { oldSize: 5, proof: proof(5) }, publicKey);
    expect(stored()).toBe(6);
  });
});
