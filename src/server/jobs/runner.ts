/**
 * The in-process job runner: `veil serve` on the embedded SQLite ledger runs the queue itself, with a few slots
 * (each job in its own worker thread). It claims jobs from the service's job table with leases, so a job of a
 * process that died is taken over when its lease expires, and a shutdown releases what has not used its budget.
 * (On PostgreSQL, `veil worker` processes do the same work; see docs/server.md.)
 */
import type { JobEvent } from '../../jobs/index.js';
import { randomId } from '../auth/keys.js';
import type { JobStore, RunOutcome } from '../store/jobs.js';
import type { ServiceJobTable } from '../store/schema.js';
import { executeJob } from './executor.js';
import { threadPool } from './pool.js';

export interface RunnerOptions {
  readonly store: JobStore;
  readonly ledgerUrl: string;
  /** The audit signing key file (default: the ledger's own default). */
  readonly auditKeyFile?: string | undefined;
  /** Jobs run at once (default 2). */
  readonly slots?: number;
  /** Running jobs per organisation at most (default 2). */
  readonly perOrgLimit?: number;
  /** Lease length in seconds (default 30; renewed every third of it). */
  readonly leaseSeconds?: number;
  /** How often to look for work when idle, ms (default 500). */
  readonly pollMs?: number;
  readonly onEvent?: (jobId: string, event: JobEvent) => void;
  readonly onEnd?: (row: ServiceJobTable, outcome: RunOutcome) => void;
}

export interface JobRunner {
  readonly owner: string;
  /** Looks for work now (after a submission). */
  wake(): void;
  /** Stops claiming; waits up to `graceMs` for running jobs, then releases or fails them (executor.ts). */
  stop(graceMs?: number): Promise<void>;
  /** Jobs running now. */
  readonly running: number;
}

export function startRunner(o: RunnerOptions): JobRunner {
  const owner = randomId('w_', 12);
  const slots = o.slots ?? 2;
  const leaseSeconds = o.leaseSeconds ?? 30;
  const shutdown = new AbortController();
  const threads = threadPool(slots);
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let looking = false;

  const look = async () => {
    if (looking || stopping) return;
    looking = true;
    try {
      while (!stopping && inFlight.size < slots) {
        const row = await o.store.claim(owner, leaseSeconds, o.perOrgLimit ?? 2);
        if (!row) break;
        const run = executeJob(row, {
          store: o.store,
          ledgerUrl: o.ledgerUrl,
          auditKeyFile: o.auditKeyFile,
          owner,
          leaseSeconds,
          shutdown: shutdown.signal,
          threads,
          ...(o.onEvent ? { onEvent: o.onEvent } : {}),
          ...(o.onEnd ? { onEnd: o.onEnd } : {}),
        })
          .catch(() => {})
          .finally(() => {
            inFlight.delete(run);
            schedule(0);
          });
        inFlight.add(run);
      }
    } catch {
      // the database was unavailable: try again at the next poll
    } finally {
      looking = false;
    }
  };
  const schedule = (ms: number) => {
    if (stopping) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void look().finally(() => schedule(o.pollMs ?? 500));
    }, ms);
  };
  schedule(0);

  return {
    owner,
    wake: () => schedule(0),
    get running() {
      return inFlight.size;
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      clearTimeout(timer);
      const all = Promise.allSettled([...inFlight]);
      const graceful = await Promise.race([
        all.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref()),
      ]);
      if (!graceful) {
        shutdown.abort();
        await all;
      }
      await threads.close();
    },
  };
}
