/**
 * The demo job called as a function (no CLI): its spec's defaults and refusals, the events it reports, and the
 * summary it returns. The end-to-end claims (accuracy, ledger, report) are pinned by src/cli/commands/demo.test.ts.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { parseSpec } from '../spec.js';
import { DEMO_ORGANISATIONS, DEMO_SETTINGS } from './federation.js';
import { type DemoEvent, runDemoJob } from './run.js';
import { DemoSpecSchema } from './spec.js';

const base = mkdtempSync(join(tmpdir(), 'veil-demo-job-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('the demo spec', () => {
  it("fills the demo's settings as defaults", () => {
    expect(parseSpec(DemoSpecSchema, {}, 'demo spec')).toEqual({
      processes: false,
      dir: join('veil-data', 'demo'),
      rounds: DEMO_SETTINGS.rounds,
      epsilon: DEMO_SETTINGS.localEpsilon,
    });
  });

  it('refuses every bad field at once, under its spec path', () => {
    let error: unknown;
    try {
      parseSpec(DemoSpecSchema, { rounds: 0, epsilon: 60, extra: 1 }, 'demo spec');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => [i.path, i.allowed])).toEqual([
      ['rounds', 'an integer in [1, 100]'],
      ['epsilon', 'a budget in (0, 50]'],
      ['extra', 'absent (not a known field)'],
    ]);
  });

  it('refuses a dir that is a file, or lies under one, saying what it must be', () => {
    const file = join(base, 'a-file');
    writeFileSync(file, 'not a directory');
    const issues = (dir: string) => {
      try {
        parseSpec(DemoSpecSchema, { dir }, 'demo spec');
      } catch (err) {
        return (err as ConfigError).issues.map((i) => [i.path, i.allowed]);
      }
      return [];
    };
    expect(issues(file)).toEqual([['dir', 'a directory Veil can create or write in (it is a file)']]);
    expect(issues(join(file, 'runs'))).toEqual([
      ['dir', `a directory Veil can create or write in (${file} is a file)`],
    ]);
    expect(issues(join(base, 'not-yet', 'runs'))).toEqual([]);
  });
});

describe('runDemoJob', () => {
  it('refuses a seed with processes before it creates anything', async () => {
    const dir = join(base, 'refused');
    const spec = parseSpec(DemoSpecSchema, { processes: true, dir }, 'demo spec');
    await expect(runDemoJob(spec, { principal: 'test', seed: 1, progress: () => {} })).rejects.toThrow(
      /seed: must be left out with --processes/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a dir that is a file before it creates anything (a spec not parsed by the schema)', async () => {
    const file = join(base, 'another-file');
    writeFileSync(file, 'not a directory');
    const spec = { processes: false, dir: file, rounds: 2, epsilon: 3 };
    await expect(runDemoJob(spec, { principal: 'test', progress: () => {} })).rejects.toThrow(
      'invalid demo spec: dir: must be a directory Veil can create or write in (it is a file)',
    );
  });

  it("charges every hospital's plan before the first round, and the lineage names every hospital's dataset", async () => {
    // Arrange
    const dir = join(base, 'charged');
    const spec = parseSpec(DemoSpecSchema, { dir, rounds: 2 }, 'demo spec');
    let firstRound: string | null = null;
    // Act
    const { summary, organisations } = await runDemoJob(spec, {
      principal: 'test',
      seed: 3,
      progress: (e) => {
        if (e.kind === 'round' && firstRound === null) firstRound = new Date().toISOString();
      },
    });
    // Assert
    const ledger = await Ledger.open(`sqlite:${summary.ledger}`, { create: false });
    try {
      const entries = await ledger.auditEntries();
      const spends = entries.filter((e) => e.action === 'budget.spend');
      expect(spends.map((e) => e.account)).toEqual(organisations.map((o) => `${o}/readmission-risk`));
      for (const e of spends) expect(e.at <= firstRound!).toBe(true);
      const lineage = entries.at(-1)!;
      expect(lineage.action).toBe('job.complete');
      expect(lineage.dataset!.split(', ').map((d) => d.split('@')[0])).toEqual(
        organisations.map((o) => `${o}-patients`),
      );
      expect(lineage.detail).toMatchObject({ spendIds: [1, 2, 3, 4, 5] });
      for (const o of organisations)
        expect((await ledger.status(`${o}/readmission-risk`)).epsilonSpent).toBe(summary.epsilon[o]);
    } finally {
      await ledger.close();
    }
  });

  it('records job.failed, with the spends and every dataset, when it fails after the charge', async () => {
    // Arrange: cancelled during the federation, after the charges
    const dir = join(base, 'failed');
    const spec = parseSpec(DemoSpecSchema, { dir, rounds: 2 }, 'demo spec');
    const cancel = new AbortController();
    // Act
    await expect(
      runDemoJob(spec, {
        principal: 'test',
        seed: 4,
        signal: cancel.signal,
        progress: (e) => {
          if (e.kind === 'round') cancel.abort(new Error('stopped by the test'));
        },
      }),
    ).rejects.toThrow('stopped by the test');
    // Assert
    const runDir = join(dir, readdirSync(dir)[0]!);
    const ledger = await Ledger.open(`sqlite:${join(runDir, 'veil.db')}`, { create: false });
    try {
      const entries = await ledger.auditEntries();
      const last = entries.at(-1)!;
      expect(last.action).toBe('job.failed');
      expect(last.dataset!.split(', ')).toHaveLength(DEMO_ORGANISATIONS.length);
      expect(last.detail).toMatchObject({
        spendIds: [1, 2, 3, 4, 5],
        stage: 'federated training',
        reason: 'stopped by the test',
      });
      expect((await ledger.verifyAudit()).ok).toBe(true);
    } finally {
      await ledger.close();
    }
  });

  it('reports its stages and every round, and returns the summary of a seeded run', async () => {
    // Arrange
    const events: DemoEvent[] = [];
    const spec = parseSpec(DemoSpecSchema, { dir: base, rounds: 2 }, 'demo spec');
    // Act
    const { summary, organisations } = await runDemoJob(spec, {
      principal: 'test',
      seed: 5,
      progress: (e) => events.push(e),
    });
    // Assert
    expect(organisations).toEqual(DEMO_ORGANISATIONS.map((o) => o.name));
    expect(events.map((e) => (e.kind === 'step' ? e.message.split(':')[0] : e.kind))).toEqual([
      'started',
      'ledger',
      'federated training',
      'round',
      'round',
      'baselines',
    ]);
    const started = events[0] as Extract<DemoEvent, { kind: 'started' }>;
    expect(summary.ledger).toBe(join(started.runDir, 'veil.db'));
    expect(summary).toMatchObject({ ok: true, rounds: 2, private: false, seed: 5, auditVerified: true });
    expect(Object.keys(summary.epsilon)).toEqual(organisations);
    expect(existsSync(summary.reportPath)).toBe(true);
  });
});
