import { describe, expect, it } from 'vitest';
import { calibrateNoiseMultiplier, createAccountant } from '../../accounting/index.js';
import { NumericError } from '../../core/index.js';
import { expectInvalidParameter } from '../_testing.js';
import { DPGAN_PRIVACY_DEFAULTS, dpSgdSchedule, epsilonOf, marginalEvent, planDpGan } from './plan.js';

describe('planDpGan', () => {
  it('calibrates z as veil train does and fits the marginals so that everything composes to at most epsilon', () => {
    const plan = planDpGan(1, 1e-9, 14);
    const d = DPGAN_PRIVACY_DEFAULTS;
    expect(plan).toMatchObject({
      accountant: 'rdp',
      steps: d.steps,
      sampleRate: d.sampleRate,
      attributes: 14,
    });
    const z = calibrateNoiseMultiplier({
      targetEpsilon: (1 - d.marginalShare) * 1,
      delta: 1e-9,
      sampleRate: d.sampleRate,
      steps: d.steps,
    }).noiseMultiplier;
    expect(plan.noiseMultiplier).toBe(z);
    expect(plan.events).toEqual([
      ...Array.from({ length: 14 }, () => marginalEvent(plan.marginalSigma)),
      dpSgdSchedule(d.sampleRate, z, d.steps),
    ]);
    const rdp = createAccountant('rdp').compose({ kind: 'composed', events: plan.events });
    const epsilon = rdp.epsilon({ delta: 1e-9 });
    expect(epsilon).toBeLessThanOrEqual(1);
    expect(epsilon).toBeGreaterThan(0.999); // the marginals take what the DP-SGD part leaves
    // slightly less marginal noise would pass the target
    const tighter = [...plan.events];
    tighter[0] = marginalEvent(plan.marginalSigma * 0.999);
    expect(epsilonOf(tighter, 1e-9, 'rdp')).toBeGreaterThan(1);
  });

  it('plans with the PLD accountant when asked, within epsilon under it', () => {
    const plan = planDpGan(2, 1e-6, 3, { steps: 10, sampleRate: 0.1, accountant: 'pld' });
    expect(plan.accountant).toBe('pld');
    expect(epsilonOf(plan.events, 1e-6, 'pld')).toBeLessThanOrEqual(2);
  });

  it('refuses bad targets and options before any computation', () => {
    expectInvalidParameter(() => planDpGan(0, 1e-9, 3), 'planDpGan', 'epsilon');
    expectInvalidParameter(() => planDpGan(Number.NaN, 1e-9, 3), 'planDpGan', 'epsilon');
    expectInvalidParameter(() => planDpGan(1, 1, 3), 'planDpGan', 'delta');
    expectInvalidParameter(() => planDpGan(1, 0, 3), 'planDpGan', 'delta');
    expectInvalidParameter(() => planDpGan(1, 1e-9, 0), 'planDpGan', 'attributes');
    expectInvalidParameter(() => planDpGan(1, 1e-9, 3, { steps: 0 }), 'planDpGan', 'steps');
    expectInvalidParameter(() => planDpGan(1, 1e-9, 3, { sampleRate: 0 }), 'planDpGan', 'sampleRate');
    expectInvalidParameter(() => planDpGan(1, 1e-9, 3, { sampleRate: 1.5 }), 'planDpGan', 'sampleRate');
    expectInvalidParameter(() => planDpGan(1, 1e-9, 3, { maxGradNorm: -1 }), 'planDpGan', 'maxGradNorm');
    expectInvalidParameter(() => planDpGan(1, 1e-9, 3, { marginalShare: 1 }), 'planDpGan', 'marginalShare');
  });

  it('refuses an epsilon no noise multiplier reaches for the schedule (VEIL_NUMERIC_FAILURE)', () => {
    expect(() => planDpGan(1e-7, 1e-9, 3, { sampleRate: 1, steps: 10_000 })).toThrow(NumericError);
  });
});
