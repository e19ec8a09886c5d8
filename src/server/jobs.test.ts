/**
 * Jobs through the service on SQLite (in-process runner, each job in a worker thread): the budget reserved at
 * submission together with the job's row, consumed by the run, refunded when the job ends before using it; a
 * refused reservation queues nothing; the model comes back with its fingerprint; events are stored and streamed.
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceSchema } from './store/schema.js';
import { type Body, startTestService, type TestService } from './testing/service.js';

const CSV = Buffer.from(
  `x,label\n${Array.from({ length: 300 }, (_, i) => `${(i % 13) / 13},${i % 3 ? 'a' : 'b'}`).join('\n')}\n`,
);

const trainSpec = (extra: Record<string, unknown> = {}) => ({
  data: { kind: 'csv', path: 'toy.csv', label: 'label' },
  privacy: { epsilon: 1, publicSize: 240 },
  epochs: 1,
  batchSize: 40,
  ledger: { account: 'acme/ml', purpose: 'research', dataset: 'toy' },
  ...extra,
});

let t: TestService;
let analyst: string;
let steward: string;

async function until(job: string, states: string[], key = analyst): Promise<Body> {
  for (let i = 0; i < 300; i++) {
    const r = await t.call(key, 'GET', `/v1/jobs/${job}`);
    if (states.includes(r.body.state)) return r.body;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  throw new Error(`job ${job} never reached ${states.join('|')}`);
}

beforeAll(async () => {
  t = await startTestService();
  steward = await t.keyFor(t.adminKey, 'data-steward');
  analyst = await t.keyFor(t.adminKey, 'analyst');
  expect(
    (await t.call(steward, 'POST', '/v1/accounts', { account: 'acme', epsilon: 10, delta: 1e-5 })).status,
  ).toBe(201);
  expect(
    (await t.call(steward, 'POST', '/v1/accounts', { account: 'acme/ml', epsilon: 3, delta: 1e-5 })).status,
  ).toBe(201);
  expect((await t.call(steward, 'PUT', '/v1/datasets/toy/data', CSV)).status).toBe(201);
  expect(
    (await t.call(steward, 'POST', '/v1/datasets', { name: 'toy', purposes: ['research'] })).status,
  ).toBe(201);
}, 60_000);
afterAll(async () => t?.close());

describe('service jobs (SQLite, in-process runner)', () => {
  it('reserves at submission, trains on a worker thread, returns the model with its fingerprint, charges once', async () => {
    const sub = await t.call(analyst, 'POST', '/v1/jobs', { kind: 'train', spec: trainSpec() });
    expect(sub.status).toBe(202);
    expect(sub.body.spend).toMatchObject({ account: 'acme/ml', reservation: 'reserved' });
    const spendsAfterSubmit = (await t.call(analyst, 'GET', '/v1/accounts/acme/ml')).body.spends;
    expect(spendsAfterSubmit).toHaveLength(1);
    const done = await until(sub.body.id, ['succeeded', 'failed']);
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(done.spend.reservation).toBe('consumed');
    expect(done.result.summary.epsilonSpent).toBeGreaterThan(0);
    expect(JSON.stringify(done.result)).not.toContain(t.dir); // no server paths in results
    const status = (await t.call(analyst, 'GET', '/v1/accounts/acme/ml')).body;
    expect(status.spends).toHaveLength(1); // reserved once, consumed, never charged again
    // the spend's receipt as granted: one epsilon per account, as POST /v1/spends answers
    const epsilonAfter = done.result.ledger.spend.epsilonAfter;
    expect(Object.keys(epsilonAfter).sort()).toEqual(['acme', 'acme/ml']);
    expect(epsilonAfter['acme/ml']).toBeCloseTo(status.status.epsilonSpent, 9);
    expect(epsilonAfter['acme/ml']).toBeGreaterThan(0.5);
    const weights =
      done.result.files.find((f: { name: string }) => f.name.endsWith('.bin') || f.name !== 'model.json') ??
      done.result.files[0];
    const file = await t.call(analyst, 'GET', `/v1/jobs/${sub.body.id}/files/${weights.name}`);
    expect(file.status).toBe(200);
    expect(file.headers['veil-fingerprint']).toBe(weights.fingerprint);
    const events = await t.call(analyst, 'GET', `/v1/jobs/${sub.body.id}/events`);
    expect(events.body.events.length).toBeGreaterThan(0);
    const audit = await t.call(t.adminKey, 'GET', '/v1/audit/entries?limit=1000');
    const actions = audit.body.entries.map((e: Body) => `${e.action}/${e.actor}`);
    expect(actions).toContain('budget.spend/acme/analyst-2');
    expect(actions.some((a: string) => a.startsWith('job.complete/acme/analyst-2'))).toBe(true);
    expect(actions).toContain('budget.use/acme/analyst-2'); // the run's use of the spend, in the log
    expect((await t.call(t.adminKey, 'GET', '/v1/audit/verify')).body.ok).toBe(true);

    // an insider with write access to the database marks the used reservation unused and the job running, so
    // that its end would refund a spend whose noise was drawn: the ledger refuses, and the spend stays
    const db = t.service.context.ledger.database.db as unknown as Kysely<ServiceSchema>;
    await db
      .updateTable('service_jobs')
      .set({ reservation: 'reserved', state: 'running', lease_owner: 'w_insider' })
      .where('id', '=', sub.body.id)
      .execute();
    const row = await db
      .selectFrom('service_jobs')
      .selectAll()
      .where('id', '=', sub.body.id)
      .executeTakeFirstOrThrow();
    await t.service.context.jobs.settle(
      row,
      { kind: 'failed', code: 'job_failed', message: 'made to fail', transient: false },
      'w_insider',
    );
    const after = (await t.call(analyst, 'GET', `/v1/jobs/${sub.body.id}`)).body;
    expect(after.state).toBe('failed');
    expect(after.error.message).toMatch(/was used/);
    const spends = (await t.call(analyst, 'GET', '/v1/accounts/acme/ml')).body.spends;
    expect(spends.map((x: Body) => x.status)).toEqual(['granted']);
  }, 120_000);

  it('refuses a job its account cannot pay for: 409 budget_exceeded, nothing queued', async () => {
    const before = (await t.call(analyst, 'GET', '/v1/jobs')).body.jobs.length;
    const r = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'train',
      spec: trainSpec({ privacy: { epsilon: 50, publicSize: 240 } }),
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('budget_exceeded');
    expect((await t.call(analyst, 'GET', '/v1/jobs')).body.jobs.length).toBe(before);
  }, 60_000);

  it('cancels a queued job and refunds its reservation in the same transaction', async () => {
    await t.service.runner?.stop(0); // nothing picks it up
    const sub = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'train',
      spec: trainSpec({ privacy: { epsilon: 0.5, publicSize: 240 } }),
    });
    expect(sub.status).toBe(202);
    const c = await t.call(analyst, 'POST', `/v1/jobs/${sub.body.id}/cancel`);
    expect(c.body.state).toBe('cancelled');
    expect(c.body.spend.reservation).toBe('refunded');
    const spends = (await t.call(analyst, 'GET', '/v1/accounts/acme/ml')).body.spends;
    expect(spends.find((s: Body) => s.id === sub.body.spend.id).status).toBe('refunded');
  }, 60_000);

  it('refuses paths outside the organisation directory, foreign accounts, and jobs without a budget', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [trainSpec({ data: { kind: 'csv', path: '../../etc/passwd', label: 'label' } }), 400, 'invalid_path'],
      [trainSpec({ data: { kind: 'csv', path: '/etc/passwd', label: 'label' } }), 400, 'invalid_path'],
      [trainSpec({ ledger: { account: 'other/x', purpose: 'research' } }), 403, 'foreign_account'],
      [trainSpec({ ledger: { purpose: 'research' } }), 400, 'budget_required'],
      [trainSpec({ out: { dir: '/tmp/x' } }), 400, 'invalid_field'],
      [trainSpec({ epochs: -1 }), 400, 'invalid_input'],
    ];
    for (const [spec, status, code] of cases) {
      const r = await t.call(analyst, 'POST', '/v1/jobs', { kind: 'train', spec });
      expect([r.status, r.body.error?.code]).toEqual([status, code]);
    }
  }, 60_000);
});
