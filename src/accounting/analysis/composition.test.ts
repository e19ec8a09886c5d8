import { describe, expect, it } from 'vitest';
import { advancedComposition, basicComposition } from './composition.js';

describe('composition theorems', () => {
  it('basic composition adds epsilons and deltas', () => {
    expect(
      basicComposition([
        { epsilon: 0.5, delta: 1e-6 },
        { epsilon: 1, delta: 0 },
      ]),
    ).toEqual({ epsilon: 1.5, delta: 1e-6 });
    expect(() => basicComposition([{ epsilon: -1, delta: 0 }])).toThrow(/guarantees\[0\].epsilon/);
    expect(() => basicComposition([{ epsilon: 1, delta: 1 }])).toThrow(
      /guarantees\[0\].delta must be a number in \[0, 1\)/,
    );
  });

  it('advanced composition is the Dwork-Rothblum-Vadhan bound', () => {
    const r = advancedComposition({ epsilon: 0.1, delta: 1e-7, count: 100, deltaPrime: 1e-6 });
    expect(r.epsilon).toBeCloseTo(0.1 * Math.sqrt(200 * Math.log(1e6)) + 100 * 0.1 * Math.expm1(0.1), 12);
    expect(r.delta).toBeCloseTo(100 * 1e-7 + 1e-6, 18);
  });

  it('falls back to basic composition when that is smaller', () => {
    expect(advancedComposition({ epsilon: 1, delta: 0, count: 2, deltaPrime: 1e-6 })).toEqual({
      epsilon: 2,
      delta: 0,
    });
  });
});
