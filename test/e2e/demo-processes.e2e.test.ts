/**
 * `veil demo --processes`: the demo federation as one `veil coordinator` and five `veil node` processes over mutual
 * TLS on loopback (src/cli/commands/demo-processes.ts). Checks rounds, each organisation's local-DP spend, the
 * global model's accuracy on the held-out test set, and that no process outlives the run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEMO_SETTINGS,
  type DemoRound,
  demoData,
  demoFederation,
} from '../../src/cli/commands/demo-federation.js';
import { PROCESSES_TRANSPORT, runInProcesses } from '../../src/cli/commands/demo-processes.js';
import { seededRng } from '../../src/core/index.js';
import { federationModel, loadParams } from '../../src/fl/index.js';
import { SequentialModel } from '../../src/ml/index.js';
import { evaluateModel } from '../../src/train/index.js';

const base = mkdtempSync(join(tmpdir(), 'veil-demo-processes-e2e-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('veil demo --processes', () => {
  it('runs the demo federation as separate processes over mutual TLS and leaves none behind', async () => {
    // Arrange
    const data = demoData();
    const settings = { ...DEMO_SETTINGS, rounds: 5 };
    const dir = join(base, 'run');
    const rounds: DemoRound[] = [];
    const logs: string[] = [];
    // Act
    const run = await runInProcesses(data, settings, {
      dir,
      onRound: (r) => rounds.push(r),
      onLog: (l) => logs.push(l),
    });
    // Assert
    expect(processesMentioning(dir)).toEqual([]);
    expect(run.roundsCompleted).toBe(5);
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5]);
    expect(rounds.every((r) => r.participants === data.nodes.length && r.accuracy !== null)).toBe(true);
    expect(logs.some((l) => /^coordinator: federation finished after 5 rounds/.test(l))).toBe(true);
    expect(run.transport).toBe(PROCESSES_TRANSPORT);
    expect(run.private).toBe(true);
    expect(Object.keys(run.epsilonByOrganisation).sort()).toEqual(data.nodes.map((n) => n.name).sort());
    for (const n of data.nodes) {
      expect(run.epsilonByOrganisation[n.name]).toBeGreaterThan(0);
      expect(run.epsilonByOrganisation[n.name]).toBeLessThanOrEqual(settings.localEpsilon);
      expect(run.eventsByOrganisation[n.name]).toHaveLength(5);
    }
    expect(run.bytes.sent).toBeGreaterThan(0);
    expect(run.bytes.received).toBeGreaterThan(0);

    const first = data.nodes[0]!.train;
    const { spec } = federationModel(
      demoFederation(settings, data.nodes.length),
      first.featureShape,
      first.numClasses,
    );
    const model = new SequentialModel(spec, first.featureShape, first.numClasses, seededRng(0));
    loadParams(model.params, run.global);
    const accuracy = evaluateModel(model, data.test).accuracy;
    expect(accuracy).toBeCloseTo(rounds[4]!.accuracy!, 10);
    expect(accuracy).toBeGreaterThan(0.5);
  }, 120_000);

  // Not met yet: the nodes train on the features rescaled to [0, 1] (the CSV loader's only numeric encoding), which
  // learns far more slowly than the in-process run at the same learning rate (5 rounds: ~56% here, the majority
  // class is 55.8%; in process ~67%). Needs a node data source that loads the demo's features unchanged.
  it.todo('the global model beats the majority class clearly, as the in-process run does');

  it('kills every process on timeout, naming those still running', async () => {
    const dir = join(base, 'timeout');
    await expect(
      runInProcesses(demoData(), { ...DEMO_SETTINGS, rounds: 2 }, { dir, timeoutMs: 3_000 }),
    ).rejects.toThrow(/timed out after 3 s; still running: coordinator, student-health/);
    expect(processesMentioning(dir)).toEqual([]);
  }, 60_000);
});
