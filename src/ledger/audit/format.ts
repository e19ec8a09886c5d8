/**
 * The audit log's format: what a caller records, entries and signed tree heads as stored, the canonical bytes a
 * leaf hash covers, the hash chain, what a head's signature covers and how it is checked, and the refusals an
 * append may answer with (log.ts describes the design).
 */
import { createHash } from 'node:crypto';
import type { PrivacyEvent } from '../../accounting/index.js';
import { csprng, IntegrityError } from '../../core/index.js';
import { verify } from '../../crypto/index.js';
import type { AuditEntryTable, AuditHeadTable } from '../store/schema.js';

/** What a caller records; the log adds the sequence number, time and hashes. */
export interface AuditRecord {
  readonly actor: string;
  /** What happened: 'account.create', 'budget.spend', 'budget.refund', 'dataset.register', 'dataset.access', 'job.complete', … */
  readonly action: string;
  readonly account?: string | null;
  /** 'name@sha256:…': a dataset's name and fingerprint, never its content. */
  readonly dataset?: string | null;
  readonly purpose?: string | null;
  readonly events?: readonly PrivacyEvent[] | null;
  /** 'granted', 'refused', 'created', 'registered', 'allowed', 'refunded', 'recorded', … */
  readonly outcome: string;
  /** Further facts (numbers, ids, reasons). Never secrets or raw records. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** An entry as stored. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly account: string | null;
  readonly dataset: string | null;
  readonly purpose: string | null;
  readonly events: PrivacyEvent[] | null;
  readonly outcome: string;
  readonly detail: Record<string, unknown>;
  /** Hex SHA-256 leaf hash (RFC 6962: over 0x00 || the entry's canonical bytes). */
  readonly leafHash: string;
  readonly chainHash: string;
}

/** A signed tree head: the log's state at `size` entries. */
export interface SignedTreeHead {
  readonly size: number;
  /** Hex MTH of the first `size` leaves. */
  readonly root: string;
  /** Hex hash chain after entry size-1 (all zeros for the empty log). */
  readonly chainHash: string;
  readonly at: string;
  /** Hex, the first 16 bytes of SHA-256 of the public key. */
  readonly keyId: string;
  /** Hex Ed25519 signature of {@link treeHeadMessage}. */
  readonly signature: string;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const sha256 = (...parts: (Uint8Array | string)[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
/** Fresh random bytes from the CSPRNG (OS randomness is drawn only through core's rng). */
export const random = (n: number): Buffer => {
  const out = Buffer.alloc(n);
  csprng().fillBytes(out);
  return out;
};
/** The hash chain before the first entry. */
export const ZERO: Uint8Array = new Uint8Array(32);
/** A hex SHA-256 hash. */
export const HEX32 = /^[0-9a-f]{64}$/;

/** The canonical bytes of an entry (what its leaf hash covers): a JSON array of the stored fields, in order. */
export function entryBytes(row: Omit<AuditEntryTable, 'leaf_hash' | 'chain_hash'>): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([
      'veil-audit-v1',
      row.seq,
      row.at,
      row.actor,
      row.action,
      row.account,
      row.dataset,
      row.purpose,
      row.events,
      row.outcome,
      row.detail,
    ]),
  );
}

/** The next link of the hash chain: SHA-256(tag || previous link || leaf hash). */
export function chainNext(previous: Uint8Array, leaf: Uint8Array): Uint8Array {
  return sha256('veil-audit-chain-v1', previous, leaf);
}

/** The bytes a tree head's signature covers. */
export function treeHeadMessage(head: Omit<SignedTreeHead, 'signature' | 'keyId'>): Uint8Array {
  return new TextEncoder().encode(
    `veil-audit-tree-head-v1\n${head.size}\n${head.root}\n${head.chainHash}\n${head.at}\n`,
  );
}

/** The key id of a raw Ed25519 public key. */
export function keyIdOf(publicKey: Uint8Array): string {
  return hex(sha256(publicKey).subarray(0, 16));
}

/** Whether `head` names `publicKey` and carries its valid Ed25519 signature. */
export function signedBy(head: SignedTreeHead, publicKey: Uint8Array): boolean {
  return (
    head.keyId === keyIdOf(publicKey) &&
    typeof head.signature === 'string' &&
    /^[0-9a-f]{128}$/.test(head.signature) &&
    verify(publicKey, treeHeadMessage(head), unhex(head.signature))
  );
}

/** A stored head row as a {@link SignedTreeHead}. */
export function toHead(row: AuditHeadTable): SignedTreeHead {
  return {
    size: row.size,
    root: row.root,
    chainHash: row.chain_hash,
    at: row.at,
    keyId: row.key_id,
    signature: row.signature,
  };
}

/** An entry row as parsed for callers. */
export function toEntry(row: AuditEntryTable): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    account: row.account,
    dataset: row.dataset,
    purpose: row.purpose,
    events: row.events === null ? null : (JSON.parse(row.events) as PrivacyEvent[]),
    outcome: row.outcome,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    leafHash: row.leaf_hash,
    chainHash: row.chain_hash,
  };
}

/** What a refused append failed: `details.check` of its {@link IntegrityError} (code VEIL_INTEGRITY_FAILED). */
export type AuditCheck =
  /** the newest stored head is not signed by the log's key (forged, altered, or another key) */
  | 'audit-head-signature'
  /** the newest head's stored frontier is malformed or does not give its signed root */
  | 'audit-head-frontier'
  /** the entries do not end where the newest head says (entries past it, or fewer, or another chain hash) */
  | 'audit-log-end'
  /** the log does not extend the witness head kept outside the database (truncated, rewritten, or another log) */
  | 'audit-witness';

/** Throws the {@link IntegrityError} of a refused append, its `details.check` naming what failed. */
export function refuse(
  fn: string,
  check: AuditCheck,
  message: string,
  details: Record<string, unknown> = {},
): never {
  throw new IntegrityError(`${fn}: ${message}`, { check, ...details });
}

/** What a user who replaced the database on purpose should do (a truncated log is refused otherwise). */
export const REPLACED_HINT =
  ' (if you replaced the database on purpose, move its witness file, <database>.audit-head.json, away first: docs/ledger.md)';
