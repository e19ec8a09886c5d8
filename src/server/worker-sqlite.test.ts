/**
 * The kill test on the embedded SQLite ledger, where `veil serve` runs the jobs itself: the serve process is
 * killed (SIGKILL) mid-job and started again on the same database; the new process takes the job over once its
 * lease (2 s here, VEIL_JOB_LEASE_SECONDS) has expired. Killed before the job used its budget: the job runs again
 * and succeeds with its one spend. Killed after: it fails `worker_lost` and keeps the spend, charged once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

let dir: string;
let db: string;
let s: InProcessService;
let analyst: string;
const serves: VeilProcess[] = [];

/** `veil serve` on the test's database with a 2 s lease, listening on any free port. */
async function startServe(): Promise<VeilProcess> {
  const p = startVeil(['serve', '--db', db, '--listen', '127.0.0.1:0', '--rate-limit', '1000000'], {
    VEIL_JOB_LEASE_SECONDS: '2',
  });
  serves.push(p);
  await p.waitFor(/listening on/);
  return p;
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
  );
const spendsOf = async () => (await s.call(analyst, 'GET', '/v1/accounts/acme/ml')).body.spends as Body[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-serve-kill-'));
  db = `sqlite:${join(dir, 'veil.db')}`;
  // this process submits and reads; the `veil serve` processes run the jobs
  s = await openInProcessService({ db, dataDir: join(dir, 'files'), runJobs: false });
  analyst = await setupToyJobs(s);
}, 60_000);
afterAll(async () => {
  for (const p of serves) p.kill('SIGKILL');
  await Promise.all(serves.map((p) => p.exited));
  await s?.service.close(0);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('veil serve on SQLite killed mid-job (kill -9, restart on the same database)', () => {
  it('killed before the budget was used: the restarted serve takes the job over and it succeeds, one spend', async () => {
    const job = await submit(0.2);
    const first = await startServe();
    await pollUntil(
      () => s.row(job.id),
      (r) => r?.state === 'running',
      'job claimed',
      60_000,
      5,
    );
    first.kill('SIGSTOP'); // frozen before the run asks for its charge (the thread is still starting)
    await new Promise((r) => setTimeout(r, 300));
    const frozen = await s.row(job.id);
    expect([frozen?.state, frozen?.reservation]).toEqual(['running', 'reserved']);
    first.kill('SIGKILL');
    await first.exited;
    await startServe();
    const done = await finished(job.id);
    expect([done.state, done.error]).toEqual(['succeeded', null]);
    expect(done.attempts).toBe(2);
    expect(done.spend.reservation).toBe('consumed');
    const own = (await spendsOf()).filter((sp) => sp.id === done.spend.id);
    expect(own.map((sp) => sp.status)).toEqual(['granted']);
    expect(await spendsOf()).toHaveLength(1);
  }, 120_000);

  it('killed after the budget was used: the restarted serve fails the job worker_lost, the spend kept once', async () => {
    const running = serves.at(-1)!;
    const job = await submit(0.25, 20);
    await pollUntil(
      () => s.row(job.id),
      (r) => r?.reservation === 'consumed' || (r !== undefined && !['queued', 'running'].includes(r.state)),
      'budget consumed',
      60_000,
      5,
    );
    running.kill('SIGKILL');
    await running.exited;
    expect((await s.row(job.id))?.state).toBe('running'); // killed mid-training
    const last = await startServe();
    const done = await finished(job.id);
    expect(done.state).toBe('failed');
    expect(done.error.code).toBe('worker_lost');
    expect(done.spend.reservation).toBe('consumed');
    const spends = await spendsOf();
    expect(spends).toHaveLength(2);
    expect(spends.find((sp) => sp.id === done.spend.id).status).toBe('granted');
    expect((await s.call(s.adminKey, 'GET', '/v1/audit/verify')).body.ok).toBe(true);
    last.kill('SIGTERM');
    expect(await last.exited).toBe(0); // a graceful stop
  }, 120_000);
});
