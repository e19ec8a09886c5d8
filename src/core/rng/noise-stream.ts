/**
 * Bulk Gaussian noise for DP-SGD, drawn ahead of time on a second thread (the machine's other core) so that the
 * training thread does not wait for it: the worker keeps two slots of standard normal draws from its own
 * CSPRNG; {@link GaussianNoiseStream.take} returns a filled slot and asks for it to be refilled, or, when the
 * worker is behind, draws in the calling thread from a CSPRNG of its own (never waits). Only for the CSPRNG: a
 * seeded (reproducible) run draws its noise in-thread from the seeded generator, so seeded runs stay
 * deterministic. Falls back to in-thread drawing if a worker cannot start.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidParameterError } from '../errors.js';
import { csprng } from './csprng.js';
import type { Rng } from './rng.js';

/** Standard normal draws, `n` at a time. */
export interface GaussianNoiseStream {
  /** True when the draws come from a CSPRNG (its own worker's, or the given private Rng). */
  readonly isPrivate: boolean;
  /** Whether a background thread draws the noise. */
  readonly background: boolean;
  /** n standard normal draws; the array is valid until the next call. */
  take(n: number): Float32Array;
  /** Stops the worker (idempotent). */
  close(): void;
}

const SLOTS = 2;

/**
 * A noise stream for draws of (at most) `capacity` normals per call.
 * @param rng the run's generator: a CSPRNG gets a background worker with its own CSPRNG; a seeded one is used
 *   in-thread (reproducible, not private)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a capacity that is not a positive integer
 */
export function gaussianNoiseStream(rng: Rng, capacity: number): GaussianNoiseStream {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new InvalidParameterError({
      fn: 'gaussianNoiseStream',
      param: 'capacity',
      value: capacity,
      allowed: 'an integer >= 1',
    });
  }
  if (!rng.isPrivate) return inThread(rng, capacity);
  try {
    return inWorker(capacity);
  } catch {
    return inThread(rng, capacity);
  }
}

function inThread(rng: Rng, capacity: number): GaussianNoiseStream {
  const buffer = new Float32Array(capacity);
  return {
    isPrivate: rng.isPrivate,
    background: false,
    take(n) {
      const out = buffer.subarray(0, n);
      rng.fillNormal(out);
      return out;
    },
    close() {},
  };
}

function startWorker(workerData: object): Worker {
  const js = new URL('./noise-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  // Running from the TypeScript sources (tsx, vitest): register tsx's loader inside the worker, then load the
  // source (a worker's --import runs too late for its entry module). tsx is resolved here: eval code resolves
  // from the working directory, which may be outside the checkout (a run in a temporary directory).
  const source = JSON.stringify(new URL('./noise-worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((m) => { m.register(); return import(${source}); }).catch(() => process.exit(1));`;
  return new Worker(boot, { eval: true, workerData });
}

function inWorker(capacity: number): GaussianNoiseStream {
  const data = new SharedArrayBuffer(SLOTS * capacity * 4);
  const control = new SharedArrayBuffer((SLOTS + 2) * 4);
  const ctl = new Int32Array(control);
  const worker = startWorker({ data, control, slots: SLOTS, capacity });
  worker.unref();
  // When the worker is behind (starting up, or the machine is busy) the draws are made here instead, from
  // this thread's own CSPRNG: the worker can only save time, never make the caller wait.
  const here = inThread(csprng(), capacity);
  let next = 0;
  let requested = 0;
  let lent = -1; // the slot the caller holds (refilled at the next take)
  let closed = false;
  const request = (slot: number, n: number) => {
    Atomics.store(ctl, slot, n);
    Atomics.add(ctl, SLOTS + 1, 1);
    Atomics.notify(ctl, SLOTS + 1);
  };
  return {
    isPrivate: true,
    background: true,
    take(n) {
      if (n > capacity) {
        throw new InvalidParameterError({
          fn: 'GaussianNoiseStream.take',
          param: 'n',
          value: n,
          allowed: `at most ${capacity}`,
        });
      }
      if (requested !== n) {
        // first call, or a new size: every slot not being filled is (re)requested at this size
        for (let s = 0; s < SLOTS; s++) if (Atomics.load(ctl, s) <= 0) request(s, n);
        requested = n;
        lent = -1;
      } else if (lent >= 0) {
        request(lent, n); // the caller is done with it: refill it while the caller works
        lent = -1;
      }
      const slot = next;
      if (Atomics.load(ctl, slot) !== -1) return here.take(n);
      next = (next + 1) % SLOTS;
      lent = slot;
      return new Float32Array(data, slot * capacity * 4, n);
    },
    close() {
      if (closed) return;
      closed = true;
      Atomics.store(ctl, SLOTS, 1);
      Atomics.notify(ctl, SLOTS + 1);
      void worker.terminate();
    },
  };
}
