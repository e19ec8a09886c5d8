import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dpSgdEvent, type PrivacyEvent } from '../../accounting/index.js';
import { BudgetExceededError, IntegrityError, InvalidParameterError } from '../../core/index.js';
import { fileSpendStore, LocalBudget, memorySpendStore, type SpendStore } from './budget.js';

// One event costs about 3.44 at delta 1e-5 (RDP), two about 4.22: a budget of 4 pays for one.
const round = dpSgdEvent({ sampleRate: 0.1, noiseMultiplier: 1, steps: 10 });

/** A memory store that counts its saves. */
function countingStore(): SpendStore & { saves: number } {
  const inner = memorySpendStore();
  const store = {
    saves: 0,
    load: () => inner.load(),
    save(events: readonly PrivacyEvent[]) {
      store.saves++;
      inner.save(events);
    },
  };
  return store;
}

describe('LocalBudget', () => {
  it('charges events while they fit and refuses the one that would exceed, persisting nothing', () => {
    const store = countingStore();
    const budget = new LocalBudget(4, 1e-5, store);
    expect(budget.spent()).toBe(0);
    const once = budget.wouldSpend(round);
    expect(budget.spent()).toBe(0); // asking charges nothing
    expect(budget.charge(round)).toBe(once);
    expect(budget.spent()).toBe(once);
    expect(once).toBeGreaterThan(3);
    expect(once).toBeLessThan(4);
    expect(store.saves).toBe(1);

    const twice = budget.wouldSpend(round);
    expect(twice).toBeGreaterThan(4);
    expect(twice).toBeGreaterThan(once);
    let thrown: unknown;
    try {
      budget.charge(round);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BudgetExceededError);
    expect((thrown as BudgetExceededError).code).toBe('VEIL_BUDGET_EXCEEDED');
    expect((thrown as BudgetExceededError).message).toMatch(
      /would bring epsilon to 4\.\d{4} > 4 \(delta 0\.00001\)/,
    );
    expect((thrown as BudgetExceededError).details).toMatchObject({ requested: twice });
    expect(budget.spent()).toBe(once);
    expect(budget.events()).toHaveLength(1);
    expect(store.saves).toBe(1);
    expect(store.load()).toHaveLength(1);
  });

  it('grows with every charge and hands out copies of its events', () => {
    const budget = new LocalBudget(100, 1e-5, memorySpendStore());
    const spent: number[] = [];
    for (let i = 0; i < 3; i++) spent.push(budget.charge(round));
    expect(spent[1]).toBeGreaterThan(spent[0]!);
    expect(spent[2]).toBeGreaterThan(spent[1]!);
    expect(budget.spent()).toBe(spent[2]);
    const events = budget.events() as PrivacyEvent[];
    events.pop();
    expect(budget.events()).toHaveLength(3);
  });

  it('counts with the accountant it is given', () => {
    const rdp = new LocalBudget(100, 1e-5, memorySpendStore(), 'rdp');
    const pld = new LocalBudget(100, 1e-5, memorySpendStore(), 'pld');
    // PLD accounting is tighter than RDP's conversion for the same event
    expect(pld.wouldSpend(round)).toBeLessThan(rdp.wouldSpend(round));
    expect(pld.wouldSpend(round)).toBeGreaterThan(0);
  });

  it('refuses a budget that is not a budget', () => {
    expect(() => new LocalBudget(0, 1e-5, memorySpendStore())).toThrow(InvalidParameterError);
    expect(() => new LocalBudget(Number.NaN, 1e-5, memorySpendStore())).toThrow(/epsilon/);
    expect(() => new LocalBudget(1, 1, memorySpendStore())).toThrow(/delta/);
    expect(() => new LocalBudget(1, 0, memorySpendStore())).toThrow(/delta/);
  });
});

describe('fileSpendStore', () => {
  const dirs: string[] = [];
  const spendFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-budget-'));
    dirs.push(dir);
    return join(dir, 'spends.json');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('starts empty when there is no file, and a new budget over the same file sees earlier spends', () => {
    const path = spendFile();
    const first = new LocalBudget(4, 1e-5, fileSpendStore(path));
    expect(first.spent()).toBe(0);
    const spent = first.charge(round);
    // a restarted node: a fresh budget over the same file
    const restarted = new LocalBudget(4, 1e-5, fileSpendStore(path));
    expect(restarted.spent()).toBe(spent);
    expect(restarted.events()).toEqual([round]);
    expect(() => restarted.charge(round)).toThrow(BudgetExceededError);
    expect(new LocalBudget(4, 1e-5, fileSpendStore(path)).events()).toHaveLength(1);
  });

  it('refuses a corrupt spend file with an IntegrityError and leaves it as it was', () => {
    const path = spendFile();
    const refused = (text: string, pattern: RegExp) => {
      writeFileSync(path, text);
      let thrown: unknown;
      try {
        new LocalBudget(4, 1e-5, fileSpendStore(path));
      } catch (e) {
        thrown = e;
      }
      expect(thrown, text).toBeInstanceOf(IntegrityError);
      expect((thrown as IntegrityError).message).toMatch(pattern);
      expect(readFileSync(path, 'utf8')).toBe(text);
    };
    refused('{"events":[{"kind":"gauss', /privacy spend file .* is not valid JSON/);
    refused('null', /has no "events" list/);
    refused('{"events":3}', /has no "events" list/);
    refused('{"spends":[]}', /has no "events" list/);
    refused('{"events":[{"kind":"no-such-event"}]}', /event 0 is not a privacy event/);
  });
});
