/**
 * The demo job called as a function (no CLI): its spec's defaults and refusals, the events it reports, and the
 * summary it returns. The end-to-end claims (accuracy, ledger, report) are pinned by src/cli/commands/demo.test.ts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
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
