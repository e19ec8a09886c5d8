/**
 * The service's own tables, beside the ledger's in the same database (migrations.ts creates them): organisations,
 * principals and their API keys, sealed service secrets, and the jobs the service runs with their events.
 * Timestamps are ISO-8601 text, as in the ledger; JSON columns are text.
 */

export interface OrganisationTable {
  /** Lower-case letters, digits and '-': also the root of the organisation's budget accounts. */
  readonly name: string;
  readonly created_at: string;
  readonly created_by: string;
}

export interface PrincipalTable {
  /** `p_` and 20 hex digits. */
  readonly id: string;
  readonly org: string;
  /** Unique within the organisation; the audit log names the principal `org/name`. */
  readonly name: string;
  /** admin | data-steward | analyst | auditor */
  readonly role: string;
  /** For a principal that signs in with OIDC: the issuer and subject its tokens must carry; null otherwise. */
  readonly oidc_issuer: string | null;
  readonly oidc_subject: string | null;
  readonly created_at: string;
  disabled_at: string | null;
}

export interface ApiKeyTable {
  /** The key's public id (the part of the key before its secret), 16 hex digits. */
  readonly id: string;
  readonly org: string;
  readonly principal_id: string;
  /** HMAC-SHA256 of the key's secret under the service's pepper (hex): the key itself is never stored. */
  readonly hash: string;
  /** The permissions the key is limited to (JSON array), or null for all of its principal's role. */
  readonly scopes: string | null;
  readonly label: string;
  readonly expires_at: string | null;
  revoked_at: string | null;
  readonly created_at: string;
  readonly created_by: string;
}

export interface ServiceSecretTable {
  readonly name: string;
  /** The secret sealed with the key-encryption key (`kek1.…`), or `plain.` + base64 when no KEK is configured. */
  sealed: string;
  readonly created_at: string;
}

export interface ServiceJobTable {
  /** `j_` and 20 hex digits. */
  readonly id: string;
  readonly org: string;
  readonly principal_id: string;
  /** The principal's audit name, `org/name`. */
  readonly actor: string;
  readonly kind: string;
  /** The job's spec as the jobs layer parses it (JSON), with the service's paths resolved. */
  readonly spec: string;
  /** queued | running | succeeded | failed | cancelled */
  state: string;
  readonly priority: number;
  attempts: number;
  readonly max_attempts: number;
  readonly timeout_seconds: number;
  /** The spend reserved at submission (null: the job spends nothing). */
  readonly spend_id: number | null;
  readonly spend_account: string | null;
  /** The reserved charge (account, events, purpose, dataset), JSON: what the run must ask for to use it. */
  readonly charge: string | null;
  /** reserved | consumed | refunded | null (no spend) */
  reservation: string | null;
  /** Who holds the job now (a worker's id) and until when (ISO); null when not running. */
  lease_owner: string | null;
  lease_until: string | null;
  cancel_requested: number;
  /** The job's result (JSON) once succeeded; its error `{code, message}` (JSON) once failed. */
  result: string | null;
  error: string | null;
  readonly created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobEventTable {
  readonly job_id: string;
  readonly seq: number;
  readonly at: string;
  /** One JobEvent (jobs layer), JSON: never a secret or a record. */
  readonly event: string;
}

export interface WebhookTable {
  /** `w_` and 20 hex digits. */
  readonly id: string;
  readonly org: string;
  readonly url: string;
  /** The HMAC secret, sealed like every service secret (secrets.ts), purpose `webhook:<id>`. */
  readonly secret: string;
  /** The alert kinds sent (JSON array). */
  readonly kinds: string;
  /** budget.threshold fires when an account's spent epsilon reaches this fraction of its limit. */
  readonly threshold: number;
  readonly created_at: string;
  readonly created_by: string;
  disabled_at: string | null;
}

export interface AlertTable {
  readonly webhook_id: string;
  /** What the alert is about, unique per webhook: `job.failed:<job>`, `budget.threshold:<account>`. */
  readonly key: string;
  readonly kind: string;
  /** The alert as sent (JSON). */
  readonly body: string;
  readonly at: string;
  delivered: number;
  attempts: number;
  last_error: string | null;
}

export interface ServiceSchema {
  readonly webhooks: WebhookTable;
  readonly alerts: AlertTable;
  readonly organisations: OrganisationTable;
  readonly principals: PrincipalTable;
  readonly api_keys: ApiKeyTable;
  readonly service_secrets: ServiceSecretTable;
  readonly service_jobs: ServiceJobTable;
  readonly job_events: JobEventTable;
}
