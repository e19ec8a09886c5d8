/**
 * A job's charge, known before it runs: the job itself is run up to its charge (consent checked, data and model
 * read, the plan calibrated: every check that can fail before the spend) and stopped there, so the reservation is
 * exactly what the run will ask for: the same code decides both (no logic only the server has).
 */

import { InternalError } from '../../core/index.js';
import type { ChargeRequest } from '../../jobs/index.js';
import { HttpError } from '../../transport/index.js';
import type { ServiceContext } from '../app/context.js';
import type { Caller } from '../store/identity.js';
import type { JobKind } from './kinds.js';
import type { ThreadPool } from './pool.js';
import type { ParentMessage, ThreadMessage } from './thread.js';

/** How long a submission's planning may take by default (it reads the job's data once). */
export const PLAN_TIMEOUT_MS = 120_000;

export interface PlanOptions {
  /** Where a failure that is Veil's is logged (default: stderr). */
  readonly log?: (line: string) => void;
  /** How long planning may take (default {@link PLAN_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

/**
 * Runs `kind` on `spec` until it asks to be paid, and returns what it asked for. The run is in a job thread (a
 * warm one from `threads`, thread.ts's `plan` mode): the job reads its data and calibrates its plan there, so a
 * submission does not hold the API's event loop (about 140 ms for a small CSV, more for a large one) and
 * submissions are planned side by side. The thread stops at the charge and is ended. A refusal keeps its HTTP
 * status, code and message; a failure that is Veil's is logged and answered as `internal`.
 * @throws {HttpError} what the job refused before its charge (bad data, consent refused: 4xx for the caller)
 * @throws {HttpError} 503 planning_timeout when planning takes longer than `options.timeoutMs`
 * @throws {InternalError} when the job ends without asking, or its thread stops
 */
export function planInThread(
  kind: JobKind,
  spec: unknown,
  ctx: ServiceContext,
  caller: Caller,
  threads: ThreadPool,
  options: PlanOptions = {},
): Promise<ChargeRequest> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const timeoutMs = options.timeoutMs ?? PLAN_TIMEOUT_MS;
  const thread = threads.take();
  const input = {
    kind: kind.name,
    spec,
    ledgerUrl: ctx.ledgerUrl,
    ...(ctx.auditKeyFile === undefined ? {} : { auditKeyFile: ctx.auditKeyFile }),
    actor: caller.actor,
    mode: 'plan' as const,
  };
  thread.postMessage({ type: 'run', input } satisfies ParentMessage);
  let timer: NodeJS.Timeout | undefined;
  return new Promise<ChargeRequest>((resolve, reject) => {
    thread.on('message', (m: ThreadMessage) => {
      if (m.type === 'planned') resolve(m.request);
      else if (m.type === 'done')
        reject(new InternalError(`the ${kind.name} job finished without a charge while being planned`));
      else if (m.type === 'error') {
        const r = m.reply ?? { status: 500, code: 'internal', message: m.message };
        if (r.status >= 500) {
          log(`veil serve: planning a ${kind.name} job failed: ${m.message}`);
          reject(new InternalError(`planning a ${kind.name} job failed`));
        } else reject(new HttpError(r.status, r.code, r.message));
      }
    });
    thread.on('error', (err) => reject(err));
    thread.on('exit', () => reject(new InternalError(`the ${kind.name} job's planning thread stopped`)));
    // a submission never waits forever: the thread is ended and nothing is reserved
    timer = setTimeout(
      () =>
        reject(
          new HttpError(
            503,
            'planning_timeout',
            `planning the ${kind.name} job (reading its data to compute its charge) took over ${Math.round(timeoutMs / 1000)} s: nothing was reserved or queued`,
          ),
        ),
      timeoutMs,
    );
  }).finally(() => {
    clearTimeout(timer);
    void thread.terminate();
  });
}
