/**
 * What the ledger's operations (hierarchy.ts, spends.ts, consent/registry.ts, audit/lineage.ts) see of a
 * `Ledger`: the database for reads, the clock, who acts, and the one write path, {@link LedgerContext.write},
 * which the Ledger owns (the serialised transaction, the audit appends inside it, the witness after it).
 */
import type { Kysely } from 'kysely';
import type { AuditRecord } from '../audit/format.js';
import type { LedgerSchema } from '../store/schema.js';

/** Appends an audit entry inside the write transaction: it commits with the change it records, or neither does. */
export type Log = (record: Omit<AuditRecord, 'actor'>) => Promise<void>;

/** A ledger as its operations use it (one per `Ledger`). */
export interface LedgerContext {
  /** The database, for reads outside a write transaction. */
  readonly db: Kysely<LedgerSchema>;
  /** The clock (tests set it). */
  readonly now: () => Date;
  /** Who acts, as the audit log records it. */
  readonly actor: string;
  /**
   * Runs `body` as one serialised write transaction (writers across processes take turns); `log` appends audit
   * entries inside it. Check-and-write is atomic: whatever `body` reads, it reads under the write lock.
   */
  write<T>(body: (trx: Kysely<LedgerSchema>, log: Log) => Promise<T>): Promise<T>;
}
