/**
 * What the ledger's operations (hierarchy.ts, spends.ts, consent/registry.ts, audit/lineage.ts) see of a
 * `Ledger`: the database for reads, the clock, who acts, and the one write path, {@link LedgerContext.write},
 * which the Ledger owns (the serialised transaction, the audit appends inside it, the witness after it).
 */
import type { Kysely } from 'kysely';
import type { AuditRecord, SignedTreeHead } from '../audit/format.js';
import type { LedgerSchema } from '../store/schema.js';

/** Appends an audit entry inside the write transaction: it commits with the change it records, or neither does. */
export type Log = (record: Omit<AuditRecord, 'actor'>) => Promise<void>;

/**
 * A caller's own writes, to its own tables in the ledger's database (the HTTP service's job rows, API keys),
 * run inside the ledger's write transaction after the ledger's change: both commit or neither does. The
 * transaction is typed loosely: those tables are not the ledger's.
 */
// biome-ignore lint/suspicious/noExplicitAny: the caller's tables are not in LedgerSchema
export type Alongside = (trx: Kysely<any>, facts: AlongsideFacts) => Promise<void>;

/** What the ledger's change created, for the caller's rows that refer to it. */
export interface AlongsideFacts {
  /** The spend just granted (a spend's `alongside` only). */
  readonly spendId?: number;
}

/** A ledger as its operations use it (one per `Ledger`). */
export interface LedgerContext {
  /** The database, for reads outside a write transaction. */
  readonly db: Kysely<LedgerSchema>;
  /** The clock (tests set it). */
  readonly now: () => Date;
  /** Who acts, as the audit log records it. */
  readonly actor: string;
  /**
   * The budget state this process last signed (state.ts): a write whose newest budget entry carries this digest
   * uses these digests instead of reading `budget_digests` (they hash to the signed digest, so they are as good).
   */
  readonly budgetCache: {
    current: { readonly digest: string; readonly digests: ReadonlyMap<string, string> } | null;
  };
  /**
   * Runs `body` as one serialised write transaction (writers across processes take turns); `log` appends audit
   * entries inside it. Check-and-write is atomic: whatever `body` reads, it reads under the write lock. `head` is the
   * newest signed tree head, already checked (its signature, frontier, the log's end, the witness) before `body`
   * runs; null for an empty log.
   */
  write<T>(
    body: (trx: Kysely<LedgerSchema>, log: Log, head: SignedTreeHead | null) => Promise<T>,
  ): Promise<T>;
}
