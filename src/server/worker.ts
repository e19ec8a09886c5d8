/**
 * `veil worker`: a process that runs the service's queued jobs on PostgreSQL, any number of them on any number of
 * machines beside `veil serve` (which only submits). It opens the ledger and the service's stores, consumes the
 * pg-boss queue with `slots` jobs at once (jobs/queue.ts), and stops gracefully: no new work, running jobs get a
 * grace period, then those that have not used their budget are released to the queue and the others fail
 * `interrupted` with their spend kept (executor.ts).
 */
import { ConfigError } from '../core/index.js';
import { openStores } from './app/service.js';
import { type QueueWorker, startQueueWorker } from './jobs/queue.js';
import type { SecretBox } from './store/secrets.js';

export interface WorkerOptions {
  /** The ledger's URL: `postgres://…` (SQLite jobs run inside `veil serve`). */
  readonly db: string;
  /** Jobs run at once (default 2). */
  readonly slots?: number;
  /** Job lease length in seconds (default 30): how soon a job of a killed worker is taken over. */
  readonly leaseSeconds?: number;
  /** Running jobs per organisation at most, across all workers (default 2). */
  readonly perOrgLimit?: number;
  /** Stops the worker when aborted (after `graceMs`). */
  readonly signal?: AbortSignal;
  /** Time running jobs get to finish after the stop (default 10 s). */
  readonly graceMs?: number;
  /** Seals service secrets (default: the environment's KEK, else none). */
  readonly box?: SecretBox;
  /** The audit signing key file (tests; default the ledger's). */
  readonly auditKeyFile?: string;
  /** Told once the worker takes jobs. */
  readonly onReady?: (worker: QueueWorker) => void;
  /** Operational log lines (claims, ends, errors the worker survives). */
  readonly log?: (line: string) => void;
}

/**
 * Runs a worker until `signal` aborts; resolves once it has stopped (jobs released, the ledger closed).
 * @throws {ConfigError} at `--db` for a SQLite ledger, or what opening the ledger throws
 */
export async function runWorker(o: WorkerOptions): Promise<{ owner: string }> {
  if (!/^postgres(ql)?:\/\//.test(o.db))
    throw new ConfigError(
      [
        {
          path: '--db',
          value: o.db,
          allowed:
            'a postgres://… ledger: on SQLite, jobs run inside `veil serve` (its in-process runner), not in workers',
        },
      ],
      'worker',
    );
  const stores = await openStores(o.db, {
    ...(o.box ? { box: o.box } : {}),
    ...(o.auditKeyFile ? { auditKeyFile: o.auditKeyFile } : {}),
  });
  try {
    const worker = await startQueueWorker({
      store: stores.jobs,
      ledgerUrl: o.db,
      auditKeyFile: o.auditKeyFile,
      ...(o.slots === undefined ? {} : { slots: o.slots }),
      ...(o.leaseSeconds === undefined ? {} : { leaseSeconds: o.leaseSeconds }),
      ...(o.perOrgLimit === undefined ? {} : { perOrgLimit: o.perOrgLimit }),
      ...(o.log ? { log: o.log } : {}),
    });
    o.onReady?.(worker);
    await new Promise<void>((resolve) => {
      if (!o.signal) return;
      if (o.signal.aborted) resolve();
      else o.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await worker.stop(o.graceMs ?? 10_000);
    return { owner: worker.owner };
  } finally {
    await stores.ledger.close();
  }
}
