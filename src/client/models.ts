/**
 * The request and answer shapes of the Veil service's HTTP API. Request bodies are the inputs of the jobs layer's
 * zod schemas (the schemas the service validates with: `z.input<typeof Schema>`), answers the jobs layer's result
 * types; what only the service has (principals, keys, jobs, webhooks) is written out here as the service sends
 * it. Every import is type-only: nothing of the jobs layer, zod or the server is loaded at run time.
 */

import type { z } from 'zod';
import type {
  AuditShowResult,
  BudgetAllocateSpecSchema,
  BudgetCreateSpecSchema,
  BudgetForecastSpecSchema,
  BudgetSpendSpecSchema,
  CoordinatorFileSchema,
  CoordinatorLedgerSchema,
  InclusionProof,
  JobEvent,
  PrivacyCalibrateSpecSchema,
  PrivacyEpsilonSpecSchema,
  PrivacyMaxStepsSpecSchema,
  runBudgetAllocate,
  runBudgetCreate,
  runBudgetForecast,
  runBudgetShow,
  runBudgetSpend,
  runDatasetRegister,
  runPrivacyCalibrate,
  runPrivacyEpsilon,
  runPrivacyMaxSteps,
  SimulateLedgerSchema,
  SimulateOptionsSchema,
  SpendRecord,
  SynthSpecSchema,
  TrainSpecSchema,
} from '../jobs/index.js';

// ---- identity ----

/** The service's roles (docs/server.md, "Roles and permissions"). */
export type Role = 'admin' | 'data-steward' | 'analyst' | 'auditor';

/** `GET /v1/me`: the caller. */
export interface Me {
  readonly org: string;
  readonly principalId: string;
  readonly name: string;
  readonly role: Role;
  readonly via: 'api-key' | 'oidc';
  /** The key's permissions when it is limited to some; null for all of the role's. */
  readonly scopes: readonly string[] | null;
  /** What this credential may do: the role's permissions, narrowed to the key's scopes. */
  readonly permissions: readonly string[];
}

/** `GET /v1/org`. */
export interface Organisation {
  readonly name: string;
  readonly createdAt: string;
}

export interface Principal {
  readonly id: string;
  readonly org: string;
  readonly name: string;
  readonly role: Role;
  readonly oidc: { readonly issuer: string; readonly subject: string } | null;
  readonly createdAt: string;
  readonly disabledAt: string | null;
}

/** `POST /v1/principals`. */
export interface PrincipalInput {
  readonly name: string;
  readonly role: Role;
  readonly oidc?: { readonly issuer: string; readonly subject: string };
}

/** An API key as listed: never the key itself. */
export interface ApiKey {
  readonly id: string;
  readonly principalId: string;
  readonly label: string;
  readonly scopes: readonly string[] | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** `POST /v1/keys`. */
export interface ApiKeyInput {
  readonly principalId: string;
  readonly label?: string;
  /** Permission names, only narrower than the principal's role. */
  readonly scopes?: readonly string[];
  /** ISO 8601 with an offset. */
  readonly expiresAt?: string;
}

/** `POST /v1/keys`' answer: the key (`veil_…`), shown this once. */
export interface CreatedApiKey {
  readonly apiKey: string;
  readonly key: ApiKey;
}

// ---- budgets ----

export type AccountInput = z.input<typeof BudgetCreateSpecSchema>;
export type Account = Awaited<ReturnType<typeof runBudgetCreate>>;
export type AccountStatus = Awaited<ReturnType<typeof runBudgetShow>>['status'];
export type { SpendRecord };
export type SpendInput = z.input<typeof BudgetSpendSpecSchema>;
export type SpendResult = Awaited<ReturnType<typeof runBudgetSpend>>;
export type ForecastInput = z.input<typeof BudgetForecastSpecSchema>;
export type Forecast = Awaited<ReturnType<typeof runBudgetForecast>>;
export type AllocateInput = z.input<typeof BudgetAllocateSpecSchema>;
export type Allocation = Awaited<ReturnType<typeof runBudgetAllocate>>;

/** `GET /v1/accounts/<path>`: one page of the subtree's spends, oldest first. */
export interface AccountPage {
  readonly status: AccountStatus;
  readonly spends: readonly SpendRecord[];
  /** The `after` of the next page, or null on the last. */
  readonly next: number | null;
}

/** Paging of `GET /v1/accounts/<path>`. */
/** Accounts nearest the root with their status (`GET /v1/accounts?status=true&limit=N`). */
export interface AccountStatuses {
  /** How many accounts the organisation has. */
  readonly total: number;
  /** Root first, then by depth and path; at most `limit`. */
  readonly statuses: readonly AccountStatus[];
}

export interface AccountPageQuery {
  /** Spends after this spend id. */
  readonly after?: number;
  /** 1 – 1,000 (the service's default 1,000). */
  readonly limit?: number;
}

// ---- datasets ----

/** `POST /v1/datasets`: consent terms of an uploaded dataset. */
export interface DatasetInput {
  readonly name: string;
  readonly purposes: readonly string[];
  /** YYYY-MM-DD. */
  readonly retainUntil?: string;
  readonly constraints?: readonly string[];
  readonly description?: string;
}

export type Dataset = Awaited<ReturnType<typeof runDatasetRegister>>;

/** `PUT /v1/datasets/:name/data`'s answer. */
export interface UploadedData {
  readonly name: string;
  readonly bytes: number;
  /** The file's SHA-256 fingerprint. */
  readonly fingerprint: string;
}

// ---- audit ----

type EntryResult = Extract<AuditShowResult, { kind: 'entry' }>;
type EntriesResult = Extract<AuditShowResult, { kind: 'entries' }>;
export type AuditEntry = NonNullable<EntryResult['entry']>;
export type SignedTreeHead = NonNullable<EntriesResult['head']>;
export type { InclusionProof };

/** `GET /v1/audit/entries`: a page of the organisation's entries, oldest first. */
export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly head: SignedTreeHead | null;
}

/** Paging of `GET /v1/audit/entries`: entries from sequence number `from`, at most `limit` (1 – 1,000). */
export interface AuditPageQuery {
  /** Entries from this sequence number on (default 0). */
  readonly from?: number;
  /** Entries before this sequence number only (to page back through a newest-first timeline). */
  readonly before?: number;
  /** 1 – 1,000 (default 100). */
  readonly limit?: number;
  /** `desc`: newest first (default `asc`). */
  readonly order?: 'asc' | 'desc';
  /** An action (`budget.spend`), or a prefix ending in '.' (`budget.`). */
  readonly action?: string;
  /** `granted`, `refused`, `failed`, … */
  readonly outcome?: string;
  /** An account of the organisation: entries about it and the accounts below it. */
  readonly account?: string;
  /** Entries naming this dataset. */
  readonly dataset?: string;
}

/** `GET /v1/audit/entries/:seq`. */
export interface AuditEntryWithProof {
  readonly entry: AuditEntry;
  readonly proof: InclusionProof;
  readonly head: SignedTreeHead | null;
}

/** `GET /v1/audit/verify`: the whole log's verification. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly size: number;
  readonly budget: { readonly ok: boolean };
  readonly problems: readonly unknown[];
}

/** `GET /v1/audit/export`. */
export interface AuditExport {
  readonly entries: readonly AuditEntry[];
  readonly head: SignedTreeHead | null;
  /** The log's public key (hex). */
  readonly publicKey: string;
}

// ---- reports, privacy calculators ----

export type Regulation = 'gdpr' | 'hipaa' | 'ccpa';

export type PrivacyEpsilonInput = z.input<typeof PrivacyEpsilonSpecSchema>;
export type PrivacyEpsilonResult = ReturnType<typeof runPrivacyEpsilon>;
export type PrivacyCalibrateInput = z.input<typeof PrivacyCalibrateSpecSchema>;
export type PrivacyCalibrateResult = ReturnType<typeof runPrivacyCalibrate>;
export type PrivacyMaxStepsInput = z.input<typeof PrivacyMaxStepsSpecSchema>;
export type PrivacyMaxStepsResult = ReturnType<typeof runPrivacyMaxSteps>;

// ---- jobs ----

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** The states a job ends in. */
export const FINAL_JOB_STATES: readonly JobState[] = Object.freeze(['succeeded', 'failed', 'cancelled']);

export type TrainJobSpec = z.input<typeof TrainSpecSchema>;
/**
 * A synthesis job's spec: `veil synth`'s, with `data` a file of the organisation and the domain inline; the outputs
 * are the service's (`out`, `save` and `force` are refused).
 */
export type SynthJobSpec = Omit<z.input<typeof SynthSpecSchema>, 'out' | 'save' | 'force' | 'domain'> & {
  /** Every column's domain: `{"age": 91, …}` or the richer form a domain file holds. */
  readonly domain: Readonly<Record<string, unknown>>;
};
export type SimulateJobSpec = z.input<typeof SimulateOptionsSchema> & {
  readonly ledger: z.input<typeof SimulateLedgerSchema>;
};
export type CoordinatorJobSpec = z.input<typeof CoordinatorFileSchema> & {
  readonly ledger: z.input<typeof CoordinatorLedgerSchema>;
};

/** What `POST /v1/jobs` takes, by kind. */
export type JobSpecOf = {
  readonly train: TrainJobSpec;
  readonly synth: SynthJobSpec;
  readonly simulate: SimulateJobSpec;
  readonly coordinator: CoordinatorJobSpec;
};
export type JobKind = keyof JobSpecOf;

/** `POST /v1/jobs`: a job of `kind` (its budget is reserved at submission). */
export interface JobSubmission<K extends JobKind = JobKind> {
  readonly kind: K;
  readonly spec: JobSpecOf[K];
  /** -100 – 100, higher first (default 0). */
  readonly priority?: number;
  /** 1 – 10 (default 3). */
  readonly maxAttempts?: number;
  /** Default 3600. */
  readonly timeoutSeconds?: number;
}

export interface Job {
  readonly id: string;
  readonly org: string;
  readonly kind: string;
  readonly state: JobState;
  readonly submittedBy: string;
  readonly priority: number;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly timeoutSeconds: number;
  readonly spend: { readonly id: number; readonly account: string; readonly reservation: string } | null;
  readonly cancelRequested: boolean;
  /** The job's result (a training job's summary and its files with their fingerprints), once it succeeded. */
  readonly result: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** `GET /v1/jobs` filters. */
export interface JobListQuery {
  readonly state?: JobState;
  /** 1 – 500 (default 50). */
  readonly limit?: number;
}

/** A job's progress event as stored: its sequence number, when, and the job's event (`kind`: `train-epoch`, …). */
export interface JobProgress {
  readonly seq: number;
  readonly at: string;
  readonly event: JobEvent;
}

/** A file a job wrote, with the fingerprint the service sent (`veil-fingerprint`). */
export interface JobFile {
  readonly bytes: Uint8Array;
  readonly fingerprint: string | null;
}

// ---- webhooks ----

export type AlertKind = 'budget.threshold' | 'job.failed';

export interface WebhookInput {
  readonly url: string;
  readonly kinds?: readonly AlertKind[];
  /** (0, 1], default 0.8. */
  readonly threshold?: number;
}

export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly kinds: readonly AlertKind[];
  readonly threshold: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly disabledAt: string | null;
}

/** `POST /v1/webhooks`' answer: the HMAC secret (base64), shown this once. */
export interface CreatedWebhook {
  readonly webhook: Webhook;
  readonly secret: string;
}
