/**
 * @module veil/ledger
 *
 * The privacy-budget ledger: hierarchical accounts with (epsilon, delta) limits, spends recorded as privacy
 * events and composed by each account's accountant, atomic check-and-spend across processes, refunds for events
 * that never ran. Storage through Kysely over SQLite (better-sqlite3; PostgreSQL is not built yet).
 *
 * @example
 * import { Ledger } from 'veil/ledger';
 * const ledger = await Ledger.open('sqlite:./veil-data/veil.db');
 * await ledger.createAccount({ path: 'acme', epsilon: 10, delta: 1e-5 });
 * await ledger.spend('acme', [gaussianEvent({ sigma: 2 })], { purpose: 'cohort statistics' });
 */
export {
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from './audit/merkle.js';
export {
  type Account,
  type AccountStatus,
  Ledger,
  type SpendReceipt,
} from './budget/ledger.js';
export { DEFAULT_LEDGER_URL, type LedgerDatabase, openLedgerDatabase } from './store/database.js';
export type { LedgerSchema } from './store/schema.js';
