import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import { budgetCreate, budgetSpend } from './budget.js';
import { budgetAllocate, budgetForecast } from './budget-planning.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-budget-planning-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = `sqlite:${join(dir, 'veil.db')}`;

describe('veil budget forecast|allocate', () => {
  it('forecasts: not enough history, then a burn-down and a projection', async () => {
    await budgetCreate('acme', { epsilon: '8', delta: '1e-5', db });
    const empty = await budgetForecast('acme', { db });
    expect(empty.text.at(-1)).toMatch(/^projection: not enough history: 0 granted spend/);
    const file = join(dir, 'events.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          kind: 'self-composed',
          event: {
            kind: 'poisson-sampled',
            sampleRate: 0.01,
            event: { kind: 'gaussian', sigma: 1.1, l2Sensitivity: 1 },
          },
          count: 1000,
        },
      ]),
    );
    await budgetSpend('acme', { events: file, purpose: 'run 1', db });
    await budgetSpend('acme', { events: file, purpose: 'run 2', db });
    const f = await budgetForecast('acme', { window: '5', db });
    expect(f.text[1]).toBe('burn-down (2 granted spends): composed epsilon after each, and the naive sum');
    expect(f.text[2]).toMatch(/#1 .* "run 1": \+1\.71\d+ -> 1\.71\d+ \(sum 1\.71\d+\)/);
    expect(f.text.at(-1)).toMatch(
      /^projection: \d+ more spends like the last 2 fit \(composed; dividing the remaining epsilon would say \d+\)/,
    );
    await expect(budgetForecast('acme', { window: '1', db })).rejects.toThrow(/--window/);
    await expect(budgetForecast(undefined, { db })).rejects.toThrow(/ACCOUNT/);
  });

  it('allocates DP-SGD noise and (epsilon, delta) splits from a jobs file, and names bad input', async () => {
    await budgetCreate('acme/ecg', { epsilon: '6', delta: '1e-5', db });
    const jobs = join(dir, 'jobs.json');
    writeFileSync(jobs, JSON.stringify([{ kind: 'dp-sgd', name: 'a', sampleRate: 0.01, steps: 2000 }]));
    const plan = await budgetAllocate('acme/ecg', { jobs, db });
    expect(plan.text[0]).toMatch(/^acme\/ecg: 1 DP-SGD jobs fit with noise multiplier [\d.]+ \/ weight/);
    expect(plan.text.some((t) => /\(binding\)$/.test(t))).toBe(true);
    writeFileSync(
      jobs,
      JSON.stringify([
        { kind: 'epsilon-delta', weight: 1 },
        { kind: 'epsilon-delta', weight: 2 },
      ]),
    );
    const split = await budgetAllocate('acme/ecg', { jobs, db });
    expect(split.summary.allocation).toMatchObject({ mode: 'epsilon-delta' });
    await expect(budgetAllocate('acme/ecg', { db })).rejects.toThrow(ConfigError);
    writeFileSync(jobs, '[]');
    await expect(budgetAllocate('acme/ecg', { jobs, db })).rejects.toThrow(/at least one planned job/);
    writeFileSync(jobs, JSON.stringify([{ kind: 'dp-sgd', sampleRate: 0.01 }]));
    await expect(budgetAllocate('acme/ecg', { jobs, db })).rejects.toThrow(InvalidParameterError);
  });
});
