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
}

export interface LedgerSchema {
  readonly accounts: AccountTable;
  readonly spends: SpendTable;
}
