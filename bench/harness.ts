/**
 * A tiny timing harness for benchmarks: runs a function several times (after warm-up) and reports the
 * median, min, max and the spread (max/min) in milliseconds. Benchmarks print one JSON object on stdout.
 */
import { availableParallelism, cpus, totalmem } from 'node:os';

/** Timing summary of one case. */
export interface Timing {
  readonly name: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly spread: number;
  readonly result?: unknown;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Median, min, max and spread of `samples` (milliseconds). */
export function summarize(name: string, samples: readonly number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  return {
    name,
    runs: s.length,
    medianMs: round(s[Math.floor(s.length / 2)]!),
    minMs: round(s[0]!),
    maxMs: round(s[s.length - 1]!),
    spread: round(s[s.length - 1]! / s[0]!),
  };
}

/** Times `fn` `runs` times after `warmup` untimed calls. */
export function time(
  name: string,
  fn: () => unknown,
  options: { runs?: number; warmup?: number } = {},
): Timing {
  const runs = options.runs ?? 7;
  const warmup = options.warmup ?? 1;
  let result: unknown;
  for (let i = 0; i < warmup; i++) result = fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    samples.push(performance.now() - t0);
  }
  return { ...summarize(name, samples), result };
}

/** {@link time} for an async `fn`: one untimed call, then `runs` timed ones. */
export async function timeAsync(name: string, fn: () => Promise<unknown>, runs: number): Promise<Timing> {
  let result = await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    samples.push(performance.now() - t0);
  }
  return { ...summarize(name, samples), result };
}

/** The machine, for the record. */
export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  };
}
