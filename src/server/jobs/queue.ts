/**
 * Jobs on PostgreSQL, dispatched through pg-boss 10 (the last line for Node 20; its own schema `pgboss` in the
 * ledger's database). The service's `service_jobs` table stays the source of truth for the API, the budget and the
 * leases; a pg-boss message `{jobId}` only says "this job may be ready": a worker that receives one claims the row
 * by id ({@link JobStore.claimById}) under the same lease rules as the SQLite runner, and runs it (executor.ts).
 *
 * Which mechanism covers what:
 * - submission → one message (priority from the job): a `veil worker` slot fetches it (LISTEN-free polling every
 *   0.5 s; pg-boss skips locked rows, so each message goes to one fetcher);
 * - organisation at its concurrency limit → the message is answered and a new one sent to start a few seconds
 *   later (deferral does not use up the retries below);
 * - transient failure (the job re-queued by `settle` with attempts left) → the handler throws, and pg-boss
 *   retries the message with `retryDelay`/`retryBackoff` (up to `retryLimit`; a job the sweep ran has no
 *   message: it gets a new one, delayed);
 * - graceful stop of a worker → the job is released in the table (budget untouched) and a fresh message is sent
 *   at once, so another worker takes it;
 * - worker killed → its job's lease stops being renewed. The {@link startQueueWorker} sweep (every
 *   `sweepSeconds`, each worker) claims running jobs with expired leases through the table (`JobStore.claim`'s
 *   takeover: re-run when the reservation is untouched, failed `worker_lost` when it was consumed), and queued
 *   jobs older than `staleSeconds` whose message was lost (a service that died between commit and send, retries
 *   exhausted). The dead worker's own message stays active until pg-boss expires it (`expireInSeconds`, longer
 *   than the job's timeout so that a live job is never expired under its worker) and retries it: by then the job
 *   has been taken over, and the claim by id finds nothing to do.
 * A message may thus arrive for a job that is running elsewhere or finished: the claim by id answers `none` and
 * the message completes. No job runs twice at once: every claim is one serialised write transaction.
 */
import PgBoss from 'pg-boss';
import type { JobEvent } from '../../jobs/index.js';
import { randomId } from '../auth/keys.js';
import type { JobStore, RunOutcome } from '../store/jobs.js';
import type { ServiceJobTable } from '../store/schema.js';
import { executeJob } from './executor.js';
import { threadPool } from './pool.js';

/** The pg-boss queue the service's jobs go through. */
export const JOB_QUEUE = 'veil-jobs';

/** What a dispatch needs to know of a job. */
export interface DispatchedJob {
  readonly id: string;
  readonly priority: number;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
}

/** Sends job messages. */
export interface JobDispatcher {
  /** Sends `{jobId}`; `startAfterSeconds` delays it (a deferral). */
  send(job: DispatchedJob, startAfterSeconds?: number): Promise<void>;
  close(): Promise<void>;
}

/** Seconds past a job's timeout before pg-boss expires its message (pg-boss refuses 24 h or more). */
const EXPIRY_MARGIN_SECONDS = 60;
const MAX_EXPIRY_SECONDS = 24 * 3600 - 60;

/** The message options for `job`: priority, retries of transient failures, expiry past the job's timeout. */
export function sendOptions(job: DispatchedJob): PgBoss.SendOptions {
  return {
    priority: job.priority,
    // a transient failure re-queues the job at most maxAttempts - 1 times; a few more for releases
    retryLimit: job.maxAttempts + 2,
    retryDelay: 2,
    retryBackoff: true,
    expireInSeconds: Math.min(MAX_EXPIRY_SECONDS, job.timeoutSeconds + EXPIRY_MARGIN_SECONDS),
    retentionDays: 7,
  };
}

/** A started pg-boss on `url` with the job queue created (idempotent; migrates pg-boss's schema). */
export async function startBoss(url: string, options: { supervise: boolean; max?: number }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    application_name: 'veil-queue',
    max: options.max ?? 4,
    supervise: options.supervise,
    schedule: false,
    maintenanceIntervalSeconds: 30,
  });
  // pg-boss reports background errors (a lost connection, a failed maintenance run) as events; without a
  // listener they would crash the process. Claims and runs report their own errors.
  boss.on('error', () => {});
  await boss.start();
  if (!(await boss.getQueue(JOB_QUEUE))) await boss.createQueue(JOB_QUEUE, { name: JOB_QUEUE });
  return boss;
}

/** A dispatcher over a started pg-boss. */
export function dispatcherOf(boss: PgBoss, owned: boolean): JobDispatcher {
  return {
    async send(job, startAfterSeconds) {
      await boss.send(
        JOB_QUEUE,
        { jobId: job.id },
        {
          ...sendOptions(job),
          ...(startAfterSeconds === undefined ? {} : { startAfter: startAfterSeconds }),
        },
      );
    },
    close: () => (owned ? boss.stop({ graceful: false, close: true }) : Promise.resolve()),
  };
}

/** Opens the service's dispatcher (send only; it also runs pg-boss's maintenance, shared by advisory lock). */
export async function openDispatcher(url: string): Promise<JobDispatcher> {
  return dispatcherOf(await startBoss(url, { supervise: true, max: 2 }), true);
}

export interface QueueWorkerOptions {
  readonly store: JobStore;
  /** The ledger's PostgreSQL URL (pg-boss's schema lives in the same database). */
  readonly ledgerUrl: string;
  /** The audit signing key file (default: the ledger's own default). */
  readonly auditKeyFile?: string | undefined;
  /** Jobs run at once (default 2): one pg-boss `work()` registration each. */
  readonly slots?: number;
  /** Running jobs per organisation at most, across all workers (default 2). */
  readonly perOrgLimit?: number;
  /** Lease length in seconds (default 30; renewed every third of it). */
  readonly leaseSeconds?: number;
  /** How often the sweep looks for expired leases and lost messages (default: the lease length). */
  readonly sweepSeconds?: number;
  /** Age of a queued job the sweep takes without a message (default 120 s). */
  readonly staleSeconds?: number;
  /** Delay of a message deferred by the organisation's limit (default 2 s). */
  readonly deferSeconds?: number;
  readonly onEvent?: (jobId: string, event: JobEvent) => void;
  readonly onEnd?: (row: ServiceJobTable, outcome: RunOutcome) => void;
  /** Operational log lines (claims, ends, errors the worker survives); never specs, results or records. */
  readonly log?: (line: string) => void;
}

export interface QueueWorker {
  readonly owner: string;
  /** Jobs running now. */
  readonly running: number;
  /** Stops taking work; running jobs get `graceMs`, then are released (budget untouched) or failed. */
  stop(graceMs?: number): Promise<void>;
}

/** Thrown by a handler so that pg-boss retries the message (its delay and backoff). */
class RetryLater extends Error {}

/** Starts a `veil worker`'s queue consumer on PostgreSQL. */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const owner = randomId('w_', 12);
  const slots = o.slots ?? 2;
  const leaseSeconds = o.leaseSeconds ?? 30;
  const perOrgLimit = o.perOrgLimit ?? 2;
  const boss = await startBoss(o.ledgerUrl, { supervise: true, max: slots + 2 });
  const dispatcher = dispatcherOf(boss, false);
  const shutdown = new AbortController();
  const threads = threadPool(slots);
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  const log = o.log ?? (() => {});
  const redispatch = async (id: string, startAfterSeconds?: number) => {
    const row = await o.store.forRun(id);
    if (row?.state !== 'queued') return;
    await dispatcher.send(
      { id, priority: row.priority, timeoutSeconds: row.timeout_seconds, maxAttempts: row.max_attempts },
      startAfterSeconds,
    );
  };
  /** Runs a claimed job; one the sweep claimed gets a message again when it went back to the queue. */
  const run = (row: ServiceJobTable, via: 'message' | 'sweep'): Promise<void> => {
    log(`${row.id} claimed by ${via} (attempt ${row.attempts})`);
    const p = executeJob(row, {
      store: o.store,
      ledgerUrl: o.ledgerUrl,
      auditKeyFile: o.auditKeyFile,
      owner,
      leaseSeconds,
      shutdown: shutdown.signal,
      threads,
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      onEnd: (r, outcome) => {
        log(`${r.id} ${outcome.kind}${outcome.kind === 'failed' ? ` ${outcome.code}` : ''}`);
        o.onEnd?.(r, outcome);
      },
    })
      .then(async () => {
        if (via === 'sweep') await redispatch(row.id, stopping ? undefined : 2);
      })
      .catch((err) => log(`${row.id}: ${(err as Error).message}`))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    return p;
  };
  const handle = async ([message]: PgBoss.Job<{ jobId?: unknown }>[]) => {
    const id = message?.data?.jobId;
    if (typeof id !== 'string') return { skipped: 'malformed' };
    // the sweep may hold a slot: never run more than `slots` jobs at once
    if (stopping || inFlight.size >= slots) {
      await redispatch(id, stopping ? undefined : 1);
      return { skipped: 'busy' };
    }
    const claim = await o.store.claimById(id, owner, leaseSeconds, perOrgLimit);
    if (claim.kind === 'deferred') {
      await redispatch(id, o.deferSeconds ?? 2);
      return { deferred: true };
    }
    if (claim.kind === 'none') return { skipped: claim.reason };
    await run(claim.row, 'message');
    const after = await o.store.forRun(id);
    if (after?.state === 'queued') {
      if (shutdown.signal.aborted || stopping) {
        await redispatch(id); // released at shutdown: another worker takes it now
        return { released: true };
      }
      throw new RetryLater(`job ${id} failed transiently; pg-boss retries it`);
    }
    return { state: after?.state ?? 'unknown' };
  };
  const workIds: string[] = [];
  for (let i = 0; i < slots; i++) {
    let workId = '';
    workId = await boss.work(JOB_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, (jobs) => {
      // pg-boss 10 waits out the polling interval after a handler shorter than it (a skipped or deferred
      // message) even when more are waiting: a notified worker fetches again at once (measured: 8 → 334
      // no-op messages/s with 4 slots)
      if (workId !== '') boss.notifyWorker(workId);
      return handle(jobs as PgBoss.Job<{ jobId?: unknown }>[]).catch((err: unknown) => {
        if (!(err instanceof RetryLater)) log(`message ${jobs[0]?.id}: ${(err as Error).message}`);
        throw err;
      });
    });
    workIds.push(workId);
  }

  let sweeping = false;
  const sweep = async () => {
    if (sweeping || stopping) return;
    sweeping = true;
    try {
      const staleBefore = new Date(Date.now() - (o.staleSeconds ?? 120) * 1000).toISOString();
      while (!stopping && inFlight.size < slots) {
        const row = await o.store.claim(owner, leaseSeconds, perOrgLimit, staleBefore);
        if (!row) break;
        void run(row, 'sweep');
      }
    } catch (err) {
      log(`sweep: ${(err as Error).message} (next sweep in ${o.sweepSeconds ?? leaseSeconds} s)`);
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), (o.sweepSeconds ?? leaseSeconds) * 1000);

  let stopped: Promise<void> | undefined;
  return {
    owner,
    get running() {
      return inFlight.size;
    },
    stop(graceMs = 10_000) {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(timer);
        for (const id of workIds) await boss.offWork({ id });
        const all = () => Promise.allSettled([...inFlight]);
        const graceful = await Promise.race([
          all().then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref()),
        ]);
        if (!graceful) {
          shutdown.abort();
          await all();
        }
        await threads.close();
        // handlers have answered their messages (released jobs re-sent); then pg-boss closes its pool
        await boss.stop({ graceful: true, timeout: 2000, close: true });
      })();
      return stopped;
    },
  };
}
