/**
 * Jobs on PostgreSQL through pg-boss and two `veil worker` processes (real processes, a real server): the service
 * in this process submits (budget reserved with the job's row, a message sent); the workers claim by id and run.
 * Every job runs once and is charged once. A worker killed mid-job (SIGKILL): before its job used the budget, the
 * other worker takes the job over when the lease expires and it succeeds with the one spend; after, the job fails
 * `worker_lost` and keeps its spend (not refunded, not charged again).
 *
 * Runs when VEIL_TEST_POSTGRES_URL is set (`source .ci/setup-postgres.sh`); skipped with the reason otherwise,
 * and failing instead under VEIL_REQUIRE_SERVICES=1 (CI).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresTestDatabase,
  type PostgresTestDatabase,
  postgresForTests,
} from './testing/postgres.js';
import {
  type InProcessService,
  openInProcessService,
  pollUntil,
  setupToyJobs,
  startVeil,
  toyTrainSpec,
  type VeilProcess,
} from './testing/processes.js';
import type { Body } from './testing/service.js';

const postgres = postgresForTests();
const LEASE = 2;

let db: PostgresTestDatabase;
let dir: string;
let s: InProcessService;
let analyst: string;
const workers: VeilProcess[] = [];

function startWorker(): VeilProcess {
  const w = startVeil(['worker', '--db', db.url, '--slots', '2', '--lease-seconds', String(LEASE)], {
    VEIL_AUDIT_KEY_FILE: db.auditKeyFile,
  });
  workers.push(w);
  return w;
}

const submit = async (epsilon: number, epochs = 1): Promise<Body> => {
  const r = await s.call(analyst, 'POST', '/v1/jobs', {
    kind: 'train',
    spec: toyTrainSpec(epsilon, epochs),
    timeoutSeconds: 120,
  });
  expect(r.status).toBe(202);
  return r.body;
};
const finished = (id: string) =>
  pollUntil(
    () => s.call(analyst, 'GET', `/v1/jobs/${id}`).then((r) => r.body),
    (j) => ['succeeded', 'failed', 'cancelled'].includes(j.state),
    `job ${id} finished`,
    90_000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${workers.map((w) => w.stderr().slice(-3000)).join('\n---\n')}`);
  });
const spendsOf = async () => (await s.call(analyst, 'GET', '/v1/accounts/acme/ml')).body.spends as Body[];
const epochEvents = async (id: string) =>
  (await s.call(analyst, 'GET', `/v1/jobs/${id}/events`)).body.events.filter(
    (e: Body) => e.event.kind === 'train-epoch',
  ).length;

describe.skipIf(postgres.skip)(`veil worker on ${postgres.label} (pg-boss, two processes)`, () => {
  beforeAll(async () => {
    db = await createPostgresTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'veil-worker-'));
    s = await openInProcessService({
      db: db.url,
      auditKeyFile: db.auditKeyFile,
      dataDir: join(dir, 'files'),
      runJobs: false,
    });
    // the workers start (a few seconds) while budgets and the dataset are set up
    const ready = Promise.all([startWorker(), startWorker()].map((w) => w.waitFor(/taking jobs/)));
    analyst = await setupToyJobs(s);
    await ready;
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await s?.service.close(0);
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs every job once on the workers: one spend each, consumed once, the audit log verifies', async () => {
    const jobs = await Promise.all([0.3, 0.31, 0.32].map((e) => submit(e)));
    const done = await Promise.all(jobs.map((j) => finished(j.id)));
    for (const j of done) {
      expect([j.state, j.error]).toEqual(['succeeded', null]);
      expect(j.attempts).toBe(1);
      expect(j.spend.reservation).toBe('consumed');
      expect(await epochEvents(j.id)).toBe(1); // one epoch: a second run would add another
    }
    const spends = await spendsOf();
    for (const j of done) {
      const own = spends.filter((sp) => sp.id === j.spend.id);
      expect(own.map((sp) => sp.status)).toEqual(['granted']);
    }
    expect(spends).toHaveLength(3);
    const audit = (await s.call(s.adminKey, 'GET', '/v1/audit/entries?limit=1000')).body.entries as Body[];
    expect(audit.filter((e) => e.action === 'budget.spend')).toHaveLength(3);
    expect((await s.call(s.adminKey, 'GET', '/v1/audit/verify')).body.ok).toBe(true);
  }, 120_000);

  it('a worker killed before its job used the budget: another worker takes it over; it succeeds, one spend', async () => {
    const before = (await spendsOf()).length;
    const job = await submit(0.2);
    // the moment a worker holds it, before the run asks for its charge: freeze that worker, then kill it
    const held = await pollUntil(
      () => s.row(job.id),
      (r) => r?.state === 'running',
      'job claimed',
      30_000,
      5,
    );
    const victim = workers.find((w) => held?.lease_owner && w.stderr().includes(held.lease_owner));
    expect(victim).toBeDefined();
    victim!.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 300)); // anything it had sent has landed
    const frozen = await s.row(job.id);
    expect([frozen?.state, frozen?.reservation]).toEqual(['running', 'reserved']);
    victim!.kill('SIGKILL');
    await victim!.exited;
    const done = await finished(job.id);
    expect([done.state, done.error]).toEqual(['succeeded', null]);
    expect(done.attempts).toBe(2);
    expect(done.spend.reservation).toBe('consumed');
    const spends = await spendsOf();
    expect(spends).toHaveLength(before + 1);
    expect(spends.find((sp) => sp.id === done.spend.id).status).toBe('granted');
    startWorker(); // back to two for the next case
  }, 120_000);

  it('a worker killed after its job used the budget: the job fails worker_lost, the spend kept once', async () => {
    const before = (await spendsOf()).length;
    const job = await submit(0.25, 20);
    const held = await pollUntil(
      () => s.row(job.id),
      (r) =>
        r?.reservation === 'consumed' || (r !== undefined && r.state !== 'queued' && r.state !== 'running'),
      'budget consumed',
      60_000,
      5,
    );
    const victim = workers.find((w) => held?.lease_owner && w.stderr().includes(held.lease_owner));
    expect(victim).toBeDefined();
    victim!.kill('SIGKILL');
    await victim!.exited;
    expect((await s.row(job.id))?.state).toBe('running'); // killed mid-training
    const done = await finished(job.id);
    expect(done.state).toBe('failed');
    expect(done.error.code).toBe('worker_lost');
    expect(done.spend.reservation).toBe('consumed');
    const spends = await spendsOf();
    expect(spends).toHaveLength(before + 1);
    expect(spends.find((sp) => sp.id === done.spend.id).status).toBe('granted');
    expect((await s.call(s.adminKey, 'GET', '/v1/audit/verify')).body.ok).toBe(true);
  }, 120_000);
});
