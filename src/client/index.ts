/**
 * @module veil/client
 *
 * The TypeScript SDK of the Veil service (`veil serve`, docs/server.md): a thin, typed client of its HTTP API
 * over the platform's `fetch`. One method per route; request bodies typed by the jobs layer's zod schemas (the
 * service validates with the same ones; the types only, nothing of the server or the jobs layer is loaded);
 * refusals as {@link VeilApiError} with the service's stable `code`, HTTP `status` and `requestId`; retries with
 * exponential backoff and jitter for the calls that are safe to repeat (reads, uploads, the calculators; never a
 * spend or a submission), honouring `Retry-After`; iterators over the paged routes; a job's wait with its progress.
 * Not here: the service itself (`veil/server`), local jobs (`veil/jobs`).
 *
 * @example
 * import { createClient, isVeilApiError } from 'veil/client';
 * const veil = createClient({ baseUrl: 'http://127.0.0.1:8080', credential: process.env.VEIL_KEY! });
 * const job = await veil.submitJob({ kind: 'train', spec: { data: { kind: 'csv', path: 'adult.csv',
 *   label: 'income>50K' }, privacy: { epsilon: 2, publicSize: 30000 }, ledger: { account: 'acme/ml',
 *   dataset: 'adult', purpose: 'research' } } });
 * const done = await veil.waitForJob(job.id, { onEvent: (e) => console.error(e.event.kind) });
 * for await (const entry of veil.allAuditEntries()) console.log(entry.seq, entry.action);
 */

export {
  type CallOptions,
  type ClientOptions,
  type ComplianceReport,
  createClient,
  type PagingOptions,
  ROUTES_COVERED,
  type VeilClient,
  type WaitOptions,
} from './client.js';
export { CLIENT_ERROR_CODES, isVeilApiError, VeilApiError, type VeilApiErrorInit } from './errors.js';
export { type RetryOptions, retryAfterMs, type TransportOptions } from './http.js';
export {
  type Account,
  type AccountInput,
  type AccountPage,
  type AccountPageQuery,
  type AccountStatus,
  type AccountStatuses,
  type AlertKind,
  type AllocateInput,
  type Allocation,
  type ApiKey,
  type ApiKeyInput,
  type AuditEntry,
  type AuditEntryWithProof,
  type AuditExport,
  type AuditPage,
  type AuditPageQuery,
  type AuditVerification,
  type CoordinatorJobSpec,
  type CreatedApiKey,
  type CreatedWebhook,
  type Dataset,
  type DatasetInput,
  FINAL_JOB_STATES,
  type Forecast,
  type ForecastInput,
  type InclusionProof,
  type Job,
  type JobFile,
  type JobKind,
  type JobListQuery,
  type JobProgress,
  type JobSpecOf,
  type JobState,
  type JobSubmission,
  type Me,
  type Organisation,
  type Principal,
  type PrincipalInput,
  type PrivacyCalibrateInput,
  type PrivacyCalibrateResult,
  type PrivacyEpsilonInput,
  type PrivacyEpsilonResult,
  type PrivacyMaxStepsInput,
  type PrivacyMaxStepsResult,
  type Regulation,
  type Role,
  type SignedTreeHead,
  type SimulateJobSpec,
  type SpendInput,
  type SpendRecord,
  type SpendResult,
  type SynthJobSpec,
  type TrainJobSpec,
  type UploadedData,
  type Webhook,
  type WebhookInput,
} from './models.js';
