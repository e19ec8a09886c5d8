import { describe, expect, it } from 'vitest';
import { dpSgdEvent, type PrivacyEvent } from '../accounting/index.js';
import { BudgetExceededError, InvalidParameterError } from '../core/index.js';
import { epsilonSpent, memoryBudget } from './budget.js';

// One event costs about 3.44 at delta 1e-5 (RDP), two about 4.22: a budget of 4 pays for one.
const round = dpSgdEvent({ sampleRate: 0.1, noiseMultiplier: 1, steps: 10 });

describe('memoryBudget', () => {
  it('charges events while they fit and refuses the one that would exceed, charging nothing', async () => {
    const budget = memoryBudget(4, 1e-5);
    expect(await budget.events()).toEqual([]);
    const once = epsilonSpent([round], 1e-5, 'rdp');
    expect(await budget.charge([round], 'round 1')).toBe(once);
    expect(once).toBeGreaterThan(3);
    expect(once).toBeLessThan(4);

    const twice = epsilonSpent([round, round], 1e-5, 'rdp');
    expect(twice).toBeGreaterThan(4);
    let thrown: unknown;
    try {
      await budget.charge([round], 'round 2');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BudgetExceededError);
    expect((thrown as BudgetExceededError).code).toBe('VEIL_BUDGET_EXCEEDED');
    expect((thrown as BudgetExceededError).message).toMatch(
      /round 2 would bring epsilon to 4\.\d{4} > 4 \(delta 0\.00001\)/,
    );
    expect((thrown as BudgetExceededError).details).toMatchObject({ requested: twice });
    expect(await budget.events()).toHaveLength(1);
  });

  it('grows with every charge and hands out copies of its events', async () => {
    const budget = memoryBudget(100, 1e-5);
    const spent: number[] = [];
    for (let i = 0; i < 3; i++) spent.push(await budget.charge([round], `round ${i}`));
    expect(spent[1]).toBeGreaterThan(spent[0]!);
    expect(spent[2]).toBeGreaterThan(spent[1]!);
    const events = (await budget.events()) as PrivacyEvent[];
    events.pop();
    expect(await budget.events()).toHaveLength(3);
  });

  it('counts with the accountant it is given', () => {
    // PLD accounting is tighter than RDP's conversion for the same event
    const rdp = epsilonSpent([round], 1e-5, 'rdp');
    const pld = epsilonSpent([round], 1e-5, 'pld');
    expect(pld).toBeLessThan(rdp);
    expect(pld).toBeGreaterThan(0);
  });

  it('refuses a budget that is not a budget', () => {
    expect(() => memoryBudget(0, 1e-5)).toThrow(InvalidParameterError);
    expect(() => memoryBudget(Number.NaN, 1e-5)).toThrow(/epsilon/);
    expect(() => memoryBudget(1, 1)).toThrow(/delta/);
    expect(() => memoryBudget(1, 0)).toThrow(/delta/);
  });
});
