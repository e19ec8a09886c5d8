import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dpSgdEvent, gaussianEvent, RdpAccountant } from '../../accounting/index.js';
import { BudgetExceededError, InvalidParameterError, UnsupportedError } from '../../core/index.js';
import { composedEpsilonPlain } from './compose.js';
import { Ledger } from './ledger.js';
import { allocate, burnDown, forecast, projectExhaustion } from './planning.js';

const dirs: string[] = [];
const ledgers: Ledger[] = [];
afterEach(async () => {
  for (const l of ledgers.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A ledger whose clock advances one day per call. */
async function open() {
  const dir = mkdtempSync(join(tmpdir(), 'veil-planning-'));
  dirs.push(dir);
  let day = 0;
  const ledger = await Ledger.open(`sqlite:${join(dir, 'veil.db')}`, {
    now: () => new Date(Date.UTC(2026, 0, 1) + day++ * 86_400_000),
  });
  ledgers.push(ledger);
  return ledger;
}

const sgd = dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 1000 });

describe('burn-down', () => {
  it('gives the composed epsilon after each spend (equal to composing the prefix) and the naive sum', () => {
    const spends = [sgd, gaussianEvent({ sigma: 3 }), sgd, sgd].map((e, i) => ({
      id: i + 1,
      account: 'a',
      purpose: 'p',
      createdAt: new Date(Date.UTC(2026, 0, i + 1)).toISOString(),
      events: [e],
    }));
    const points = burnDown('rdp', 1e-5, spends);
    expect(points).toHaveLength(4);
    points.forEach((p, i) => {
      const prefix = spends.slice(0, i + 1).flatMap((s) => s.events);
      expect(p.epsilonAfter).toBeCloseTo(composedEpsilonPlain('rdp', prefix, 1e-5), 9);
    });
    const own = new RdpAccountant().compose(sgd).epsilon({ delta: 1e-5 });
    expect(points[0]!.epsilon).toBeCloseTo(own, 12);
    expect(points[3]!.naiveSumAfter).toBeGreaterThan(points[3]!.epsilonAfter); // composition is sublinear
  });
});

describe('projected exhaustion', () => {
  it('says "not enough history" below 2 spends', () => {
    const p = projectExhaustion({ kind: 'rdp', limit: 10, delta: 1e-5 }, [], 10);
    expect(p).toMatchObject({ status: 'not-enough-history' });
    expect(p.status === 'not-enough-history' && p.reason).toMatch(/not enough history: 0 granted spend/);
  });

  it('counts the spends that fit by composition, more than dividing the remaining epsilon', async () => {
    const ledger = await open();
    await ledger.createAccount({ path: 'acme', epsilon: 8, delta: 1e-5 });
    for (let i = 0; i < 3; i++) await ledger.spend('acme', [sgd], { purpose: `run ${i}` });
    const f = await forecast(ledger, 'acme', { window: 5 });
    expect(f.burnDown.map((p) => p.id)).toEqual([1, 2, 3]);
    expect(f.projection.status).toBe('projected');
    if (f.projection.status !== 'projected') return;
    const m = f.projection.spendsThatFit!;
    // exactly m more identical runs fit, m + 1 do not
    const run = (n: number) =>
      composedEpsilonPlain(
        'rdp',
        [dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 1000 * n })],
        1e-5,
      );
    expect(run(3 + m)).toBeLessThanOrEqual(8);
    expect(run(3 + m + 1)).toBeGreaterThan(8);
    expect(m).toBeGreaterThan(f.projection.naiveSpendsThatFit);
    // the window's rate: the mean time between its spends
    const times = f.burnDown.map((p) => Date.parse(p.createdAt));
    const interval = (times[2]! - times[0]!) / 2;
    expect(interval).toBeGreaterThan(0);
    expect(f.projection.meanIntervalMs).toBe(interval);
    expect(f.projection.exhaustedAt).toBe(new Date(times[2]! + (m + 1) * interval).toISOString());
    await expect(forecast(ledger, 'acme', { window: 1 })).rejects.toThrow(InvalidParameterError);
  });
});

describe('allocation', () => {
  it('finds a common noise multiplier so that history plus the planned DP-SGD jobs just fits', async () => {
    const ledger = await open();
    await ledger.createAccount({ path: 'acme', epsilon: 10, delta: 1e-5 });
    await ledger.createAccount({ path: 'acme/ecg', epsilon: 6, delta: 1e-5 });
    await ledger.spend('acme/ecg', [sgd], { purpose: 'earlier run' });
    const jobs = [
      { kind: 'dp-sgd', name: 'a', sampleRate: 0.01, steps: 2000 },
      { kind: 'dp-sgd', name: 'b', sampleRate: 0.02, steps: 500 },
    ];
    const plan = await allocate(ledger, 'acme/ecg', jobs);
    expect(plan.mode).toBe('dp-sgd');
    expect(plan.binding).toBe('acme/ecg');
    const sigma = plan.jobs[0]!.noiseMultiplier!;
    expect(plan.jobs[1]!.noiseMultiplier).toBe(sigma);
    const all = (s: number) => [
      sgd,
      dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: s, steps: 2000 }),
      dpSgdEvent({ sampleRate: 0.02, noiseMultiplier: s, steps: 500 }),
    ];
    expect(composedEpsilonPlain('rdp', all(sigma), 1e-5)).toBeLessThanOrEqual(6);
    expect(composedEpsilonPlain('rdp', all(sigma * 0.995), 1e-5)).toBeGreaterThan(6); // within 0.5% of the least
    expect(plan.jobs[0]!.epsilon).toBeCloseTo(composedEpsilonPlain('rdp', [all(sigma)[1]!], 1e-5), 9);
    // weights scale the multipliers: weight 2 gets half the noise
    const weighted = await allocate(ledger, 'acme/ecg', [jobs[0], { ...jobs[1], weight: 2 }]);
    expect(weighted.jobs[1]!.noiseMultiplier! * 2).toBeCloseTo(weighted.jobs[0]!.noiseMultiplier!, 9);
  });

  it('splits epsilon by weight for (epsilon, delta) jobs, and the plan is spendable', async () => {
    const ledger = await open();
    await ledger.createAccount({ path: 'acme', epsilon: 4, delta: 1e-5 });
    const plan = await allocate(ledger, 'acme', [
      { kind: 'epsilon-delta', name: 'counts', weight: 1 },
      { kind: 'epsilon-delta', name: 'histogram', weight: 3, delta: 1e-7 },
    ]);
    expect(plan.jobs[1]!.epsilon).toBeCloseTo(3 * plan.jobs[0]!.epsilon, 3);
    expect(plan.accounts[0]!.epsilonAfter).toBeLessThanOrEqual(4);
    // at least the naive split 4 / (1 + 3), less the rounding down to 4 digits (two pure-DP releases: the sum is
    // the tightest composition, so no more than that either)
    expect(plan.jobs[0]!.epsilon).toBeGreaterThanOrEqual(0.999);
    await ledger.spend('acme', plan.jobs[0]!.events, { purpose: 'counts' });
    await ledger.spend('acme', plan.jobs[1]!.events, { purpose: 'histogram' }); // the plan is spendable
  });

  it('refuses mixed, malformed or unaffordable plans and accountants that cannot compose them', async () => {
    const ledger = await open();
    await ledger.createAccount({ path: 'acme', epsilon: 1, delta: 1e-5 });
    await ledger.createAccount({ path: 'z', epsilon: 1, delta: 1e-5, accountant: 'zcdp' });
    await expect(allocate(ledger, 'acme', [])).rejects.toThrow(InvalidParameterError);
    await expect(
      allocate(ledger, 'acme', [{ kind: 'dp-sgd', sampleRate: 0.1, steps: 10 }, { kind: 'epsilon-delta' }]),
    ).rejects.toThrow(/one kind/);
    await expect(allocate(ledger, 'acme', [{ kind: 'dp-sgd', sampleRate: 2, steps: 10 }])).rejects.toThrow(
      /jobs\[0\]\.sampleRate/,
    );
    await expect(allocate(ledger, 'z', [{ kind: 'dp-sgd', sampleRate: 0.1, steps: 10 }])).rejects.toThrow(
      UnsupportedError,
    );
    await ledger.spend('acme', [{ kind: 'pure-dp', epsilon: 1 }], { purpose: 'all of it' });
    await expect(allocate(ledger, 'acme', [{ kind: 'epsilon-delta' }])).rejects.toThrow(BudgetExceededError);
  });
});
