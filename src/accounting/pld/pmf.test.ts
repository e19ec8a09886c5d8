import { describe, expect, it } from 'vitest';
import {
  assertGridSize,
  ceilIndex,
  identityPmf,
  MAX_PLD_POINTS,
  type PldPmf,
  pmfDelta,
  pmfEpsilon,
  pmfFromAtoms,
  pmfFromConnectDots,
  trimZeros,
  truncateTails,
} from './pmf.js';

const pmf = (lowerIndex: number, probs: number[], infinityMass = 0, interval = 0.1): PldPmf => ({
  interval,
  lowerIndex,
  probs: Float64Array.from(probs),
  infinityMass,
});

describe('ceilIndex', () => {
  it('rounds up so that index * interval >= loss (up to a few ulps), without stepping over exact multiples', () => {
    expect(ceilIndex(1, 1e-4)).toBe(10000);
    expect(ceilIndex(0.3, 1e-4)).toBe(3000);
    expect(ceilIndex(2.38, 1e-4)).toBe(23800);
    expect(ceilIndex(-0.5, 0.1)).toBe(-5);
    expect(ceilIndex(0.4 * 3, 0.1)).toBe(12);
    for (const loss of [0.123456, -3.3, 7e-5, 2.380000001]) {
      const k = ceilIndex(loss, 1e-4);
      expect(k * 1e-4).toBeGreaterThanOrEqual(loss - 4 * Number.EPSILON * Math.abs(loss));
      expect((k - 1) * 1e-4).toBeLessThan(loss);
    }
  });
});

describe('pmfFromAtoms', () => {
  it('rounds losses up onto the grid and adds atoms that meet', () => {
    const p = pmfFromAtoms(
      [
        { loss: 0.11, mass: 0.5 },
        { loss: 0.19, mass: 0.25 },
        { loss: -0.35, mass: 0.25 },
      ],
      0,
      0.1,
    );
    expect(p.lowerIndex).toBe(-3);
    expect(Array.from(p.probs)).toEqual([0.25, 0, 0, 0, 0, 0.75]);
  });

  it('refuses grids beyond MAX_PLD_POINTS with VEIL_UNSUPPORTED', () => {
    expect(() => assertGridSize(MAX_PLD_POINTS + 1, 1e-4, 'x')).toThrow(
      expect.objectContaining({ code: 'VEIL_UNSUPPORTED' }),
    );
    expect(() =>
      pmfFromAtoms(
        [
          { loss: 1e4, mass: 0.5 },
          { loss: -1e4, mass: 0.5 },
        ],
        0,
        1e-4,
      ),
    ).toThrow(/valueDiscretizationInterval/);
  });
});

describe('pmfDelta and pmfEpsilon', () => {
  const p = pmf(-2, [0.1, 0.2, 0.3, 0.2, 0.15], 0.05);

  it('computes delta = inf + sum over L > eps of (1 - e^{eps - L}) p', () => {
    const expected = 0.05 + (1 - Math.exp(0.05 - 0.1)) * 0.2 + (1 - Math.exp(0.05 - 0.2)) * 0.15;
    expect(pmfDelta(p, 0.05)).toBeCloseTo(expected, 15);
    expect(pmfDelta(p, 5)).toBe(0.05);
    expect(pmfDelta(identityPmf(1e-4), 0)).toBe(0);
  });

  it('inverts delta: the smallest epsilon with delta(epsilon) <= target', () => {
    for (const target of [0.06, 0.08, 0.1, 0.2, 0.3]) {
      const epsilon = pmfEpsilon(p, target);
      expect(pmfDelta(p, epsilon)).toBeLessThanOrEqual(target);
      if (epsilon > 0) expect(pmfDelta(p, epsilon * (1 - 1e-9) - 1e-12)).toBeGreaterThan(target);
    }
  });

  it('gives Infinity when the infinite-loss mass exceeds delta, and 0 when delta is large', () => {
    expect(pmfEpsilon(p, 0.04)).toBe(Number.POSITIVE_INFINITY);
    expect(pmfEpsilon(p, 0.9)).toBe(0);
  });

  it('returns a huge top loss when exp(-loss) underflows', () => {
    const huge = pmf(8000, [0.5], 0, 1);
    expect(pmfEpsilon(huge, 0.1)).toBe(8000);
  });
});

describe('pmfFromConnectDots', () => {
  it('interpolates the given deltas at the grid points and keeps total mass 1', () => {
    const deltas = Float64Array.from([0.6, 0.4, 0.25, 0.1, 0.02]);
    const p = pmfFromConnectDots(deltas, -1, 0.5);
    deltas.forEach((d, i) => {
      expect(pmfDelta(p, (i - 1) * 0.5)).toBeCloseTo(d, 14);
    });
    expect(p.probs.reduce((s, v) => s + v, p.infinityMass)).toBeCloseTo(1, 14);
    expect(p.infinityMass).toBe(0.02);
  });

  it('repairs round-off increases pessimistically and refuses real ones', () => {
    const p = pmfFromConnectDots(Float64Array.from([0.5, 0.3, 0.3 + 1e-15, 0.1]), 0, 0.5);
    expect(pmfDelta(p, 0.5)).toBeGreaterThanOrEqual(0.3 + 1e-15 - 1e-16);
    expect(() => pmfFromConnectDots(Float64Array.from([0.5, 0.3, 0.31]), 0, 0.5)).toThrow(
      expect.objectContaining({ code: 'VEIL_NUMERIC_FAILURE' }),
    );
    expect(() => pmfFromConnectDots(Float64Array.from([1.5]), 0, 0.5)).toThrow(/outside \[0, 1\]/);
  });

  it('handles a single grid point', () => {
    const p = pmfFromConnectDots(Float64Array.of(0.25), 3, 0.1);
    expect(Array.from(p.probs)).toEqual([0.75]);
    expect(p.infinityMass).toBe(0.25);
  });
});

describe('truncateTails', () => {
  it('moves the left tail up and the right tail to infinity, never lowering delta', () => {
    const p = pmf(0, [1e-17, 2e-17, 0.5, 0.5 - 6e-17, 1e-17, 2e-17]);
    const t = truncateTails(p, 1e-16);
    expect(t.lowerIndex).toBe(2);
    expect(t.probs.length).toBe(2);
    expect(t.infinityMass).toBeCloseTo(3e-17, 30);
    for (const epsilon of [0, 0.1, 0.25, 1])
      expect(pmfDelta(t, epsilon)).toBeGreaterThanOrEqual(pmfDelta(p, epsilon));
  });

  it('trims zero ends exactly', () => {
    const t = trimZeros(pmf(-1, [0, 0, 0.5, 0.5, 0]));
    expect(t.lowerIndex).toBe(1);
    expect(Array.from(t.probs)).toEqual([0.5, 0.5]);
  });
});
