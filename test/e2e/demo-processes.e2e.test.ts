/**
 * `veil demo --processes`: the demo federation as one `veil coordinator` and five `veil node` processes over mutual
 * TLS on loopback (src/jobs/demo/processes.ts). Checks rounds, each organisation's local-DP spend, the
 * global model's accuracy on the held-out test set (against the majority class and the in-process run with the same
 * settings), that the nodes start only once the coordinator listens (no retry lines), and that no process outlives
 * the run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_NODE_ACCOUNT,
  DEMO_SETTINGS,
  type DemoRound,
  type DemoRun,
  demoData,
  globalAccuracy,
  PROCESSES_TRANSPORT,
  runInProcess,
  runInProcesses,
} from '../../src/jobs/index.js';
import { Ledger } from '../../src/ledger/index.js';

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

/** The share of the most frequent class: what a constant prediction scores. */
function majorityRate(labels: Int32Array): number {
  const counts = new Map<number, number>();
  for (const y of labels) counts.set(y, (counts.get(y) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}

describe('veil demo --processes', () => {
  // 10 rounds rather than the demo's 20, to stay quick: the run's time is mostly the processes' start-up
  const data = demoData();
  const settings = { ...DEMO_SETTINGS, rounds: 10 };
  const dir = join(base, 'run');
  const rounds: DemoRound[] = [];
  const logs: string[] = [];
  let run: DemoRun;
  let leftBehind: number[];

  beforeAll(async () => {
    run = await runInProcesses(data, settings, {
      dir,
      onRound: (r) => rounds.push(r),
      onLog: (l) => logs.push(l),
    });
    leftBehind = processesMentioning(dir);
  }, 180_000);

  /** The accuracy on `data.test` of a global model of the demo federation. */
  const accuracyOf = (global: Float32Array) => globalAccuracy(data, settings, global);

  it('runs the demo federation as separate processes over mutual TLS and leaves none behind', () => {
    expect(leftBehind).toEqual([]);
    expect(run.roundsCompleted).toBe(10);
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rounds.every((r) => r.participants === data.nodes.length && r.accuracy !== null)).toBe(true);
    expect(logs.some((l) => /^coordinator: federation finished after 10 rounds/.test(l))).toBe(true);
    // the nodes start once the coordinator listens: none dials a closed port and prints that it retries
    const listening = logs.findIndex((l) => /^coordinator: listening on /.test(l));
    expect(listening).toBeGreaterThanOrEqual(0);
    expect(logs.slice(0, listening).filter((l) => !l.startsWith('coordinator:'))).toEqual([]);
    expect(logs.filter((l) => /unreachable|ECONNREFUSED|retrying/.test(l))).toEqual([]);
    expect(run.transport).toBe(PROCESSES_TRANSPORT);
    expect(run.private).toBe(true);
    expect(Object.keys(run.epsilonByOrganisation).sort()).toEqual(data.nodes.map((n) => n.name).sort());
    for (const n of data.nodes) {
      expect(run.epsilonByOrganisation[n.name]).toBeGreaterThan(0);
      expect(run.epsilonByOrganisation[n.name]).toBeLessThanOrEqual(settings.localEpsilon);
      expect(run.eventsByOrganisation[n.name]).toHaveLength(10);
    }
    expect(run.bytes.sent).toBeGreaterThan(0);
    expect(run.bytes.received).toBeGreaterThan(0);
    expect(accuracyOf(run.global)).toBeCloseTo(rounds[9]!.accuracy!, 10);
  });

  it("each node charged its own ledger before every round: its audit log verifies and lists every round's spend", async () => {
    for (const n of data.nodes) {
      const ledger = await Ledger.open(`sqlite:${join(dir, n.name, 'state', 'ledger.db')}`);
      try {
        const verified = await ledger.verifyAudit();
        expect(verified.ok, JSON.stringify(verified)).toBe(true);
        const spends = await ledger.spends(DEFAULT_NODE_ACCOUNT);
        const rounds = Array.from(
          { length: 10 },
          (_, i) => `federated training as ${n.name}: round ${i + 1}`,
        );
        expect(spends.map((x) => x.purpose)).toEqual(rounds);
        expect(spends.every((x) => x.status === 'granted')).toBe(true);
        const audited = (await ledger.auditEntries())
          .filter((e) => e.action === 'budget.spend' && e.outcome === 'granted')
          .map((e) => e.purpose);
        expect(audited).toEqual(rounds);
        expect((await ledger.status(DEFAULT_NODE_ACCOUNT)).epsilonSpent).toBeCloseTo(
          run.epsilonByOrganisation[n.name]!,
          9,
        );
      } finally {
        await ledger.close();
      }
    }
  });

  it('trains a global model that beats the majority class clearly and is close to the in-process run', async () => {
    // Arrange: the same federation in this process (measured, 10 rounds, epsilon 3: both 0.76-0.79 on a test
    // set whose majority class is 55.9%; in processes and in process alike)
    const majority = majorityRate(data.test.labels);
    const inProcess = accuracyOf((await runInProcess(data, settings)).global);
    // Act
    const processes = accuracyOf(run.global);
    // Assert
    expect(processes).toBeGreaterThan(majority + 0.1);
    expect(Math.abs(processes - inProcess)).toBeLessThan(0.08);
  }, 60_000);

  it('kills every process on timeout, naming those still running', async () => {
    const dir = join(base, 'timeout');
    // the nodes start once the coordinator listens: on a slow machine, 3 s may find the coordinator alone
    await expect(
      runInProcesses(demoData(), { ...DEMO_SETTINGS, rounds: 2 }, { dir, timeoutMs: 3_000 }),
    ).rejects.toThrow(/timed out after 3 s; still running: coordinator(, student-health)?\b/);
    expect(processesMentioning(dir)).toEqual([]);
  }, 60_000);
});
