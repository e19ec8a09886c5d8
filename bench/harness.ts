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
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    name,
    runs,
    medianMs: round(median),
    minMs: round(samples[0]!),
    maxMs: round(samples[samples.length - 1]!),
    spread: round(samples[samples.length - 1]! / samples[0]!),
    result,
  };
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
