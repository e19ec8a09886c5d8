/** The ledger's tables, as Kysely sees them (the migrations in migrations.ts create them). */
import type { Generated } from 'kysely';

export interface AccountTable {
  /** The account's path: segments joined by '/', e.g. 'acme/cardiology/ecg-2025/job-7'. */
  readonly path: string;
  /** The parent's path; null for a root (an organisation). */
  readonly parent: string | null;
  readonly epsilon_limit: number;
  readonly delta_limit: number;
  /** rdp | pld | zcdp: how the account's spends are composed. */
  readonly accountant: string;
  readonly created_at: string;
}

export interface SpendTable {
  readonly id: Generated<number>;
  readonly account: string;
  /** The privacy events of the spend, JSON (accounting's PrivacyEventSchema). */
  readonly events: string;
  readonly purpose: string;
  /** granted | refunded (refunds only for events that never ran). */
  status: string;
  readonly created_at: string;
  refunded_at: string | null;
  refund_reason: string | null;
  /** The dataset the events were spent on (a registered dataset's name), when given. */
  readonly dataset: string | null;
  readonly actor: string | null;
}

export interface AuditEntryTable {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly account: string | null;
  /** The dataset's name and fingerprint ("name@sha256:…"), never its records. */
  readonly dataset: string | null;
  readonly purpose: string | null;
  /** Privacy events, JSON. */
  readonly events: string | null;
  readonly outcome: string;
  /** Further facts, JSON (never secrets or raw records). */
  readonly detail: string;
  readonly leaf_hash: string;
  readonly chain_hash: string;
}

export interface AuditHeadTable {
  readonly size: number;
  readonly root: string;
  readonly chain_hash: string;
  readonly frontier: string;
  readonly at: string;
  readonly key_id: string;
  readonly signature: string;
}

export interface AuditKeyTable {
  readonly key_id: string;
  readonly public_key: string;
  readonly created_at: string;
}

export interface DatasetTable {
  readonly name: string;
  readonly fingerprint: string;
  readonly purposes: string;
  readonly retain_until: string | null;
  readonly constraints: string;
  readonly description: string;
  readonly registered_at: string;
  readonly registered_by: string;
}

export interface EventTotalTable {
  readonly account: string;
  /** SHA-256 (hex) of `event`. */
  readonly event_key: string;
  /** One unit privacy event, JSON. */
  readonly event: string;
  /** How many times it ran in the account's subtree (bigint: PostgreSQL returns it as a string). */
  readonly count: number | string;
}

export interface SubtreeSpendsTable {
  readonly account: string;
  /** Granted spends in the account's subtree. */
  readonly spends: number | string;
}

export interface BudgetDigestTable {
  readonly account: string;
  /** Hex SHA-256 of what a spend reads of the account: its row and its subtree's totals (budget/state.ts). */
  readonly digest: string;
}

export interface LedgerSchema {
  readonly accounts: AccountTable;
  readonly spends: SpendTable;
  readonly audit_entries: AuditEntryTable;
  readonly audit_heads: AuditHeadTable;
  readonly audit_keys: AuditKeyTable;
  readonly datasets: DatasetTable;
  readonly event_totals: EventTotalTable;
  readonly subtree_spends: SubtreeSpendsTable;
  readonly budget_digests: BudgetDigestTable;
}
