/**
 * Warm job threads: a job's worker thread loads the jobs layer before it can run anything (1.7 – 2 s from the
 * TypeScript sources on a 2-core machine, BENCHMARKS.md "jobs"), which dominated small jobs. The pool starts
 * threads ahead of need, while the service is idle, so a claimed job starts in a thread that has already loaded.
 * Each thread still runs one job and is then done (stopped by the executor): a job's timeout or cancellation
 * terminates its thread, and nothing a job leaves in memory reaches the next job.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Starts a job thread, from the built JavaScript or, in a source checkout, through tsx (as the clean room's fit). */
export function startJobThread(): Worker {
  const js = new URL('./thread.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const source = JSON.stringify(new URL('./thread.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((m) => { m.register(); return import(${source}); })`;
  return new Worker(boot, { eval: true });
}

/** Threads started ahead of the jobs that will use them. */
export interface ThreadPool {
  /** A thread for one job: a warm one when there is one (another starts in its place), else a new one. */
  take(): Worker;
  /** Idle threads now (for tests and metrics). */
  readonly idle: number;
  /** Stops the idle threads; later `take`s start threads on demand. */
  close(): Promise<void>;
}

/**
 * A pool keeping `size` idle threads (the runner's slots) from the first job on: a service that runs no job
 * starts no thread, and the first job starts cold while the pool fills. Idle threads do not keep the process
 * alive, and one that exits while idle (it failed to load) is dropped: the next `take` starts another.
 */
export function threadPool(size: number, start: () => Worker = startJobThread): ThreadPool {
  const idle = new Set<Worker>();
  let closed = false;
  const add = () => {
    const w = start();
    w.unref();
    const drop = () => idle.delete(w);
    w.once('exit', drop);
    w.once('error', drop);
    idle.add(w);
  };
  const fill = () => {
    while (!closed && idle.size < size) add();
  };
  return {
    take() {
      if (closed) return start();
      const warm = idle.values().next();
      // the replacement (or the pool's first threads) loads while this job runs
      setImmediate(fill);
      if (warm.done) return start();
      const w = warm.value;
      idle.delete(w);
      w.removeAllListeners('exit');
      w.removeAllListeners('error');
      w.ref();
      return w;
    },
    get idle() {
      return idle.size;
    },
    async close() {
      closed = true;
      const all = [...idle];
      idle.clear();
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
