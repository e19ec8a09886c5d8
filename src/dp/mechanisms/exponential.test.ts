import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { exponentialMechanism } from './exponential.js';

const fn = 'exponentialMechanism';

describe('exponentialMechanism', () => {
  it('records a pure-dp event naming the mechanism', () => {
    const mech = exponentialMechanism({ epsilon: 1, utilitySensitivity: 1 });
    expect(mech.event).toEqual({ kind: 'pure-dp', epsilon: 1, mechanism: 'exponential' });
    expect(mech.monotonicity).toBe('general');
  });

  it('gives probabilities exp(eps u / 2D) / Z, or exp(eps u / D) / Z when monotone', () => {
    const u = [0, 1, 3];
    const general = exponentialMechanism({ epsilon: 2, utilitySensitivity: 1 }).probabilities(u);
    const z = u.reduce((s, x) => s + Math.exp(x), 0);
    for (const [i, x] of u.entries()) expect(general[i]).toBeCloseTo(Math.exp(x) / z, 14);
    const monotone = exponentialMechanism({
      epsilon: 1,
      utilitySensitivity: 1,
      monotonicity: 'monotone',
    }).probabilities(u);
    for (const [i, x] of u.entries()) expect(monotone[i]).toBeCloseTo(Math.exp(x) / z, 14);
  });

  it('returns an index in range and is reproducible with a seed', () => {
    const mech = exponentialMechanism({ epsilon: 1, utilitySensitivity: 1 });
    const a = mech.release([1, 2, 3], seededRng(8));
    expect(a).toBe(mech.release([1, 2, 3], seededRng(8)));
    expect([0, 1, 2]).toContain(a);
  });

  it('refuses empty candidates, non-finite utilities and bad parameters', () => {
    const mech = exponentialMechanism({ epsilon: 1, utilitySensitivity: 1 });
    expectInvalidParameter(() => mech.release([]), fn, 'utilities');
    expectInvalidParameter(() => mech.release([1, Number.NaN]), fn, 'utilities[1]');
    expectInvalidParameter(() => exponentialMechanism({ epsilon: 0, utilitySensitivity: 1 }), fn, 'epsilon');
    expectInvalidParameter(
      () => exponentialMechanism({ epsilon: 1, utilitySensitivity: -1 }),
      fn,
      'utilitySensitivity',
    );
    const bad = { epsilon: 1, utilitySensitivity: 1, monotonicity: 'up' } as unknown as Parameters<
      typeof exponentialMechanism
    >[0];
    expectInvalidParameter(() => exponentialMechanism(bad), fn, 'monotonicity');
  });

  it('fails closed when epsilon * utility overflows', () => {
    const mech = exponentialMechanism({ epsilon: 10, utilitySensitivity: 1e-10 });
    expect(() => mech.release([1e300, 0])).toThrow(expect.objectContaining({ code: 'VEIL_NUMERIC_FAILURE' }));
  });
});
