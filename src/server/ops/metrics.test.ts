import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import { createServiceMetrics, type ServiceMetricsSources } from './metrics.js';

/** One sample of the text exposition format. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the samples of Prometheus's text exposition format (comments and blank lines skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = match[3]!;
    const value =
      raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (undefined when absent). */
function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

function sources(overrides: Partial<ServiceMetricsSources> = {}): ServiceMetricsSources {
  return {
    jobsByState: async () => ({ queued: 2, running: 1, done: 7 }),
    budgetUsed: async () => [
      { account: 'acme', epsilonUsed: 1.5, epsilonLimit: 10 },
      { account: 'globex "research"', epsilonUsed: 0, epsilonLimit: Number.POSITIVE_INFINITY },
    ],
    auditLogSize: async () => 42,
    ...overrides,
  };
}

describe('createServiceMetrics', () => {
  it('counts requests by method, route pattern and status, and observes their durations', async () => {
    const metrics = createServiceMetrics(sources());
    metrics.observeRequest('GET', '/jobs/:id', 200, 0.004);
    metrics.observeRequest('GET', '/jobs/:id', 200, 0.02);
    metrics.observeRequest('POST', '/jobs', 400, 3);

    const samples = parseExposition(await metrics.render());
    const ok = { method: 'GET', route: '/jobs/:id', status: '200' };
    expect(sampleValue(samples, 'veil_http_requests_total', ok)).toBe(2);
    expect(sampleValue(samples, 'veil_http_requests_total', { method: 'POST', status: '400' })).toBe(1);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_count', ok)).toBe(2);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_sum', ok)).toBeCloseTo(0.024, 12);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_bucket', { ...ok, le: '0.001' })).toBe(0);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_bucket', { ...ok, le: '0.005' })).toBe(1);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_bucket', { ...ok, le: '0.025' })).toBe(2);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_bucket', { ...ok, le: '10' })).toBe(2);
    const slow = { method: 'POST', route: '/jobs', status: '400' };
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_bucket', { ...slow, le: '2.5' })).toBe(0);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_bucket', { ...slow, le: '5' })).toBe(1);
    expect(sampleValue(samples, 'veil_http_request_duration_seconds_bucket', { ...slow, le: '+Inf' })).toBe(
      1,
    );
  });

  it('reads the state gauges from the sources at scrape time', async () => {
    let audit = 42;
    const metrics = createServiceMetrics(sources({ auditLogSize: async () => audit }));
    let samples = parseExposition(await metrics.render());
    expect(sampleValue(samples, 'veil_jobs', { state: 'queued' })).toBe(2);
    expect(sampleValue(samples, 'veil_jobs', { state: 'running' })).toBe(1);
    expect(sampleValue(samples, 'veil_jobs', { state: 'done' })).toBe(7);
    expect(sampleValue(samples, 'veil_budget_epsilon_used', { account: 'acme' })).toBe(1.5);
    expect(sampleValue(samples, 'veil_budget_epsilon_limit', { account: 'acme' })).toBe(10);
    expect(sampleValue(samples, 'veil_budget_epsilon_used', { account: 'globex "research"' })).toBe(0);
    expect(sampleValue(samples, 'veil_budget_epsilon_limit', { account: 'globex "research"' })).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(sampleValue(samples, 'veil_audit_log_entries')).toBe(42);

    audit = 43;
    samples = parseExposition(await metrics.render());
    expect(sampleValue(samples, 'veil_audit_log_entries')).toBe(43);
  });

  it('drops a state that a later scrape no longer reports', async () => {
    let states: Record<string, number> = { queued: 1, running: 1 };
    const metrics = createServiceMetrics(sources({ jobsByState: async () => states }));
    await metrics.render();
    states = { running: 2 };
    const samples = parseExposition(await metrics.render());
    expect(sampleValue(samples, 'veil_jobs', { state: 'queued' })).toBeUndefined();
    expect(sampleValue(samples, 'veil_jobs', { state: 'running' })).toBe(2);
  });

  it('reports a failing source as an error count and leaves out its gauges, never failing the scrape', async () => {
    const metrics = createServiceMetrics(
      sources({
        budgetUsed: async () => {
          throw new Error('database is down');
        },
        jobsByState: () => {
          throw new Error('thrown synchronously');
        },
      }),
    );
    const first = parseExposition(await metrics.render());
    expect(sampleValue(first, 'veil_metrics_source_errors_total', { source: 'budgetUsed' })).toBe(1);
    expect(sampleValue(first, 'veil_metrics_source_errors_total', { source: 'jobsByState' })).toBe(1);
    expect(sampleValue(first, 'veil_metrics_source_errors_total', { source: 'auditLogSize' })).toBe(0);
    expect(first.some((s) => s.name === 'veil_budget_epsilon_used')).toBe(false);
    expect(first.some((s) => s.name === 'veil_jobs')).toBe(false);
    expect(sampleValue(first, 'veil_audit_log_entries')).toBe(42);

    const second = parseExposition(await metrics.render());
    expect(sampleValue(second, 'veil_metrics_source_errors_total', { source: 'budgetUsed' })).toBe(2);
  });

  it('counts a source that answers with the wrong shape as failed', async () => {
    let audit = Number.NaN;
    const metrics = createServiceMetrics(
      sources({
        auditLogSize: async () => audit,
        jobsByState: async () => ({ queued: -1 }),
        budgetUsed: async () => [{ account: 'acme' }] as never,
      }),
    );
    const samples = parseExposition(await metrics.render());
    for (const source of ['auditLogSize', 'jobsByState', 'budgetUsed']) {
      expect(sampleValue(samples, 'veil_metrics_source_errors_total', { source }), source).toBe(1);
    }
    expect(samples.some((s) => s.name === 'veil_audit_log_entries')).toBe(false);

    audit = 5; // the source recovers: its gauge is back
    expect(sampleValue(parseExposition(await metrics.render()), 'veil_audit_log_entries')).toBe(5);
  });

  it('registers default process metrics in its own registry, never the global one', async () => {
    const a = createServiceMetrics(sources());
    const b = createServiceMetrics(sources());
    a.observeRequest('GET', '/health', 200, 0.001);
    const samplesA = parseExposition(await a.render());
    const samplesB = parseExposition(await b.render());
    expect(sampleValue(samplesA, 'veil_http_requests_total', { route: '/health' })).toBe(1);
    expect(sampleValue(samplesB, 'veil_http_requests_total', { route: '/health' })).toBeUndefined();
    expect(samplesA.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samplesA.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    expect(a.registry).not.toBe(b.registry);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('serves scrapes one after another with each its own source readings', async () => {
    let n = 0;
    const metrics = createServiceMetrics(sources({ auditLogSize: async () => ++n }));
    const texts = await Promise.all([metrics.render(), metrics.render(), metrics.render()]);
    expect(texts.map((t) => sampleValue(parseExposition(t), 'veil_audit_log_entries'))).toEqual([1, 2, 3]);
  });

  it('refuses a raw URL, a bad method, status or duration', () => {
    const metrics = createServiceMetrics(sources());
    expect(() => metrics.observeRequest('GET', '/jobs?id=7', 200, 0.1)).toThrow(InvalidParameterError);
    expect(() => metrics.observeRequest('GET', '', 200, 0.1)).toThrow(/route/);
    expect(() => metrics.observeRequest('get', '/jobs', 200, 0.1)).toThrow(/method/);
    expect(() => metrics.observeRequest('GET', '/jobs', 99, 0.1)).toThrow(/status/);
    expect(() => metrics.observeRequest('GET', '/jobs', 200.5, 0.1)).toThrow(/status/);
    expect(() => metrics.observeRequest('GET', '/jobs', 200, -0.1)).toThrow(/seconds/);
    expect(() => metrics.observeRequest('GET', '/jobs', 200, Number.NaN)).toThrow(/seconds/);
  });

  it('refuses sources that are not functions', () => {
    expect(() => createServiceMetrics({ ...sources(), auditLogSize: 42 } as never)).toThrow(
      /sources\.auditLogSize must be a function/,
    );
    expect(() => createServiceMetrics(null as never)).toThrow(InvalidParameterError);
  });
});
