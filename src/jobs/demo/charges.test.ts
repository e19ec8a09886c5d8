/** The demo's charges: each hospital's plan is what its node spends, and nothing outside it is granted. */
import { describe, expect, it } from 'vitest';
import { dpSgdEvent } from '../../accounting/index.js';
import { BudgetExceededError, IntegrityError } from '../../core/index.js';
import { epsilonSpent } from '../../fl/index.js';
import { checkWithinPlan, planHospitals, prepaidBudget } from './charges.js';
import { DEMO_SETTINGS, demoData, runInProcess } from './federation.js';

const settings = { ...DEMO_SETTINGS, rounds: 3 };
const data = demoData();
const plans = planHospitals(data, settings);

describe('planHospitals', () => {
  it('plans every round of every hospital within its budget, and spends nearly all of it', () => {
    expect(plans.map((p) => p.organisation)).toEqual(data.nodes.map((n) => n.name));
    for (const p of plans) {
      expect(p.events).toHaveLength(settings.rounds);
      const epsilon = epsilonSpent(p.events, settings.delta, 'rdp');
      expect(epsilon).toBeLessThanOrEqual(settings.localEpsilon);
      expect(epsilon).toBeGreaterThan(0.99 * settings.localEpsilon);
    }
  });

  it('is exactly what each node spends when left to plan by itself', async () => {
    // Arrange: the nodes with budgets of their own (in memory), not the prepaid plan
    // Act
    const run = await runInProcess(data, settings, { seed: 1 });
    // Assert
    for (const p of plans) expect(run.eventsByOrganisation[p.organisation]).toEqual(p.events);
  });
});

describe('prepaidBudget', () => {
  const plan = plans[0]!;

  it('grants the plan, round by round, and refuses one more round', async () => {
    const budget = prepaidBudget(plan, settings);
    expect(await budget.events()).toEqual([]);
    let epsilon = 0;
    for (const [i, e] of plan.events.entries()) {
      epsilon = await budget.charge([e], `round ${i + 1}`);
      expect(await budget.events()).toHaveLength(i + 1);
    }
    expect(epsilon).toBeCloseTo(epsilonSpent(plan.events, settings.delta, 'rdp'), 12);
    await expect(budget.charge([plan.events[0]!], 'round 4')).rejects.toThrow(BudgetExceededError);
  });

  it('refuses an event that is not the plan’s next one (nothing charged)', async () => {
    const budget = prepaidBudget(plan, settings);
    const other = dpSgdEvent({ sampleRate: 0.5, noiseMultiplier: 0.1, steps: 2 });
    await expect(budget.charge([other], 'round 1')).rejects.toThrow(
      /round 1 is not in the plan its ledger account was charged for before training \(0 of 3 planned rounds spent\)/,
    );
    expect(await budget.events()).toEqual([]);
  });
});

describe('checkWithinPlan', () => {
  const plan = plans[1]!;

  it('accepts the plan or its first rounds, and refuses anything else', () => {
    expect(() => checkWithinPlan(plan, plan.events)).not.toThrow();
    expect(() => checkWithinPlan(plan, plan.events.slice(0, 1))).not.toThrow();
    expect(() => checkWithinPlan(plan, [...plan.events, plan.events[0]!])).toThrow(IntegrityError);
    expect(() => checkWithinPlan(plan, [plans[0]!.events[0]!])).toThrow(
      `${plan.organisation}: its node spent 1 privacy event(s) that are not the 3 rounds its ledger account was charged for before training`,
    );
  });
});
