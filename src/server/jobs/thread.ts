/**
 * The body of a service job's worker thread: runs one job of the jobs layer with its own ledger connection, sends
 * its events to the parent, and asks the parent for its charge (which the parent answers from the reservation made
 * at submission). A thread keeps the service's event loop free while a job computes, and can be stopped at once.
 */
import { parentPort } from 'node:worker_threads';
import { VeilError } from '../../core/index.js';
import { type ChargeRequest, type JobEvent, ledgerAt } from '../../jobs/index.js';
import type { SpendReceipt } from '../../ledger/index.js';
import { errorReply, HttpError } from '../../transport/index.js';
import { JOB_KINDS } from './kinds.js';

/** What the parent gives the thread. */
export interface ThreadInput {
  readonly kind: string;
  readonly spec: unknown;
  readonly ledgerUrl: string;
  /** The audit signing key file the service's ledger was opened with (default: the ledger's own default). */
  readonly auditKeyFile?: string;
  readonly actor: string;
  /**
   * `plan`: run the job only up to its charge, send the charge (`planned`) and stop there (the parent ends the
   * thread): how a submission learns what to reserve without computing in the API's event loop (plan.ts).
   */
  readonly mode?: 'run' | 'plan';
}

/** Messages from the thread. */
export type ThreadMessage =
  | { readonly type: 'event'; readonly event: JobEvent }
  | { readonly type: 'charge'; readonly id: number; readonly request: ChargeRequest }
  | { readonly type: 'planned'; readonly request: ChargeRequest }
  | { readonly type: 'done'; readonly result: unknown }
  | {
      readonly type: 'error';
      readonly code: string;
      readonly message: string;
      readonly transient: boolean;
      /** The HTTP answer the error maps to (status, code, message): a plan's refusal reaches its caller as is. */
      readonly reply?: { readonly status: number; readonly code: string; readonly message: string };
    };

/** Messages to the thread: first the job to run, then the answers to its charges. */
export type ParentMessage =
  | { readonly type: 'run'; readonly input: ThreadInput }
  | { readonly type: 'charged'; readonly id: number; readonly receipt: SpendReceipt }
  | { readonly type: 'refused'; readonly id: number; readonly code: string; readonly message: string };

/** Storage errors worth another attempt (the database was busy or briefly unreachable). */
const TRANSIENT = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '40001',
]);

/** A thrown value as the job's error: a coded error's code and message, anything else a generic code. */
export function errorOf(err: unknown): { code: string; message: string; transient: boolean } {
  if (err instanceof VeilError)
    return { code: err.code, message: err.message.slice(0, 2000), transient: false };
  if (err instanceof HttpError) return { code: err.code, message: err.message, transient: false };
  const code = (err as { code?: unknown })?.code;
  const transient = typeof code === 'string' && TRANSIENT.has(code);
  return {
    code: transient ? 'storage_unavailable' : 'job_failed',
    message: (err instanceof Error ? err.message : String(err)).slice(0, 500),
    transient,
  };
}

/**
 * Waits for the job (a thread may be started ahead of it, pool.ts: by then the jobs layer is loaded), runs it,
 * and ends: one job per thread.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const input = await new Promise<ThreadInput>((resolve) => {
    const first = (m: ParentMessage) => {
      if (m.type !== 'run') return;
      port.off('message', first);
      resolve(m.input);
    };
    port.on('message', first);
  });
  const kind = JOB_KINDS[input.kind];
  const pending = new Map<number, { resolve: (r: SpendReceipt) => void; reject: (e: Error) => void }>();
  let next = 1;
  port.on('message', (m: ParentMessage) => {
    if (m.type === 'run') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.type === 'charged') p.resolve(m.receipt);
    else p.reject(new HttpError(409, m.code, m.message));
  });
  const send = (m: ThreadMessage) => port.postMessage(m);
  try {
    if (!kind) throw new HttpError(400, 'unknown_kind', `no job kind ${input.kind}`);
    const result = await kind.run(input.spec, {
      ledger: ledgerAt(input.ledgerUrl, {
        actor: input.actor,
        ...(input.auditKeyFile === undefined ? {} : { auditKeyFile: input.auditKeyFile }),
      }),
      principal: input.actor,
      progress: (event) => send({ type: 'event', event }),
      pay: (_ledger, request) =>
        new Promise<SpendReceipt>((resolve, reject) => {
          if (input.mode === 'plan') {
            // the plan is known: the parent ends this thread; nothing past the charge runs
            send({ type: 'planned', request });
            return;
          }
          const id = next++;
          pending.set(id, { resolve, reject });
          send({ type: 'charge', id, request });
        }),
    });
    send({ type: 'done', result });
  } catch (err) {
    if (input.mode === 'plan') {
      const { status, body } = errorReply(err);
      const internal = status >= 500;
      send({
        type: 'error',
        ...errorOf(err),
        reply: { status, ...body.error },
        // an internal failure's own message stays on the server: the parent logs it, the caller sees `internal`
        ...(internal ? { message: err instanceof Error ? (err.stack ?? err.message) : String(err) } : {}),
      });
    } else send({ type: 'error', ...errorOf(err) });
  }
}

void main();
