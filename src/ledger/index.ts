/**
 * @module veil/ledger
 *
 * The privacy-budget ledger: hierarchical accounts with (epsilon, delta) limits, spends recorded as privacy
 * events and composed by each account's accountant, atomic check-and-spend across processes, refunds for events
 * that never ran; a tamper-evident audit log (hash chain, RFC 6962 Merkle tree, Ed25519-signed tree heads, proofs);
 * datasets with consent terms checked before any read, and job lineage. Storage through Kysely: SQLite
 * (better-sqlite3, `sqlite:PATH`, the default) or PostgreSQL (`postgres://…`, pg) for a ledger shared by several
 * hosts; the same migrations and queries on both, writes serialised across processes on both.
 *
 * @example
 * import { Ledger } from 'veil/ledger';
 * const ledger = await Ledger.open('sqlite:./veil-data/veil.db');
 * await ledger.createAccount({ path: 'acme', epsilon: 10, delta: 1e-5 });
 * await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'cohort statistics' });
 */

export {
  type AuditEntry,
  type AuditRecord,
  type AuditVerification,
  entryBytes,
  keyIdOf,
  type SignedTreeHead,
  treeHeadMessage,
} from './audit/log.js';
export {
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from './audit/merkle.js';
export { type AuditExport, type AuditQuery, type AuditScope, verifyAuditExport } from './audit/queries.js';
export { RESERVED_AUDIT_PREFIXES, type SecurityEvent } from './audit/security-event.js';
export type { Account, AccountStatus, SpendReceipt } from './budget/accounts.js';
export type { Alongside, AlongsideFacts } from './budget/context.js';
export { type JobRecord, Ledger, type LedgerOptions, type LedgerVerification } from './budget/ledger.js';
export {
  type AllocatedJob,
  type Allocation,
  allocate,
  type BurnDownPoint,
  burnDown,
  type Forecast,
  forecast,
  type PlannedJob,
  PlannedJobSchema,
  type PlannedSpend,
  type Projection,
  projectExhaustion,
} from './budget/planning.js';
export type { BudgetVerification } from './budget/replay.js';
export type { SpendOptions, SpendPage, SpendRecord } from './budget/spends.js';
export { type Dataset, type DatasetTerms, fingerprintFile } from './consent/datasets.js';
export { DEFAULT_LEDGER_URL, type LedgerDatabase, openLedgerDatabase } from './store/database.js';
export { migrateRacing } from './store/migrations.js';
export type { LedgerSchema } from './store/schema.js';
