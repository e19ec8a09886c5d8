/**
 * The walk of issue 12: `epsilon` from `veil train --epsilon` to the ledger crosses the CLI once (flags in,
 * summary out), is checked once (the job's spec), and is calibrated once — the ledger is charged for the very
 * plan the trainer runs. The accountant's calibration is spied on through a module mock.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const calibrations = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../accounting/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../accounting/index.js')>();
  return {
    ...actual,
    calibrateNoiseMultiplier: (...args: Parameters<typeof actual.calibrateNoiseMultiplier>) => {
      calibrations.count++;
      return actual.calibrateNoiseMultiplier(...args);
    },
  };
});

// Test files share a module graph (vitest.config.ts, isolate: false): drop what other files loaded, so that the
// CLI and the trainer are imported afresh and see the mocked accountant.
vi.resetModules();
const { runVeil } = await import('../testing.js');

describe('veil train --epsilon, walked to the ledger', () => {
  it('calibrates once, and the spend is the plan the trainer ran', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-walk-'));
    const rows = ['x,label'];
    for (let i = 0; i < 400; i++) rows.push(`${(i % 17) / 17},${i % 2 ? 'a' : 'b'}`);
    const csv = join(dir, 'toy.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const db = `sqlite:${join(dir, 'ledger.db')}`;
    expect(
      (await runVeil('budget', 'create', 'team', '--epsilon', '5', '--delta', '1e-5', '--db', db)).code,
    ).toBe(0);
    const before = calibrations.count;
    const run = await runVeil(
      '--json',
      'train',
      '--data',
      csv,
      '--label',
      'label',
      '--public-size',
      '400',
      '--batch-size',
      '40',
      '--epochs',
      '2',
      '--epsilon',
      '1.5',
      '--budget-account',
      'team',
      '--purpose',
      'walk',
      '--db',
      db,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(calibrations.count - before).toBe(1);
    const s = run.json() as {
      noiseMultiplier: number;
      steps: number;
      epsilonSpent: number;
      ledger: { spend: { id: number; epsilonAfter: { team: number } } };
    };
    const spends = await runVeil('--json', 'budget', 'show', 'team', '--db', db);
    const shown = JSON.stringify(spends.json());
    // the event charged is the trainer's: its noise (sigma = noise multiplier x sensitivity 1) and step count
    expect(shown).toContain(`"sigma":${s.noiseMultiplier},"l2Sensitivity":1}},"count":${s.steps}}`);
    expect(s.ledger.spend.epsilonAfter.team).toBeCloseTo(s.epsilonSpent, 6);
    expect(s.epsilonSpent).toBeLessThanOrEqual(1.5);
  });
});
