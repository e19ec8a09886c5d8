/**
 * A probe preloaded (`node --import tsx --import ./federation-probe.ts bin/veil coordinator …`) into the
 * coordinator process by `npm run -s bench -- service federation`: every 500 ms it appends one JSON line to the
 * file named by `VEIL_BENCH_PROBE` with the process's memory (RSS, V8 heap used and total, external,
 * array buffers), the event-loop delay since the last line (max and p99, ms), the open file descriptors, the CPU time used
 * so far and the V8 heap limit. It only reads; the coordinator runs unchanged. Without `VEIL_BENCH_PROBE` it does nothing.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** One line of the probe's file. */
export interface ProbeSample {
  /** Date.now() of the sample. */
  readonly t: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  readonly arrayBuffersMiB: number;
  readonly heapLimitMiB: number;
  readonly lagMaxMs: number;
  readonly lagP99Ms: number;
  readonly fds: number;
  /** CPU time the process has used so far (user + system), ms. */
  readonly cpuMs: number;
}

const file = process.env.VEIL_BENCH_PROBE;
if (file) {
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const heapLimitMiB = mib(getHeapStatistics().heap_size_limit);
  const fds = () => {
    try {
      return readdirSync('/proc/self/fd').length;
    } catch {
      return -1;
    }
  };
  setInterval(() => {
    const m = process.memoryUsage();
    const sample: ProbeSample = {
      t: Date.now(),
      rssMiB: mib(m.rss),
      heapUsedMiB: mib(m.heapUsed),
      heapTotalMiB: mib(m.heapTotal),
      externalMiB: mib(m.external),
      arrayBuffersMiB: mib(m.arrayBuffers),
      heapLimitMiB,
      lagMaxMs: Math.round(lag.max / 1e5) / 10,
      lagP99Ms: Math.round(lag.percentile(99) / 1e5) / 10,
      fds: fds(),
      cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    };
    lag.reset();
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
  }, 500).unref();
}
