/**
 * Worker side of {@link startCurveWorkers}: runs the X25519 kernels on the batches the protocol thread posts.
 * The scalar arrives in workerData (a private copy for this thread) and never leaves it: replies carry only
 * points, bad-point indices, or an error message without it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CurveJob, CurveReply } from './pool.js';
import { checkPoints, hashAndMultiply, importScalar, multiplyPoints } from './x25519.js';

const key = importScalar((workerData as { scalar: Uint8Array }).scalar);
const port = parentPort;

port?.on('message', (job: CurveJob) => {
  let reply: CurveReply;
  try {
    if (job.kind === 'hash') {
      const out = hashAndMultiply(job.ids, key);
      reply = { id: job.id, out };
    } else if (job.kind === 'multiply') {
      const result = multiplyPoints(job.points, key);
      reply = result instanceof Uint8Array ? { id: job.id, out: result } : { id: job.id, bad: result };
    } else {
      const bad = checkPoints(job.points);
      reply = bad === undefined ? { id: job.id } : { id: job.id, bad };
    }
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : 'worker failed' };
  }
  port.postMessage(reply, reply.out === undefined ? [] : [reply.out.buffer as ArrayBuffer]);
});
