/**
 * Prometheus metrics of the HTTP service: request counts and latencies (by method, route pattern and status),
 * jobs by state, privacy budget used and allowed per account, the audit log's size, and Node's default process
 * metrics. Each service gets its own prom-client `Registry` (never the global default one), so two servers in
 * one process, as in tests, keep separate counts.
 *
 * Gauges that mirror the service's state (jobs, budgets, audit log) are read from {@link ServiceMetricsSources}
 * at scrape time, not pushed: a scrape shows the state as it is. A source that fails is counted in
 * `veil_metrics_source_errors_total{source}` and its gauges are left out of that scrape; the scrape itself
 * never fails because of it.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { assertInteger, assertNonNegative, InvalidParameterError } from '../../core/index.js';

/** Where the state gauges come from; each is called once per scrape. */
export interface ServiceMetricsSources {
  /**
   * Number of jobs in each state, e.g. `{ queued: 2, running: 1 }`. `scope` (given to `render`) narrows the
   * state gauges to what the scraper may see: the HTTP service passes the caller's organisation.
   */
  jobsByState(scope?: string): Promise<Record<string, number>>;
  /** Epsilon spent and allowed for each budget account. */
  budgetUsed(
    scope?: string,
  ): Promise<readonly { account: string; epsilonUsed: number; epsilonLimit: number }[]>;
  /** Number of entries in the audit log. */
  auditLogSize(): Promise<number>;
}

/** The metrics of one service; see {@link createServiceMetrics}. */
export interface ServiceMetrics {
  /** This service's own registry (not prom-client's global one). */
  readonly registry: Registry;
  /** Records one HTTP response: method, route pattern (never the raw URL), status, seconds. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /**
   * Text exposition format (content type in `contentType`). Sources are read at scrape time; a failing source
   * is reported as veil_metrics_source_errors_total{source} and omitted, never a failed scrape.
   */
  render(scope?: string): Promise<string>;
  /** The `Content-Type` of {@link ServiceMetrics.render}'s text. */
  readonly contentType: string;
}

/** The names of the sources, as the `source` label of `veil_metrics_source_errors_total`. */
const SOURCE_NAMES = ['jobsByState', 'budgetUsed', 'auditLogSize'] as const;

/** Request-duration buckets in seconds, from 1 ms to 10 s (roughly 1-2.5-5 per decade). */
export const HTTP_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const AUDIT_GAUGE = 'veil_audit_log_entries';

/** An HTTP method token (RFC 9110 §9: a token; in practice upper-case letters). */
const METHOD = /^[A-Z]{1,16}$/;

/**
 * Creates the metrics of one service over a fresh registry, with Node's default process metrics
 * (`process_*`, `nodejs_*`) registered in it.
 * @param sources read at each scrape for the state gauges
 * @returns the metrics; serve `await metrics.render()` with `metrics.contentType` on `GET /metrics`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when a source is missing or not a function; the
 *   returned `observeRequest` throws it for a method that is not an upper-case token, an empty route or one
 *   with a query string, a status outside [100, 599] or seconds that are negative or not finite
 * @example
 * const metrics = createServiceMetrics({ jobsByState, budgetUsed, auditLogSize });
 * app.addHook('onResponse', async (req, reply) =>
 *   metrics.observeRequest(req.method, req.routeOptions.url ?? '(unmatched)', reply.statusCode, reply.elapsedTime / 1000));
 * app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
 */
export function createServiceMetrics(sources: ServiceMetricsSources): ServiceMetrics {
  const fn = 'createServiceMetrics';
  for (const name of SOURCE_NAMES) {
    const source = (sources as unknown as Record<string, unknown> | null)?.[name];
    if (typeof source !== 'function') {
      throw new InvalidParameterError({ fn, param: `sources.${name}`, value: source, allowed: 'a function' });
    }
  }

  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'veil_http_requests_total',
    help: 'HTTP responses sent, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const durations = new Histogram({
    name: 'veil_http_request_duration_seconds',
    help: "Seconds from a request's arrival to the end of its response, by method, route pattern and status.",
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [...HTTP_DURATION_BUCKETS_SECONDS],
    registers,
  });
  const jobs = new Gauge({
    name: 'veil_jobs',
    help: 'Jobs in each state, read at scrape time.',
    labelNames: ['state'] as const,
    registers,
  });
  const epsilonUsed = new Gauge({
    name: 'veil_budget_epsilon_used',
    help: 'Privacy budget (epsilon) spent by each account, read at scrape time.',
    labelNames: ['account'] as const,
    registers,
  });
  const epsilonLimit = new Gauge({
    name: 'veil_budget_epsilon_limit',
    help: 'Privacy budget (epsilon) allowed to each account, read at scrape time.',
    labelNames: ['account'] as const,
    registers,
  });
  // Registered only while its source answers: a gauge without labels always prints a value once registered.
  const auditEntries = new Gauge({
    name: AUDIT_GAUGE,
    help: 'Entries in the audit log, read at scrape time.',
    registers: [],
  });
  const sourceErrors = new Counter({
    name: 'veil_metrics_source_errors_total',
    help: 'Scrapes in which a metrics source failed (its gauges were left out of that scrape).',
    labelNames: ['source'] as const,
    registers,
  });
  // Present from the first scrape at 0, so an alert on increase() sees the first failure.
  for (const source of SOURCE_NAMES) sourceErrors.inc({ source }, 0);

  /** Reads every source and sets the state gauges; a failing source clears its gauges and is counted. */
  async function refresh(scope: string | undefined): Promise<void> {
    const [jobCounts, budgets, auditSize] = await Promise.allSettled([
      call(() => sources.jobsByState(scope)),
      call(() => sources.budgetUsed(scope)),
      call(() => sources.auditLogSize()),
    ]);
    // Everything below is synchronous: a scrape never sees half of one refresh.
    jobs.reset();
    epsilonUsed.reset();
    epsilonLimit.reset();
    const failed = (source: (typeof SOURCE_NAMES)[number]) => sourceErrors.inc({ source });

    if (jobCounts.status === 'fulfilled' && isCountRecord(jobCounts.value)) {
      for (const [state, count] of Object.entries(jobCounts.value)) jobs.set({ state }, count);
    } else failed('jobsByState');

    if (budgets.status === 'fulfilled' && isBudgetList(budgets.value)) {
      for (const b of budgets.value) {
        epsilonUsed.set({ account: b.account }, b.epsilonUsed);
        epsilonLimit.set({ account: b.account }, b.epsilonLimit);
      }
    } else failed('budgetUsed');

    const auditRegistered = registry.getSingleMetric(AUDIT_GAUGE) !== undefined;
    if (auditSize.status === 'fulfilled' && isCount(auditSize.value)) {
      auditEntries.set(auditSize.value);
      if (!auditRegistered) registry.registerMetric(auditEntries);
    } else {
      if (auditRegistered) registry.removeSingleMetric(AUDIT_GAUGE);
      failed('auditLogSize');
    }
  }

  // Scrapes run one after another, so each text shows exactly the sources read for it.
  let queue: Promise<unknown> = Promise.resolve();

  return Object.freeze({
    registry,
    contentType: registry.contentType,
    observeRequest(method: string, route: string, status: number, seconds: number): void {
      const at = 'ServiceMetrics.observeRequest';
      if (typeof method !== 'string' || !METHOD.test(method)) {
        throw new InvalidParameterError({
          fn: at,
          param: 'method',
          value: method,
          allowed: 'an upper-case HTTP method such as GET',
        });
      }
      if (typeof route !== 'string' || route.length === 0 || route.includes('?')) {
        throw new InvalidParameterError({
          fn: at,
          param: 'route',
          value: route,
          allowed: 'a route pattern such as /jobs/:id (never a raw URL with a query string)',
        });
      }
      assertInteger(at, 'status', status, 100, 599);
      assertNonNegative(at, 'seconds', seconds);
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      durations.observe(labels, seconds);
    },
    render(scope?: string): Promise<string> {
      const scrape = queue.then(async () => {
        await refresh(scope);
        return registry.metrics();
      });
      queue = scrape.catch(() => undefined);
      return scrape;
    },
  });
}

/** Calls a source, turning a synchronous throw into a rejection. */
async function call<T>(source: () => Promise<T>): Promise<T> {
  return source();
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isCountRecord(value: unknown): value is Record<string, number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every(isCount)
  );
}

function isBudgetList(
  value: unknown,
): value is readonly { account: string; epsilonUsed: number; epsilonLimit: number }[] {
  return (
    Array.isArray(value) &&
    value.every(
      (b: unknown) =>
        typeof b === 'object' &&
        b !== null &&
        typeof (b as { account?: unknown }).account === 'string' &&
        isCount((b as { epsilonUsed?: unknown }).epsilonUsed) &&
        // an unlimited account reports +Inf, which the exposition format writes as +Inf
        typeof (b as { epsilonLimit?: unknown }).epsilonLimit === 'number' &&
        !Number.isNaN((b as { epsilonLimit: number }).epsilonLimit),
    )
  );
}
