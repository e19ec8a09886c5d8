/**
 * The client against a real service listening on a real port (SQLite, in-process runner): budgets, spends read a
 * page at a time, a dataset and a DP training job waited for with its progress (streamed and polled), the audit
 * entries walked by the iterator, refusals with their stable codes; and its retries against a tiny local server
 * (a read retried through 503s and a 429, a spend never).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../server/testing/service.js';
import { createClient, isVeilApiError, type JobProgress, VeilApiError, type VeilClient } from './index.js';

const CSV = `x,label\n${Array.from({ length: 300 }, (_, i) => `${(i % 13) / 13},${i % 3 ? 'a' : 'b'}`).join('\n')}\n`;

let t: TestService;
let admin: VeilClient;
let steward: VeilClient;
let analyst: VeilClient;

beforeAll(async () => {
  t = await startTestService();
  await t.service.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.service.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  admin = createClient({ baseUrl, credential: t.adminKey });
  steward = createClient({ baseUrl, credential: await t.keyFor(t.adminKey, 'data-steward') });
  analyst = createClient({ baseUrl, credential: await t.keyFor(t.adminKey, 'analyst') });
}, 60_000);
afterAll(async () => t?.close());

describe('the client against a real service', () => {
  it('creates accounts, spends, and reads the spends page after page', async () => {
    expect((await admin.me()).role).toBe('admin');
    await steward.createAccount({ account: 'acme', epsilon: 10, delta: 1e-5 });
    const ext = await steward.createAccount({ account: 'acme/ext', epsilon: 5, delta: 1e-5 });
    expect(ext.path).toBe('acme/ext');
    for (let i = 0; i < 5; i++)
      await steward.spend({
        account: 'acme/ext',
        release: { kind: 'epsilon-delta', epsilon: 0.1 },
        purpose: `release ${i}`,
      });
    const first = await analyst.getAccount('acme/ext', { limit: 2 });
    expect(first.spends).toHaveLength(2);
    expect(first.next).toBe(first.spends[1]?.id);
    const all = [];
    for await (const s of analyst.allSpends('acme/ext', { pageSize: 2 })) all.push(s);
    expect(all).toHaveLength(5);
    expect(all.map((s) => s.purpose)).toEqual([0, 1, 2, 3, 4].map((i) => `release ${i}`));
    expect(new Set(all.map((s) => s.id)).size).toBe(5);
    expect((await analyst.listAccounts()).map((a) => a.path)).toEqual(['acme', 'acme/ext']);
  }, 60_000);

  it("refuses with the service's stable codes: budget_exceeded, forbidden, not_found", async () => {
    const over = await steward
      .spend({ account: 'acme/ext', release: { kind: 'epsilon-delta', epsilon: 50 }, purpose: 'too much' })
      .catch((e: unknown) => e);
    expect(over).toBeInstanceOf(VeilApiError);
    expect(over).toMatchObject({ status: 409, code: 'budget_exceeded', method: 'POST', path: '/v1/spends' });
    expect((over as VeilApiError).requestId).toMatch(/^r_/);
    const forbidden = await analyst
      .createAccount({ account: 'acme/mine', epsilon: 1, delta: 1e-5 })
      .catch((e: unknown) => e);
    expect(isVeilApiError(forbidden, 'forbidden')).toBe(true);
    expect((forbidden as VeilApiError).status).toBe(403);
    const missing = await analyst.getJob('j_00000000000000000000').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('submits a DP training job and waits for it with its progress, streamed and polled', async () => {
    await steward.createAccount({ account: 'acme/ml', epsilon: 3, delta: 1e-5 });
    expect((await steward.uploadDataset('toy', CSV)).bytes).toBe(CSV.length);
    await steward.registerDataset({ name: 'toy', purposes: ['research'] });
    const job = await analyst.submitJob({
      kind: 'train',
      spec: {
        data: { kind: 'csv', path: 'toy.csv', label: 'label' },
        privacy: { epsilon: 1, publicSize: 240 },
        epochs: 1,
        batchSize: 40,
        ledger: { account: 'acme/ml', purpose: 'research', dataset: 'toy' },
      },
    });
    expect(job.spend).toMatchObject({ account: 'acme/ml', reservation: 'reserved' });
    const streamed: JobProgress[] = [];
    const done = await analyst.waitForJob(job.id, { onEvent: (e) => streamed.push(e) });
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed.map((e) => e.event.kind)).toContain('train-epoch');
    expect(streamed.map((e) => e.seq)).toEqual([...streamed.map((e) => e.seq)].sort((a, b) => a - b));
    // polling sees the same events, each once
    const polled: JobProgress[] = [];
    expect((await analyst.waitForJob(job.id, { mode: 'poll', onEvent: (e) => polled.push(e) })).state).toBe(
      'succeeded',
    );
    expect(polled.map((e) => e.seq)).toEqual(streamed.map((e) => e.seq));
    const files = (done.result as { files: { name: string; fingerprint: string }[] }).files;
    const file = await analyst.jobFile(job.id, files[0]!.name);
    expect(file.fingerprint).toBe(files[0]!.fingerprint);
    expect(file.bytes.length).toBeGreaterThan(0);
    expect((await analyst.listJobs({ state: 'succeeded' })).map((j) => j.id)).toContain(job.id);
  }, 120_000);

  it('walks the audit entries page after page with the iterator', async () => {
    const all = (await admin.auditEntries({ limit: 1000 })).entries;
    expect(all.length).toBeGreaterThan(7);
    const walked = [];
    for await (const e of admin.allAuditEntries({ pageSize: 3 })) walked.push(e);
    expect(walked.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(walked.map((e) => e.action)).toContain('budget.spend');
    const one = await admin.auditEntry(walked[0]!.seq);
    expect(one.entry.seq).toBe(walked[0]!.seq);
    expect((await admin.verifyAudit()).ok).toBe(true);
  });
});

describe('retries', () => {
  let server: Server;
  let url: string;
  const hits: string[] = [];
  /** What the server answers next, per method: a queue of statuses (then 200). */
  const plan: Record<string, { status: number; headers?: Record<string, string> }[]> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.method ?? '');
      const next = plan[req.method ?? '']?.shift() ?? { status: 200 };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(
        next.status === 200
          ? JSON.stringify({ org: 'acme' })
          : JSON.stringify({
              error: { code: next.status === 429 ? 'rate_limited' : 'unavailable', message: 'busy' },
            }),
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const client = () =>
    createClient({ baseUrl: url, credential: 'veil_test', retry: { baseDelayMs: 1, maxDelayMs: 50 } });

  it('retries a read answered 503 twice, then succeeds', async () => {
    hits.length = 0;
    plan['GET'] = [{ status: 503 }, { status: 503 }];
    expect(await client().me()).toEqual({ org: 'acme' });
    expect(hits).toEqual(['GET', 'GET', 'GET']);
  });

  it('honours Retry-After on 429 and gives up when it asks for more than the longest wait', async () => {
    hits.length = 0;
    plan['GET'] = [{ status: 429, headers: { 'retry-after': '0' } }];
    expect(await client().organisation()).toEqual({ org: 'acme' });
    expect(hits).toEqual(['GET', 'GET']);
    hits.length = 0;
    plan['GET'] = [{ status: 429, headers: { 'retry-after': '60' } }];
    await expect(client().organisation()).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
    expect(hits).toEqual(['GET']);
  });

  it('stops after its retries, with the last refusal', async () => {
    hits.length = 0;
    plan['GET'] = Array.from({ length: 10 }, () => ({ status: 503 }));
    await expect(client().me()).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    expect(hits).toHaveLength(4); // the first attempt and 3 retries
    plan['GET'] = [];
  });

  it('never retries a POST that spends', async () => {
    hits.length = 0;
    plan['POST'] = [{ status: 503 }];
    await expect(
      client().spend({ account: 'acme', release: { kind: 'epsilon-delta', epsilon: 1 }, purpose: 'x' }),
    ).rejects.toMatchObject({ status: 503, code: 'unavailable', method: 'POST' });
    expect(hits).toEqual(['POST']);
    plan['POST'] = [];
  });

  it('times out an attempt that gets no answer, as code timeout', async () => {
    const silent = createServer(() => {
      // never answers
    });
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const c = createClient({
      baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      credential: 'veil_test',
      timeoutMs: 100,
      retry: { retries: 1, baseDelayMs: 1 },
    });
    await expect(c.me()).rejects.toMatchObject({ status: 0, code: 'timeout' });
    silent.closeAllConnections();
    await new Promise<void>((ok) => silent.close(() => ok()));
  });
});
