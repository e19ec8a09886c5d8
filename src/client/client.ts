/**
 * The client of the Veil service: one method per route of the HTTP API (the table {@link ROUTES_COVERED}, which a
 * test compares with the service's route registry), iterators that walk the paged routes, and a job's wait with
 * its progress (server-sent events, or polling).
 */
import type { runReport } from '../jobs/index.js';
import { VeilApiError } from './errors.js';
import { createTransport, type RequestOptions, type TransportOptions } from './http.js';
import {
  type Account,
  type AccountInput,
  type AccountPage,
  type AccountPageQuery,
  type AccountStatuses,
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
  type CreatedApiKey,
  type CreatedWebhook,
  type Dataset,
  type DatasetInput,
  FINAL_JOB_STATES,
  type Forecast,
  type ForecastInput,
  type Job,
  type JobFile,
  type JobKind,
  type JobListQuery,
  type JobProgress,
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
  type SpendInput,
  type SpendRecord,
  type SpendResult,
  type UploadedData,
  type Webhook,
  type WebhookInput,
} from './models.js';
import { readEvents } from './sse.js';

export type ClientOptions = TransportOptions;

/** A compliance report as JSON (`veil report`'s object). */
export type ComplianceReport = Awaited<ReturnType<typeof runReport>>;

/** Options of every call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** How {@link VeilClient.waitForJob} follows a job. */
export interface WaitOptions extends CallOptions {
  /** Each progress event as it comes, oldest first, each once. */
  readonly onEvent?: (event: JobProgress) => void;
  /** `stream`: server-sent events (default); `poll`: `GET /v1/jobs/:id/events` and `GET /v1/jobs/:id`. */
  readonly mode?: 'stream' | 'poll';
  /** Between polls, and before a dropped stream is reopened, ms (default 1000). */
  readonly intervalMs?: number;
  /** Events after this sequence number only (default 0: all). */
  readonly after?: number;
}

/** Page size of the iterators. */
export interface PagingOptions extends CallOptions {
  /** Items per request (1 – 1,000). */
  readonly pageSize?: number;
}

export interface VeilClient {
  /** The service's URL, without a trailing slash. */
  readonly baseUrl: string;
  // identity
  me(o?: CallOptions): Promise<Me>;
  organisation(o?: CallOptions): Promise<Organisation>;
  listPrincipals(o?: CallOptions): Promise<Principal[]>;
  createPrincipal(input: PrincipalInput, o?: CallOptions): Promise<Principal>;
  getPrincipal(id: string, o?: CallOptions): Promise<Principal>;
  disablePrincipal(id: string, o?: CallOptions): Promise<Principal>;
  listKeys(o?: CallOptions): Promise<ApiKey[]>;
  createKey(input: ApiKeyInput, o?: CallOptions): Promise<CreatedApiKey>;
  revokeKey(id: string, o?: CallOptions): Promise<ApiKey>;
  // budgets
  listAccounts(o?: CallOptions): Promise<Account[]>;
  /**
   * The `limit` accounts nearest the organisation's root (by depth, then path) with their status, and how many
   * accounts there are: one request for a dashboard's overview (`GET /v1/accounts?status=true&limit=N`).
   */
  accountStatuses(query?: { readonly limit?: number } & CallOptions): Promise<AccountStatuses>;
  createAccount(input: AccountInput, o?: CallOptions): Promise<Account>;
  /** One page of an account's status and its subtree's spends (`next`: the `after` of the next page). */
  getAccount(path: string, query?: AccountPageQuery & CallOptions): Promise<AccountPage>;
  /** Every spend of an account's subtree, oldest first, page after page. */
  allSpends(path: string, o?: PagingOptions & { after?: number }): AsyncGenerator<SpendRecord>;
  /** Spends budget on a release made outside Veil. Sent once: never retried. */
  spend(input: SpendInput, o?: CallOptions): Promise<SpendResult>;
  forecast(input: ForecastInput, o?: CallOptions): Promise<Forecast>;
  allocate(input: AllocateInput, o?: CallOptions): Promise<Allocation>;
  // datasets
  listDatasets(o?: CallOptions): Promise<Dataset[]>;
  /** Uploads a dataset's CSV (up to 64 MiB). */
  uploadDataset(name: string, csv: Uint8Array | string, o?: CallOptions): Promise<UploadedData>;
  registerDataset(input: DatasetInput, o?: CallOptions): Promise<Dataset>;
  // audit
  /** One page of the organisation's audit entries, from sequence number `from`. */
  auditEntries(query?: AuditPageQuery & CallOptions): Promise<AuditPage>;
  /** Every audit entry of the organisation from `from` on, oldest first, page after page. */
  allAuditEntries(o?: PagingOptions & { from?: number }): AsyncGenerator<AuditEntry>;
  auditEntry(seq: number, o?: CallOptions): Promise<AuditEntryWithProof>;
  verifyAudit(o?: CallOptions): Promise<AuditVerification>;
  exportAudit(o?: CallOptions): Promise<AuditExport>;
  // reports
  report(regulation: Regulation, o?: CallOptions & { format?: 'json' }): Promise<ComplianceReport>;
  report(regulation: Regulation, o: CallOptions & { format: 'html' | 'pdf' }): Promise<Uint8Array>;
  // privacy calculators
  privacyEpsilon(input: PrivacyEpsilonInput, o?: CallOptions): Promise<PrivacyEpsilonResult>;
  privacyCalibrate(input: PrivacyCalibrateInput, o?: CallOptions): Promise<PrivacyCalibrateResult>;
  privacyMaxSteps(input: PrivacyMaxStepsInput, o?: CallOptions): Promise<PrivacyMaxStepsResult>;
  // jobs
  /** Submits a job: its budget is reserved now (409 `budget_exceeded` otherwise). Sent once: never retried. */
  submitJob<K extends JobKind>(submission: JobSubmission<K>, o?: CallOptions): Promise<Job>;
  listJobs(query?: JobListQuery & CallOptions): Promise<Job[]>;
  getJob(id: string, o?: CallOptions): Promise<Job>;
  cancelJob(id: string, o?: CallOptions): Promise<Job>;
  /** The job's stored progress events after `after` (JSON; at most 500 a call). */
  jobEvents(id: string, o?: CallOptions & { after?: number }): Promise<JobProgress[]>;
  /** Waits for the job's final state, passing each progress event to `onEvent`; resolves with the job. */
  waitForJob(id: string, o?: WaitOptions): Promise<Job>;
  /** A file the job wrote (its model), with its SHA-256 fingerprint. */
  jobFile(id: string, name: string, o?: CallOptions): Promise<JobFile>;
  // operations and alerts
  /** Prometheus text (`metrics.read`). */
  metrics(o?: CallOptions): Promise<string>;
  listWebhooks(o?: CallOptions): Promise<Webhook[]>;
  createWebhook(input: WebhookInput, o?: CallOptions): Promise<CreatedWebhook>;
  disableWebhook(id: string, o?: CallOptions): Promise<Webhook>;
}

/**
 * Each route of the API and the client's method for it (`'METHOD /path'` as the service registers it).
 * Left out: `/healthz`, `/readyz`, `/openapi.json` and `/docs` — unauthenticated probes and the API description,
 * for operators and tools rather than programs.
 */
export const ROUTES_COVERED: Readonly<Record<string, keyof VeilClient>> = Object.freeze({
  'GET /v1/me': 'me',
  'GET /v1/org': 'organisation',
  'GET /v1/principals': 'listPrincipals',
  'POST /v1/principals': 'createPrincipal',
  'GET /v1/principals/:id': 'getPrincipal',
  'POST /v1/principals/:id/disable': 'disablePrincipal',
  'GET /v1/keys': 'listKeys',
  'POST /v1/keys': 'createKey',
  'POST /v1/keys/:id/revoke': 'revokeKey',
  'GET /v1/accounts': 'listAccounts',
  'POST /v1/accounts': 'createAccount',
  'GET /v1/accounts/*': 'getAccount',
  'POST /v1/spends': 'spend',
  'POST /v1/forecast': 'forecast',
  'POST /v1/allocate': 'allocate',
  'GET /v1/datasets': 'listDatasets',
  'PUT /v1/datasets/:name/data': 'uploadDataset',
  'POST /v1/datasets': 'registerDataset',
  'GET /v1/audit/entries': 'auditEntries',
  'GET /v1/audit/entries/:seq': 'auditEntry',
  'GET /v1/audit/verify': 'verifyAudit',
  'GET /v1/audit/export': 'exportAudit',
  'GET /v1/reports/:regulation': 'report',
  'POST /v1/privacy/epsilon': 'privacyEpsilon',
  'POST /v1/privacy/calibrate': 'privacyCalibrate',
  'POST /v1/privacy/max-steps': 'privacyMaxSteps',
  'POST /v1/jobs': 'submitJob',
  'GET /v1/jobs': 'listJobs',
  'GET /v1/jobs/:id': 'getJob',
  'POST /v1/jobs/:id/cancel': 'cancelJob',
  'GET /v1/jobs/:id/events': 'waitForJob',
  'GET /v1/jobs/:id/files/:name': 'jobFile',
  'GET /metrics': 'metrics',
  'GET /v1/webhooks': 'listWebhooks',
  'POST /v1/webhooks': 'createWebhook',
  'POST /v1/webhooks/:id/disable': 'disableWebhook',
});

const seg = (s: string | number) => encodeURIComponent(String(s));

function signalOf(o: CallOptions | undefined): { signal?: AbortSignal } {
  return o?.signal === undefined ? {} : { signal: o.signal };
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * A client of the Veil service at `options.baseUrl`, authenticated with `options.credential`.
 * @throws {TypeError} for a URL that is not http(s) or an empty credential
 * @example
 * const veil = createClient({ baseUrl: 'http://127.0.0.1:8080', credential: process.env.VEIL_KEY! });
 * const job = await veil.submitJob({ kind: 'train', spec });
 * const done = await veil.waitForJob(job.id, { onEvent: (e) => console.log(e.event.kind) });
 */
export function createClient(options: ClientOptions): VeilClient {
  const http = createTransport(options);

  async function json<T>(method: string, path: string, r: RequestOptions): Promise<T> {
    const { response, text } = await http.send(method, path, r);
    try {
      return (text === '' ? null : JSON.parse(text)) as T;
    } catch (err) {
      throw new VeilApiError({
        status: response.status,
        code: 'bad_response',
        message: 'the answer is not JSON',
        method,
        path,
        requestId: response.headers.get('x-request-id'),
        cause: err,
      });
    }
  }
  const get = <T>(path: string, o?: CallOptions, query?: RequestOptions['query']) =>
    json<T>('GET', path, { idempotent: true, ...signalOf(o), ...(query ? { query } : {}) });
  /** A POST that changes something: sent once. */
  const post = <T>(path: string, body: unknown, o?: CallOptions) =>
    json<T>('POST', path, { idempotent: false, body, ...signalOf(o) });
  /** A POST that only computes (nothing stored): safe to repeat. */
  const compute = <T>(path: string, body: unknown, o?: CallOptions) =>
    json<T>('POST', path, { idempotent: true, body, ...signalOf(o) });

  async function bytes(path: string, o: CallOptions | undefined, query?: RequestOptions['query']) {
    const { response } = await http.send('GET', path, {
      idempotent: true,
      accept: '*/*',
      stream: true,
      ...signalOf(o),
      ...(query ? { query } : {}),
    });
    return { response, body: new Uint8Array(await response.arrayBuffer()) };
  }

  const accountPath = (path: string) => path.split('/').map(seg).join('/');

  const client: VeilClient = {
    baseUrl: http.baseUrl,
    me: (o) => get('/v1/me', o),
    organisation: (o) => get('/v1/org', o),
    listPrincipals: async (o) => (await get<{ principals: Principal[] }>('/v1/principals', o)).principals,
    createPrincipal: (input, o) => post('/v1/principals', input, o),
    getPrincipal: (id, o) => get(`/v1/principals/${seg(id)}`, o),
    disablePrincipal: (id, o) => post(`/v1/principals/${seg(id)}/disable`, undefined, o),
    listKeys: async (o) => (await get<{ keys: ApiKey[] }>('/v1/keys', o)).keys,
    createKey: (input, o) => post('/v1/keys', input, o),
    revokeKey: (id, o) => post(`/v1/keys/${seg(id)}/revoke`, undefined, o),

    listAccounts: async (o) => (await get<{ accounts: Account[] }>('/v1/accounts', o)).accounts,
    accountStatuses: (q) => get('/v1/accounts', q, { status: 'true', limit: q?.limit }),
    createAccount: (input, o) => post('/v1/accounts', input, o),
    getAccount: (path, q) =>
      get(`/v1/accounts/${accountPath(path)}`, q, { after: q?.after, limit: q?.limit }),
    async *allSpends(path, o) {
      let after = o?.after;
      for (;;) {
        const page = await client.getAccount(path, {
          ...signalOf(o),
          ...(after === undefined ? {} : { after }),
          ...(o?.pageSize === undefined ? {} : { limit: o.pageSize }),
        });
        yield* page.spends;
        if (page.next === null) return;
        after = page.next;
      }
    },
    spend: (input, o) => post('/v1/spends', input, o),
    forecast: (input, o) => compute('/v1/forecast', input, o),
    allocate: (input, o) => compute('/v1/allocate', input, o),

    listDatasets: async (o) => (await get<{ datasets: Dataset[] }>('/v1/datasets', o)).datasets,
    // the upload replaces the file with the same bytes: safe to repeat
    uploadDataset: (name, csv, o) =>
      json('PUT', `/v1/datasets/${seg(name)}/data`, {
        idempotent: true,
        body: typeof csv === 'string' ? new TextEncoder().encode(csv) : csv,
        ...signalOf(o),
      }),
    registerDataset: (input, o) => post('/v1/datasets', input, o),

    auditEntries: (q) =>
      get('/v1/audit/entries', q, {
        from: q?.from,
        before: q?.before,
        limit: q?.limit,
        order: q?.order,
        action: q?.action,
        outcome: q?.outcome,
        account: q?.account,
        dataset: q?.dataset,
      }),
    async *allAuditEntries(o) {
      let from = o?.from ?? 0;
      const limit = o?.pageSize ?? 100;
      for (;;) {
        const page = await client.auditEntries({ ...signalOf(o), from, limit });
        yield* page.entries;
        const last = page.entries.at(-1);
        // a short page is the last: the service fills a page with the organisation's entries from `from` on
        if (last === undefined || page.entries.length < limit) return;
        from = last.seq + 1;
      }
    },
    auditEntry: (seq, o) => get(`/v1/audit/entries/${seg(seq)}`, o),
    verifyAudit: (o) => get('/v1/audit/verify', o),
    exportAudit: (o) => get('/v1/audit/export', o),

    report: (async (regulation: Regulation, o?: CallOptions & { format?: 'json' | 'html' | 'pdf' }) => {
      const format = o?.format ?? 'json';
      if (format === 'json') return get(`/v1/reports/${seg(regulation)}`, o, { format });
      return (await bytes(`/v1/reports/${seg(regulation)}`, o, { format })).body;
    }) as VeilClient['report'],

    privacyEpsilon: (input, o) => compute('/v1/privacy/epsilon', input, o),
    privacyCalibrate: (input, o) => compute('/v1/privacy/calibrate', input, o),
    privacyMaxSteps: (input, o) => compute('/v1/privacy/max-steps', input, o),

    submitJob: (submission, o) => post('/v1/jobs', submission, o),
    listJobs: async (q) =>
      (await get<{ jobs: Job[] }>('/v1/jobs', q, { state: q?.state, limit: q?.limit })).jobs,
    getJob: (id, o) => get(`/v1/jobs/${seg(id)}`, o),
    cancelJob: (id, o) => post(`/v1/jobs/${seg(id)}/cancel`, undefined, o),
    jobEvents: async (id, o) =>
      (await get<{ events: JobProgress[] }>(`/v1/jobs/${seg(id)}/events`, o, { after: o?.after })).events,
    async waitForJob(id, o = {}) {
      const interval = o.intervalMs ?? 1000;
      let after = o.after ?? 0;
      const emit = (e: JobProgress) => {
        after = e.seq;
        o.onEvent?.(e);
      };
      if (o.mode === 'poll') {
        for (;;) {
          const events = await client.jobEvents(id, { ...signalOf(o), after });
          for (const e of events) emit(e);
          if (events.length > 0) continue;
          const job = await client.getJob(id, o);
          if (FINAL_JOB_STATES.includes(job.state)) {
            // events written between the last read and the final state
            for (const e of await client.jobEvents(id, { ...signalOf(o), after })) emit(e);
            return job;
          }
          await wait(interval, o.signal);
        }
      }
      for (;;) {
        const { response } = await http.send('GET', `/v1/jobs/${seg(id)}/events`, {
          idempotent: true,
          accept: 'text/event-stream',
          stream: true,
          query: { after },
          ...signalOf(o),
        });
        let ended = false;
        if (response.body) {
          for await (const sse of readEvents(response.body)) {
            if (sse.event === 'end') {
              ended = true;
              break;
            }
            const { at, ...event } = JSON.parse(sse.data) as { at: string } & JobProgress['event'];
            emit({ seq: Number(sse.id), at, event: event as JobProgress['event'] });
          }
        }
        if (ended) {
          await response.body?.cancel().catch(() => {});
          return client.getJob(id, o);
        }
        // the stream dropped before the job ended: reopen it after the last event seen
        await wait(interval, o.signal);
      }
    },
    async jobFile(id, name, o) {
      const { response, body } = await bytes(`/v1/jobs/${seg(id)}/files/${seg(name)}`, o);
      return { bytes: body, fingerprint: response.headers.get('veil-fingerprint') };
    },

    metrics: async (o) => {
      const { text } = await http.send('GET', '/metrics', {
        idempotent: true,
        accept: 'text/plain',
        ...signalOf(o),
      });
      return text;
    },
    listWebhooks: async (o) => (await get<{ webhooks: Webhook[] }>('/v1/webhooks', o)).webhooks,
    createWebhook: (input, o) => post('/v1/webhooks', input, o),
    disableWebhook: (id, o) => post(`/v1/webhooks/${seg(id)}/disable`, undefined, o),
  };
  return client;
}
