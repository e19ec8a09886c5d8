/**
 * The simulation job at scale: a run that cannot fit is refused before anything is built, naming the node count,
 * the estimate and what is available; a secure round of too many nodes is refused; a run reports its progress.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { simulationDataShape, simulationFootprint } from '../../fl/index.js';
import { type JobEvent, ledgerAt } from '../context.js';
import { parseSpec } from '../spec.js';
import { runSimulationJob } from './simulate.js';
import { checkSimulationMemory, type MemoryAvailable } from './simulate-memory.js';
import { SimulateOptionsSchema, simulationPlanFrom } from './simulate-spec.js';

const GiB = 2 ** 30;
const plan = (raw: Record<string, unknown>) =>
  simulationPlanFrom(parseSpec(SimulateOptionsSchema, raw, 'simulation options'));
const shape = (p: ReturnType<typeof plan>) => (nodes: number) => simulationDataShape(p.data, nodes);
/** A machine with a 4 GiB heap and 16 GiB of memory, all free. */
const machine: MemoryAvailable = {
  heapLimitBytes: 4 * GiB,
  heapFreeBytes: 4 * GiB,
  memoryBytes: 16 * GiB,
  memoryLimitBytes: 16 * GiB,
};

/** The one issue of the ConfigError `act` throws. */
function refusal(act: () => unknown) {
  let error: unknown;
  try {
    act();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const issues = (error as ConfigError).issues;
  expect(issues).toHaveLength(1);
  return { issue: issues[0]!, message: (error as ConfigError).message };
}

describe('checkSimulationMemory', () => {
  it('refuses a million nodes over a 4 GiB heap, naming --nodes, the estimate, the limit and the most that fit', () => {
    // Arrange
    const p = plan({ nodes: 1_000_000 });
    // Act
    const { issue, message } = refusal(() => checkSimulationMemory(p, shape(p), machine));
    // Assert
    expect(issue.path).toBe('--nodes');
    expect(issue.value).toBe(1_000_000);
    expect(message).toMatch(
      /^invalid command-line flags: --nodes: must be at most [\d,]+ nodes on this machine/,
    );
    expect(message).toContain('1,000,000 would need about 53.0 GiB');
    expect(message).toContain("V8's 4.00 GiB JavaScript heap limit");
    // the most that fit fits, one more does not
    const most = Number(/at most ([\d,]+) nodes/.exec(message)![1]!.replaceAll(',', ''));
    expect(() => checkSimulationMemory(plan({ nodes: most }), shape(p), machine)).not.toThrow();
    expect(() => checkSimulationMemory(plan({ nodes: most + 1 }), shape(p), machine)).toThrow(ConfigError);
  });

  it("names the machine's memory when the data and models, not the objects, are what does not fit", () => {
    const p = plan({ nodes: 2000, data: 'synthetic', model: 'mlp:2048' });
    const { message } = refusal(() =>
      checkSimulationMemory(p, shape(p), { ...machine, memoryBytes: GiB, memoryLimitBytes: GiB }),
    );
    expect(message).toContain('more than the 1.00 GiB of memory available');
  });

  it('names the config file’s field for a plan from a file', () => {
    const p = { ...plan({ nodes: 1_000_000 }), origin: 'file' as const };
    const { issue, message } = refusal(() => checkSimulationMemory(p, shape(p), machine));
    expect(issue.path).toBe('nodes');
    expect(message).toMatch(/^invalid simulation config: nodes: /);
  });

  it('refuses more than 1,000 nodes a round under secure aggregation, whatever the memory', () => {
    const roomy: MemoryAvailable = { ...machine, heapFreeBytes: 1e15, memoryBytes: 1e15 };
    const p = plan({ nodes: 2000, secureAggregation: 'secagg+' });
    const { issue } = refusal(() => checkSimulationMemory(p, shape(p), roomy));
    expect(issue.path).toBe('--nodes');
    expect(issue.allowed).toMatch(
      /^at most 1,000 nodes selected per round with secure aggregation \(secagg\+\), not 2,000 \(--nodes × --sample-rate\): a simulated secure round costs O\(m²\)/,
    );
    // a sample rate that selects 1,000 of them is allowed
    const sampled = plan({ nodes: 2000, secureAggregation: 'secagg+', sampleRate: 0.5 });
    expect(checkSimulationMemory(sampled, shape(sampled), roomy).nodesPerRound).toBe(1000);
  });

  it('returns the estimate of a run that fits', () => {
    const p = plan({ nodes: 10 });
    expect(checkSimulationMemory(p, shape(p), machine)).toEqual(
      simulationFootprint({ federation: p.federation, nodes: 10, shape: shape(p)(10) }),
    );
  });
});

describe('runSimulationJob', () => {
  const ctx = (events: JobEvent[], lines: string[]) => ({
    ledger: ledgerAt('sqlite::memory:'),
    principal: 'test',
    seed: 1,
    charge: false,
    progress: (e: JobEvent) => events.push(e),
    log: (line: string) => lines.push(line),
  });

  it('refuses a million nodes before it builds anything', async () => {
    const events: JobEvent[] = [];
    const lines: string[] = [];
    await expect(runSimulationJob(plan({ nodes: 1_000_000 }), ctx(events, lines))).rejects.toThrow(
      /--nodes: must be (at most [\d,]+|fewer) nodes on this machine: 1,000,000 would need about/,
    );
    expect(events).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('reports the data shards, the registrations and every round as progress events', async () => {
    // Arrange
    const events: JobEvent[] = [];
    const lines: string[] = [];
    // Act
    const { run } = await runSimulationJob(plan({ nodes: 4, rounds: 2 }), ctx(events, lines));
    // Assert
    expect(run.coordinator.status).toBe('finished');
    const progress = events.filter((e) => e.kind === 'progress');
    const of = (stage: string) =>
      progress.filter((e) => e.stage === stage).map((e) => [e.done, e.total, e.message]);
    expect(of('data')).toEqual([1, 2, 3, 4].map((i) => [i, 4, `building the nodes' data shards: ${i}/4`]));
    expect(of('registration').map(([done]) => done)).toEqual([1, 2, 3, 4]);
    expect(of('round').map(([, , message]) => message)).toEqual(
      [1, 2].flatMap((round) =>
        [1, 2, 3, 4].map((i) => `round ${round}/2: ${i} of 4 selected nodes trained`),
      ),
    );
    // four nodes: nothing of it on the log (only runs of more than 50 nodes print progress)
    expect(lines.some((l) => l.includes('data shards') || l.includes('estimated memory'))).toBe(false);
  });
});
