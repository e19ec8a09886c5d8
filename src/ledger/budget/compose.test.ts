import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type AccountantKind,
  composedEvent,
  dpSgdEvent,
  gaussianEvent,
  laplaceEvent,
  type PrivacyEvent,
  selfComposedEvent,
} from '../../accounting/index.js';
import {
  composedEpsilon,
  composedEpsilonOfGroups,
  composedEpsilonPlain,
  composeStoredSpends,
  EventGroups,
} from './compose.js';

/** Unit events every accountant of `kind` supports, few enough that histories repeat them (as ledgers do). */
const UNITS: Record<AccountantKind, readonly PrivacyEvent[]> = {
  rdp: [
    dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 100 }),
    dpSgdEvent({ sampleRate: 256 / 60000, noiseMultiplier: 0.9, steps: 50 }),
    gaussianEvent({ sigma: 2 }),
    gaussianEvent({ sigma: 5, l2Sensitivity: 2 }),
    laplaceEvent({ scale: 10 }),
    { kind: 'pure-dp', epsilon: 0.1, mechanism: 'exponential' },
    { kind: 'approx-dp', epsilon: 0.5, delta: 1e-9 },
    { kind: 'no-op' },
  ],
  zcdp: [
    gaussianEvent({ sigma: 2 }),
    gaussianEvent({ sigma: 7 }),
    laplaceEvent({ scale: 20 }),
    { kind: 'pure-dp', epsilon: 0.05 },
    { kind: 'zcdp', rho: 0.01 },
    { kind: 'no-op' },
  ],
  pld: [gaussianEvent({ sigma: 3 }), laplaceEvent({ scale: 10 }), { kind: 'pure-dp', epsilon: 0.1 }],
};

function historyOf(kind: AccountantKind) {
  const unit = fc.constantFrom(...UNITS[kind]);
  const event: fc.Arbitrary<PrivacyEvent> = fc.oneof(
    { weight: 4, arbitrary: unit },
    {
      weight: 1,
      arbitrary: fc.tuple(unit, fc.integer({ min: 0, max: 5 })).map(([e, n]) => selfComposedEvent(e, n)),
    },
    { weight: 1, arbitrary: fc.array(unit, { minLength: 1, maxLength: 3 }).map((es) => composedEvent(es)) },
  );
  return fc.array(event, { minLength: 0, maxLength: 40 });
}

const relative = (a: number, b: number) =>
  a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));

describe('composedEpsilon (grouped fast path)', () => {
  describe('properties', () => {
    for (const kind of ['rdp', 'zcdp'] as const) {
      test.prop([historyOf(kind), fc.constantFrom(1e-5, 1e-3)], { numRuns: 60 })(
        `${kind}: equals one-compose-per-event within 1e-9 relative`,
        (events, delta) => {
          expect(
            relative(composedEpsilon(kind, events, delta), composedEpsilonPlain(kind, events, delta)),
          ).toBeLessThan(1e-9);
        },
      );
    }
    test.prop([historyOf('pld')], { numRuns: 8 })(
      'pld: equals the plain composition within one grid step (1e-4)',
      (events) => {
        expect(
          Math.abs(composedEpsilon('pld', events, 1e-5) - composedEpsilonPlain('pld', events, 1e-5)),
        ).toBeLessThanOrEqual(1e-4);
      },
    );
  });

  it('groups a ledger-sized history into its distinct unit events', () => {
    const sgd = dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 1000 });
    const history: PrivacyEvent[] = [];
    for (let i = 0; i < 2000; i++) history.push(i % 2 === 0 ? sgd : gaussianEvent({ sigma: 4 }));
    const groups = new EventGroups().addAll(history);
    expect(groups.size).toBe(2);
    expect(
      groups
        .entries()
        .map((g) => g.count)
        .sort((a, b) => a - b),
    ).toEqual([1000, 1_000_000]);
    const fast = composedEpsilon('rdp', history, 1e-5);
    expect(relative(fast, composedEpsilonPlain('rdp', history, 1e-5))).toBeLessThan(1e-9);
    expect(composedEpsilonOfGroups('rdp', groups, 1e-5)).toBe(fast); // memoised
  });

  it('keeps the accountants’ refusals: an event the accountant cannot compose still throws', () => {
    expect(() => composedEpsilon('zcdp', [{ kind: 'approx-dp', epsilon: 1, delta: 1e-6 }], 1e-5)).toThrow(
      /approx-dp/,
    );
    expect(composedEpsilon('rdp', [], 1e-5)).toBe(0);
    expect(composedEpsilon('rdp', [{ kind: 'non-private' }], 1e-5)).toBe(Number.POSITIVE_INFINITY);
  });

  it('composeStoredSpends: grouped rows give what one row per spend gives', () => {
    const a = JSON.stringify([gaussianEvent({ sigma: 2 })]);
    const b = JSON.stringify([
      dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 100 }),
      { kind: 'pure-dp', epsilon: 0.1 },
    ]);
    const perSpend = [a, b, a, a, b].map((events) => ({ events }));
    const grouped = composeStoredSpends(
      'rdp',
      [
        { events: a, count: 3 },
        { events: b, count: 2n },
      ],
      1e-5,
      { naiveSum: true },
    );
    const plain = composeStoredSpends('rdp', perSpend, 1e-5, { naiveSum: true });
    expect(grouped.spends).toBe(5);
    expect(relative(grouped.epsilon, plain.epsilon)).toBeLessThan(1e-12);
    const all = perSpend.flatMap((r) => JSON.parse(r.events) as PrivacyEvent[]);
    expect(relative(grouped.epsilon, composedEpsilonPlain('rdp', all, 1e-5))).toBeLessThan(1e-9);
    const naive = perSpend.reduce(
      (s, r) => s + composedEpsilonPlain('rdp', JSON.parse(r.events) as PrivacyEvent[], 1e-5),
      0,
    );
    expect(relative(grouped.naiveSum!, naive)).toBeLessThan(1e-12);
  });
});
