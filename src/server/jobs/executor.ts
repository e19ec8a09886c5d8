/**
 * Runs one claimed job to its end: in a worker thread (thread.ts), its lease renewed while it runs, its events
 * stored for the API's event stream, its charge answered from the reservation, its timeout and cancellation
 * enforced by stopping the thread, and its outcome settled once by the job store (refund or keep).
 */
import type { JobEvent } from '../../jobs/index.js';
import type { JobStore, RunOutcome } from '../store/jobs.js';
import type { ServiceJobTable } from '../store/schema.js';
import { startJobThread, type ThreadPool } from './pool.js';
import { errorOf, type ParentMessage, type ThreadInput, type ThreadMessage } from './thread.js';

export interface ExecuteOptions {
  readonly store: JobStore;
  readonly ledgerUrl: string;
  /** The audit signing key file the job's ledger handle signs with (default: the ledger's own default). */
  readonly auditKeyFile?: string | undefined;
  /** This worker's id (lease owner). */
  readonly owner: string;
  readonly leaseSeconds: number;
  /** Aborted by the runner's shutdown: the job is released (see {@link executeJob}). */
  readonly shutdown: AbortSignal;
  /** Told of each event and of the end (metrics, alerts). */
  readonly onEvent?: (jobId: string, event: JobEvent) => void;
  readonly onEnd?: (row: ServiceJobTable, outcome: RunOutcome) => void;
  /** Warm threads to run the job in (default: a thread started for it). */
  readonly threads?: ThreadPool;
}

/** Events stored per second at most for the chatty kinds (a training step each few milliseconds). */
const THROTTLED = new Set<JobEvent['kind']>(['train-step', 'progress']);

/**
 * Executes `row` (claimed by `owner`). Ends with the job settled, except when the lease was lost (another
 * worker took the job over) or the runner shut down before the budget was used: then the job is released to the
 * queue untouched (the next claim runs it again).
 */
export async function executeJob(row: ServiceJobTable, o: ExecuteOptions): Promise<void> {
  const input: ThreadInput = {
    kind: row.kind,
    spec: JSON.parse(row.spec),
    ledgerUrl: o.ledgerUrl,
    ...(o.auditKeyFile === undefined ? {} : { auditKeyFile: o.auditKeyFile }),
    actor: row.actor,
  };
  const thread = o.threads ? o.threads.take() : startJobThread();
  thread.postMessage({ type: 'run', input } satisfies ParentMessage);
  let writes = Promise.resolve();
  const store = (event: JobEvent) => {
    writes = writes.then(() => o.store.appendEvent(row.id, event)).catch(() => {});
  };
  let lastThrottled = 0;
  let consumed = false;
  let stopped: RunOutcome | 'released' | 'lost' | null = null;

  const outcome = await new Promise<RunOutcome | 'released' | 'lost'>((resolve) => {
    const finish = (r: RunOutcome | 'released' | 'lost') => {
      if (stopped !== null) return;
      stopped = r;
      resolve(r);
      void thread.terminate();
    };
    const timer = setTimeout(
      () =>
        finish({
          kind: 'failed',
          code: 'timeout',
          message: `the job ran past its ${row.timeout_seconds} s timeout`,
          transient: false,
        }),
      row.timeout_seconds * 1000,
    );
    const renewal = setInterval(
      async () => {
        try {
          const r = await o.store.renew(row.id, o.owner, o.leaseSeconds);
          if (!r.held) finish('lost');
          else if (r.cancelRequested) finish({ kind: 'cancelled', message: 'cancelled while running' });
        } catch {
          // the database was briefly unavailable: the lease is long enough for the next renewal
        }
      },
      Math.max(200, (o.leaseSeconds * 1000) / 3),
    );
    const onShutdown = () =>
      finish(
        consumed
          ? {
              kind: 'failed',
              code: 'interrupted',
              message: 'the service stopped while the job ran; its spend stays (noise may have been drawn)',
              transient: false,
            }
          : 'released',
      );
    o.shutdown.addEventListener('abort', onShutdown, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      clearInterval(renewal);
      o.shutdown.removeEventListener('abort', onShutdown);
    };
    thread.on('message', async (m: ThreadMessage) => {
      if (m.type === 'event') {
        if (THROTTLED.has(m.event.kind)) {
          const now = Date.now();
          if (now - lastThrottled < 1000) return;
          lastThrottled = now;
        }
        store(m.event);
        o.onEvent?.(row.id, m.event);
      } else if (m.type === 'charge') {
        let reply: ParentMessage;
        try {
          const receipt = await o.store.consume(row.id, o.owner, m.request);
          consumed = true;
          reply = { type: 'charged', id: m.id, receipt };
        } catch (err) {
          const e = errorOf(err);
          reply = { type: 'refused', id: m.id, code: e.code, message: e.message };
        }
        if (stopped === null) thread.postMessage(reply);
      } else if (m.type === 'done') {
        cleanup();
        finish({ kind: 'succeeded', result: m.result });
      } else if (m.type === 'error') {
        cleanup();
        finish({ kind: 'failed', code: m.code, message: m.message, transient: m.transient });
      }
    });
    thread.on('error', (err) => {
      cleanup();
      finish({ kind: 'failed', ...errorOf(err), transient: false });
    });
    thread.on('exit', () => {
      cleanup();
      finish({
        kind: 'failed',
        code: 'worker_crashed',
        message: 'the job’s thread stopped without a result',
        transient: !consumed,
      });
    });
  });
  await writes;
  if (outcome === 'lost') return;
  if (outcome === 'released') {
    await o.store.release(row.id, o.owner);
    return;
  }
  await o.store.settle(row, outcome, o.owner);
  o.onEnd?.(row, outcome);
}
