/**
 * Worker side of {@link gaussianNoiseStream}: fills shared slots with N(0, 1) draws from its own CSPRNG while
 * the training thread computes. Control words per slot: 0 = free (a request size may be posted), a positive n
 * = please fill n draws, -1 = filled. Slot count and capacity come in workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { csprng } from './csprng.js';

interface NoiseWorkerData {
  readonly data: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly slots: number;
  readonly capacity: number;
}

const { data, control, slots, capacity } = workerData as NoiseWorkerData;
const ctl = new Int32Array(control);
const rng = csprng();
const STOP = slots; // control[slots] = 1 asks the worker to exit

for (;;) {
  const seen = Atomics.load(ctl, slots + 1); // request counter: sleep until it moves
  let worked = false;
  for (let s = 0; s < slots; s++) {
    const n = Atomics.load(ctl, s);
    if (n > 0) {
      rng.fillNormal(new Float32Array(data, s * capacity * 4, n));
      Atomics.store(ctl, s, -1);
      Atomics.notify(ctl, s);
      worked = true;
    }
  }
  if (Atomics.load(ctl, STOP) === 1) break;
  if (!worked) Atomics.wait(ctl, slots + 1, seen, 50); // sleep until a request is posted (or 50 ms)
}
parentPort?.close();
