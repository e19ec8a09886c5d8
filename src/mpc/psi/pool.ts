/**
 * Spreads the PSI kernels over worker threads (`node:worker_threads`). A batch is cut into pieces of at most
 * {@link PIECE} points, queued, and handed to whichever worker is free, so the two streams of the protocol
 * (hashing one's own identifiers, multiplying the peer's points) share the threads. With `threads: 1` the
 * kernels run in the calling thread, a piece at a time, yielding to the event loop between pieces so that
 * messages keep flowing. Workers boot from the compiled `worker.js`, or from `worker.ts` through tsx's loader
 * when running from the sources (vitest, tsx), as `core/rng/noise-stream.ts` does.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InternalError } from '../../core/index.js';
import {
  type BadPoint,
  checkPoints,
  hashAndMultiply,
  importScalar,
  multiplyPoints,
  POINT_BYTES,
} from './x25519.js';

/** Points per job handed to one thread. */
export const PIECE = 2048;

/** A job posted to a worker. */
export type CurveJob =
  | { readonly id: number; readonly kind: 'hash'; readonly ids: readonly string[] }
  | { readonly id: number; readonly kind: 'multiply' | 'check'; readonly points: Uint8Array };

/** A worker's reply: products (`out`), the first bad point, or an error message. */
export interface CurveReply {
  readonly id: number;
  readonly out?: Uint8Array;
  readonly bad?: BadPoint;
  readonly error?: string;
}

/** The kernels, spread over threads. */
export interface CurveWorkers {
  /** Hash-and-multiply of each identifier: 32 bytes each, in order. */
  hash(ids: readonly string[]): Promise<Uint8Array>;
  /** The peer's points multiplied by the key, or the first bad point (index within the batch). */
  multiply(points: Uint8Array): Promise<Uint8Array | BadPoint>;
  /** The first bad point of a batch, or undefined. */
  check(points: Uint8Array): Promise<BadPoint | undefined>;
  /** Stops the workers (idempotent). */
  close(): void;
}

type Pending = {
  readonly job: CurveJob;
  readonly resolve: (r: CurveReply) => void;
  readonly reject: (e: Error) => void;
};

function startWorker(scalar: Uint8Array): Worker {
  const workerData = { scalar };
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const source = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((m) => { m.register(); return import(${source}); }).catch(() => process.exit(1));`;
  return new Worker(boot, { eval: true, workerData });
}

/** Runs one job in the calling thread. */
function runHere(job: CurveJob, key: ReturnType<typeof importScalar>): CurveReply {
  if (job.kind === 'hash') return { id: job.id, out: hashAndMultiply(job.ids, key) };
  if (job.kind === 'multiply') {
    const result = multiplyPoints(job.points, key);
    return result instanceof Uint8Array ? { id: job.id, out: result } : { id: job.id, bad: result };
  }
  const bad = checkPoints(job.points);
  return bad === undefined ? { id: job.id } : { id: job.id, bad };
}

/**
 * Kernels over `threads` threads for one key.
 * @param scalar the 32-byte private scalar (copied into each worker; never logged)
 * @param threads 1 = the calling thread; more = that many worker threads (the calling thread takes over if
 *   they cannot start)
 */
export function startCurveWorkers(scalar: Uint8Array, threads: number): CurveWorkers {
  const key = importScalar(scalar);
  const queue: Pending[] = [];
  let nextId = 0;
  let closed = false;
  let localRunning = false;
  const workers: { worker: Worker; busy: Pending | undefined }[] = [];

  // In the calling thread: one piece per macrotask, so channel messages keep flowing between pieces.
  const pumpHere = () => {
    if (localRunning || queue.length === 0) return;
    localRunning = true;
    setImmediate(() => {
      localRunning = false;
      const p = queue.shift();
      if (p) {
        try {
          p.resolve(runHere(p.job, key));
        } catch (error) {
          p.reject(error instanceof Error ? error : new InternalError('PSI kernel failed'));
        }
      }
      pump();
    });
  };
  const pump = () => {
    if (workers.length === 0) return pumpHere();
    for (const slot of workers) {
      if (slot.busy || queue.length === 0) continue;
      const p = queue.shift() as Pending;
      slot.busy = p;
      slot.worker.postMessage(p.job);
    }
  };
  // A worker that cannot start or dies: its job goes back to the queue and the others (or, when none is
  // left, the calling thread) take over, as noise-stream falls back to drawing in-thread.
  const retire = (slot: (typeof workers)[number]) => {
    const index = workers.indexOf(slot);
    if (index < 0 || closed) return;
    workers.splice(index, 1);
    void slot.worker.terminate();
    if (slot.busy) queue.unshift(slot.busy);
    slot.busy = undefined;
    pump();
  };
  for (let t = 0; threads > 1 && t < threads; t++) {
    let slot: (typeof workers)[number];
    try {
      slot = { worker: startWorker(scalar), busy: undefined };
    } catch {
      break;
    }
    slot.worker.on('message', (reply: CurveReply) => {
      const p = slot.busy;
      slot.busy = undefined;
      if (reply.error !== undefined) p?.reject(new InternalError(`PSI worker: ${reply.error}`));
      else p?.resolve(reply);
      pump();
    });
    slot.worker.on('error', () => retire(slot));
    slot.worker.on('exit', () => retire(slot));
    workers.push(slot);
  }

  const submit = (job: CurveJob): Promise<CurveReply> =>
    new Promise<CurveReply>((resolve, reject) => {
      if (closed) {
        reject(new InternalError('PSI workers are closed'));
        return;
      }
      queue.push({ job, resolve, reject });
      pump();
    });

  const pieces = async (
    n: number,
    make: (start: number, end: number, id: number) => CurveJob,
  ): Promise<CurveReply[]> => {
    const jobs: Promise<CurveReply>[] = [];
    for (let start = 0; start < n; start += PIECE)
      jobs.push(submit(make(start, Math.min(n, start + PIECE), nextId++)));
    return Promise.all(jobs);
  };

  const joinOrBad = (replies: CurveReply[], n: number): Uint8Array | BadPoint => {
    const out = new Uint8Array(n * POINT_BYTES);
    for (let j = 0; j < replies.length; j++) {
      const r = replies[j] as CurveReply;
      if (r.bad) return { index: r.bad.index + j * PIECE, why: r.bad.why };
      out.set(r.out as Uint8Array, j * PIECE * POINT_BYTES);
    }
    return out;
  };

  return {
    async hash(ids) {
      const replies = await pieces(ids.length, (s, e, id) => ({ id, kind: 'hash', ids: ids.slice(s, e) }));
      return joinOrBad(replies, ids.length) as Uint8Array;
    },
    async multiply(points) {
      const n = points.length / POINT_BYTES;
      const replies = await pieces(n, (s, e, id) => ({
        id,
        kind: 'multiply',
        points: points.slice(s * POINT_BYTES, e * POINT_BYTES),
      }));
      return joinOrBad(replies, n);
    },
    async check(points) {
      const n = points.length / POINT_BYTES;
      const replies = await pieces(n, (s, e, id) => ({
        id,
        kind: 'check',
        points: points.slice(s * POINT_BYTES, e * POINT_BYTES),
      }));
      for (let j = 0; j < replies.length; j++) {
        const bad = (replies[j] as CurveReply).bad;
        if (bad) return { index: bad.index + j * PIECE, why: bad.why };
      }
      return undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const q of queue.splice(0)) q.reject(new InternalError('PSI workers were closed'));
      for (const slot of workers.splice(0)) void slot.worker.terminate();
    },
  };
}
