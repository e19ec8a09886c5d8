/**
 * What a simulation may hold in memory, checked before it builds anything: the estimate of
 * src/fl/simulation/footprint.ts (the formula is there and in docs/federated.md) against V8's heap limit and the
 * machine's memory, and the most nodes a simulated secure round may select. A refusal names the node count (the
 * flag, or the config file's field), the estimate, what is available and the most nodes that fit.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { ConfigError } from '../../core/index.js';
import {
  type FederationConfig,
  MAX_SECURE_ROUND_NODES,
  NODE_OBJECT_BYTES,
  PARAMETER_COPIES,
  type SimulationDataShape,
  type SimulationFootprint,
  simulationFootprint,
} from '../../fl/index.js';

/** What the check reads of a simulation plan (`SimulationPlan` of simulate.ts). */
export interface SimulationSize {
  readonly federation: FederationConfig;
  readonly nodes: number;
  /** Where the plan came from, so that a refusal names what to change: flags (default) or a config file. */
  readonly origin?: 'flags' | 'file';
}

/** Memory a simulation may use: V8's heap for JavaScript objects, the machine's memory for everything. */
export interface MemoryAvailable {
  /** V8's heap limit (`v8.getHeapStatistics().heap_size_limit`) and what is left of it now. */
  readonly heapLimitBytes: number;
  readonly heapFreeBytes: number;
  /** The machine's memory (`os.totalmem()`, or the cgroup's limit if lower) less this process's resident size. */
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
}

/** What this process may still allocate (see {@link MemoryAvailable}). */
export function memoryAvailable(): MemoryAvailable {
  const heap = getHeapStatistics();
  const constrained = process.constrainedMemory?.() ?? 0;
  const limit = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
  return {
    heapLimitBytes: heap.heap_size_limit,
    heapFreeBytes: heap.heap_size_limit - heap.used_heap_size,
    memoryBytes: limit - process.memoryUsage.rss(),
    memoryLimitBytes: limit,
  };
}

const GiB = 2 ** 30;
/** Bytes in GiB, for messages. */
export const gib = (bytes: number) => `${(bytes / GiB).toFixed(bytes < 10 * GiB ? 2 : 1)} GiB`;
/** A count with thousands separators, for messages. */
export const count = (n: number) => n.toLocaleString('en-US');

/** What a refusal of the plan names: the flags, or the config file's fields. */
function fieldsOf(plan: SimulationSize) {
  return plan.origin === 'file'
    ? { nodes: 'nodes', selection: 'federation.selection', context: 'simulation config' }
    : { nodes: '--nodes', selection: '--sample-rate', context: 'command-line flags' };
}

/**
 * Refuses a secure aggregation that selects more than {@link MAX_SECURE_ROUND_NODES} nodes a round: simulated,
 * its rounds cost O(m²) in the m selected nodes.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the node count and the sample rate
 */
function checkSecureRoundSize(plan: SimulationSize, footprint: SimulationFootprint): void {
  const protocol = plan.federation.secureAggregation;
  const m = footprint.nodesPerRound;
  if (protocol === 'none' || m <= MAX_SECURE_ROUND_NODES) return;
  const f = fieldsOf(plan);
  throw new ConfigError(
    [
      {
        path: f.nodes,
        value: plan.nodes,
        allowed:
          `at most ${count(MAX_SECURE_ROUND_NODES)} nodes selected per round with secure aggregation (${protocol}), ` +
          `not ${count(Math.ceil(m))} (${f.nodes} × ${f.selection}): a simulated secure round costs O(m²) in its m ` +
          'selected nodes (each checks the signed key advertisement of every other; SecAgg also agrees a key and a ' +
          'mask with each), about 6 (secagg+) to 27 (secagg) minutes a round already at 1,000; ' +
          `lower ${f.nodes} or ${f.selection}`,
      },
    ],
    f.context,
  );
}

/** Whether a footprint fits what is available: null, or the limit it exceeds, in words. */
function exceeded(fp: SimulationFootprint, free: MemoryAvailable): string | null {
  if (fp.heapBytes > free.heapFreeBytes)
    return (
      `the ${gib(free.heapFreeBytes)} left of V8's ${gib(free.heapLimitBytes)} JavaScript heap limit ` +
      '(v8 heap_size_limit; raise it with NODE_OPTIONS=--max-old-space-size=<MiB>)'
    );
  if (fp.totalBytes > free.memoryBytes)
    return `the ${gib(free.memoryBytes)} of memory available (${gib(free.memoryLimitBytes)} in all, os.totalmem, less this process)`;
  return null;
}

/**
 * Estimates the simulation's memory ({@link simulationFootprint}: the formula is in src/fl/simulation/footprint.ts
 * and docs/federated.md) and refuses, before anything large is allocated, a plan that cannot fit, naming the
 * estimate, what is available and the most nodes that fit.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the node count
 */
export function checkSimulationMemory(
  plan: SimulationSize,
  shape: (nodes: number) => SimulationDataShape | null,
  free: MemoryAvailable = memoryAvailable(),
): SimulationFootprint {
  const at = (nodes: number) =>
    simulationFootprint({ federation: plan.federation, nodes, shape: shape(nodes) });
  const fp = at(plan.nodes);
  checkSecureRoundSize(plan, fp);
  const over = exceeded(fp, free);
  if (!over) return fp;
  // the most nodes that fit: the footprint grows with the node count
  let lo = 0;
  let hi = plan.nodes;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (exceeded(at(mid), free)) hi = mid;
    else lo = mid;
  }
  const f = fieldsOf(plan);
  const parts = [
    `${gib(fp.heapBytes)} of JavaScript objects (${count(plan.nodes)} nodes × ${NODE_OBJECT_BYTES / 1024} KiB${fp.secureBytes > 0 ? `, and secure aggregation's ${gib(fp.secureBytes)} for ${count(Math.ceil(fp.nodesPerRound))}² pairs` : ''})`,
    `${gib(fp.bufferBytes)} of data and model copies (${count(fp.parameters)} parameters × ${PARAMETER_COPIES} copies per node)`,
  ];
  throw new ConfigError(
    [
      {
        path: f.nodes,
        value: plan.nodes,
        allowed:
          `${lo > 0 ? `at most ${count(lo)}` : 'fewer'} nodes on this machine: ${count(plan.nodes)} would need about ` +
          `${gib(fp.totalBytes)} (${parts.join(', ')}; estimate of docs/federated.md), more than ${over}`,
      },
    ],
    f.context,
  );
}
