/**
 * `npm run -s bench -- service jobs [--jobs N] [--workers W] [--slots S] [--epochs E]`
 *
 * Issue 16's "100 concurrent jobs (small DP training runs) across 4 `veil worker` processes on PostgreSQL: all
 * finish, none twice, the ledger exact; throughput and queue latency". Real processes: `veil admin init`, one
 * `veil serve` (PostgreSQL: it queues, pg-boss dispatches) and W `veil worker`s, all on a fresh database of the
 * server in VEIL_TEST_POSTGRES_URL (`source .ci/setup-postgres.sh`). N training jobs are submitted over HTTP at
 * once; the bench waits for all, then checks: every job succeeded on its first attempt, each reservation
 * consumed, exactly N spends on the account (one per job, none refunded, none twice), the audit log verifies.
 * It reports submission latency, queue latency (submitted → started), run time (started → finished), wall time
 * and throughput. One JSON object on stdout, progress on stderr.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase } from '../../src/ledger/store/testing.js';
import { machine } from '../harness.js';

const VEIL = resolve(import.meta.dirname, '../../bin/veil');
const run = promisify(execFile);

function flag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a positive integer, got ${args[i + 1]}`);
  return n;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(values: readonly number[]) {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    count: s.length,
    p50: r(percentile(s, 50)),
    p90: r(percentile(s, 90)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1) ?? Number.NaN),
  };
}

function log(line: string): void {
  process.stderr.write(`service jobs: ${line}\n`);
}

function startServe(db: string, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [VEIL, 'serve', '--db', db, '--listen', '127.0.0.1:0', '--rate-limit', '1000000'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    },
  );
  let err = '';
  return new Promise((ok, fail) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (https?:\/\/\S+) /.exec(err);
      if (m) ok({ url: m[1]!, child });
    });
    child.once('exit', (code) => fail(new Error(`veil serve exited ${code}: ${err.slice(-2000)}`)));
  });
}

export async function jobsScale(args: readonly string[]): Promise<void> {
  const n = flag(args, 'jobs', 100);
  const workers = flag(args, 'workers', 4);
  const slots = flag(args, 'slots', 2);
  const epochs = flag(args, 'epochs', 1);
  if (!process.env['VEIL_TEST_POSTGRES_URL'])
    throw new Error('set VEIL_TEST_POSTGRES_URL: `source .ci/setup-postgres.sh`');
  const database = await createTestDatabase('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-jobs-'));
  const env = { ...process.env, VEIL_AUDIT_KEY_FILE: join(dir, 'audit.key') };
  const children: ChildProcess[] = [];
  try {
    const init = JSON.parse(
      (
        await run(
          process.execPath,
          [VEIL, '--json', 'admin', 'init', '--org', 'bench', '--db', database.url],
          { env },
        )
      ).stdout,
    ) as { apiKey: string };
    const serve = await startServe(database.url, env);
    children.push(serve.child);
    for (let i = 0; i < workers; i++)
      children.push(
        spawn(
          process.execPath,
          [
            VEIL,
            'worker',
            '--db',
            database.url,
            '--slots',
            String(slots),
            '--per-org-limit',
            String(workers * slots),
          ],
          {
            stdio: ['ignore', 'ignore', 'inherit'],
            env,
          },
        ),
      );
    const call = async (method: string, path: string, body?: unknown, binary = false) => {
      const res = await fetch(`${serve.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${init.apiKey}`,
          ...(body === undefined
            ? {}
            : { 'content-type': binary ? 'application/octet-stream' : 'application/json' }),
        },
        ...(body === undefined ? {} : { body: binary ? (body as Buffer) : JSON.stringify(body) }),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    await call('POST', '/v1/accounts', { account: 'bench', epsilon: 1e6, delta: 1e-3 });
    const rows = Array.from(
      { length: 400 },
      (_, i) => `${(i % 17) / 17},${((i * 7) % 13) / 13},${i % 3 ? 'a' : 'b'}`,
    );
    await call('PUT', '/v1/datasets/toy/data', Buffer.from(`x1,x2,label\n${rows.join('\n')}\n`), true);
    const spec = {
      data: { kind: 'csv', path: 'toy.csv', label: 'label' },
      privacy: { epsilon: 1, publicSize: 400 },
      epochs,
      batchSize: 50,
      ledger: { account: 'bench', purpose: 'benchmark' },
    };
    log(`${workers} workers x ${slots} slots; submitting ${n} jobs at once`);
    const t0 = performance.now();
    const submitMs: number[] = [];
    const ids = await Promise.all(
      Array.from({ length: n }, async () => {
        const s = performance.now();
        const job = await call('POST', '/v1/jobs', { kind: 'train', spec });
        submitMs.push(performance.now() - s);
        return String(job['id']);
      }),
    );
    const submitted = performance.now() - t0;
    log(`submitted in ${(submitted / 1000).toFixed(1)} s; waiting`);
    let jobs: Record<string, unknown>[] = [];
    for (;;) {
      jobs = ((await call('GET', `/v1/jobs?limit=500`)).jobs as Record<string, unknown>[]).filter((j) =>
        ids.includes(String(j['id'])),
      );
      const done = jobs.filter((j) =>
        ['succeeded', 'failed', 'cancelled'].includes(String(j['state'])),
      ).length;
      if (done === n) break;
      if (performance.now() - t0 > 30 * 60_000)
        throw new Error(`only ${done} of ${n} jobs finished in 30 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const wall = performance.now() - t0;
    const ms = (a: unknown, b: unknown) => Date.parse(String(b)) - Date.parse(String(a));
    const status = await call('GET', '/v1/accounts/bench');
    const spends = status['spends'] as { id: number; status: string }[];
    const reservations = jobs.map((j) => j['spend'] as { id: number; reservation: string } | null);
    const verify = await call('GET', '/v1/audit/verify');
    const checks = {
      allSucceeded: jobs.every((j) => j['state'] === 'succeeded'),
      noneRunTwice: jobs.every((j) => j['attempts'] === 1),
      everyReservationConsumed: reservations.every((r) => r?.reservation === 'consumed'),
      oneSpendPerJob: spends.length === n && new Set(reservations.map((r) => r?.id)).size === n,
      noSpendRefunded: spends.every((s) => s.status === 'granted'),
      auditVerifies: verify['ok'] === true,
    };
    const failed = jobs
      .filter((j) => j['state'] !== 'succeeded')
      .map((j) => ({ id: j['id'], state: j['state'], error: j['error'] }));
    const out = {
      bench: 'service jobs',
      machine: machine(),
      loadAverage: loadavg(),
      jobs: n,
      workers,
      slotsPerWorker: slots,
      epochsPerJob: epochs,
      wallSeconds: Math.round(wall / 100) / 10,
      jobsPerSecond: Math.round((n / (wall / 1000)) * 100) / 100,
      submitAllSeconds: Math.round(submitted / 100) / 10,
      submitMs: stats(submitMs),
      queueLatencyMs: stats(jobs.map((j) => ms(j['createdAt'], j['startedAt']))),
      runMs: stats(jobs.map((j) => ms(j['startedAt'], j['finishedAt']))),
      checks,
      ...(failed.length > 0 ? { failed: failed.slice(0, 5) } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await database.dispose().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
