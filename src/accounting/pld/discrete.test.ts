import { describe, expect, it } from 'vitest';
import { approxDpPmf, discreteGaussianPmf, discreteLaplacePmf, integerSensitivity } from './discrete.js';
import { pmfDelta, pmfEpsilon, pmfFromAtoms } from './pmf.js';

/** Exact hockey-stick divergence sum_x (P(x + k) - e^eps P(x))_+ of an integer noise PMF (oracle). */
function enumeratedDelta(logPmf: (x: number) => number, k: number, epsilon: number, range: number): number {
  let delta = 0;
  for (let x = -range; x <= range; x++)
    delta += Math.max(0, Math.exp(logPmf(x + k)) - Math.exp(epsilon + logPmf(x)));
  return delta;
}

describe('approxDpPmf', () => {
  it('is (epsilon, delta)-DP and no better', () => {
    const p = approxDpPmf(0.5, 1e-6, 1e-4);
    expect(pmfDelta(p, 0.5)).toBeCloseTo(1e-6, 18);
    expect(pmfEpsilon(p, 1e-6)).toBeCloseTo(0.5, 12);
    expect(pmfEpsilon(p, 1e-6)).toBeLessThanOrEqual(0.5);
    expect(pmfEpsilon(p, 5e-7)).toBe(Number.POSITIVE_INFINITY);
  });

  it('has total variation (e^eps - 1)/(e^eps + 1) at epsilon 0 for pure DP (randomized response)', () => {
    const p = approxDpPmf(1, 0, 1e-4);
    expect(pmfDelta(p, 0)).toBeCloseTo(Math.tanh(0.5), 12);
  });
});

describe('discreteLaplacePmf', () => {
  for (const { scale, k } of [
    { scale: 1, k: 1 },
    { scale: 2.5, k: 3 },
  ]) {
    it(`matches the enumerated hockey-stick divergence from above (scale ${scale}, sensitivity ${k})`, () => {
      const a = 1 / scale;
      const logPmf = (x: number) => Math.log(Math.tanh(a / 2)) - a * Math.abs(x);
      const p = discreteLaplacePmf(scale, k, 1e-4);
      expect(p.probs.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
      for (const epsilon of [0, 0.2, 0.5 * a * k, a * k - 0.01]) {
        const exact = enumeratedDelta(logPmf, k, epsilon, 200);
        const d = pmfDelta(p, epsilon);
        expect(d).toBeGreaterThanOrEqual(exact - 1e-15);
        expect(d - exact).toBeLessThan(1e-4);
      }
      expect(pmfDelta(p, a * k)).toBeLessThan(1e-12);
    });
  }
});

describe('discreteLaplacePmf with a large sensitivity (bucketed in closed form)', () => {
  it('equals enumerating every atom and rounding it up', () => {
    const k = 6000;
    const scale = k / 0.8; // epsilon 0.8
    const a = 1 / scale;
    const bucketed = discreteLaplacePmf(scale, k, 1e-4);
    const atoms = [
      { loss: a * k, mass: 1 / (1 + Math.exp(-a)) },
      { loss: -a * k, mass: Math.exp(-a * k) / (1 + Math.exp(-a)) },
    ];
    for (let y = 1; y < k; y++)
      atoms.push({ loss: a * (k - 2 * y), mass: Math.tanh(a / 2) * Math.exp(-a * y) });
    const enumerated = pmfFromAtoms(atoms, 0, 1e-4);
    expect(bucketed.lowerIndex).toBe(enumerated.lowerIndex);
    expect(bucketed.probs.length).toBe(enumerated.probs.length);
    for (let i = 0; i < bucketed.probs.length; i++) {
      expect(Math.abs(bucketed.probs[i]! - enumerated.probs[i]!)).toBeLessThan(1e-12);
    }
  });

  it('handles sensitivities far beyond enumeration, close to the continuous Laplace from above', () => {
    const k = 10_092_544;
    const p = discreteLaplacePmf(k / 0.2, k, 1e-4);
    expect(p.probs.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(pmfEpsilon(p, 1e-9)).toBeLessThanOrEqual(0.2 + 1e-4);
    // the continuous Laplace with epsilon 0.2 has delta(0.1) = 1 - e^{-0.05}; the discrete one is no smaller
    expect(pmfDelta(p, 0.1)).toBeGreaterThanOrEqual(-Math.expm1(-0.05) - 1e-9);
  });
});

describe('discreteGaussianPmf', () => {
  it('matches the enumerated hockey-stick divergence from above', () => {
    for (const { sigma, k } of [
      { sigma: 0.7, k: 1 },
      { sigma: 3, k: 2 },
    ]) {
      let norm = 0;
      for (let y = -400; y <= 400; y++) norm += Math.exp(-(y * y) / (2 * sigma * sigma));
      const logPmf = (x: number) => -(x * x) / (2 * sigma * sigma) - Math.log(norm);
      const p = discreteGaussianPmf(sigma, k, 1e-4, -50);
      expect(p.probs.reduce((s, v) => s + v, p.infinityMass)).toBeCloseTo(1, 13);
      for (const epsilon of [0, 0.5, 1, 2, 4]) {
        const exact = enumeratedDelta(logPmf, k, epsilon, 400);
        const d = pmfDelta(p, epsilon);
        expect(d).toBeGreaterThanOrEqual(exact - 1e-15);
        // Rounding each loss up by < interval raises delta by < interval * P(L > eps - interval).
        expect(d - exact).toBeLessThan(1e-4);
      }
    }
  });

  it('refuses sigmas whose support is too wide, with VEIL_UNSUPPORTED', () => {
    expect(() => discreteGaussianPmf(1e6, 1, 1e-4, -50)).toThrow(
      expect.objectContaining({ code: 'VEIL_UNSUPPORTED' }),
    );
  });
});

describe('integerSensitivity', () => {
  it('rounds up, tolerating round-off, and is at least 1', () => {
    expect(integerSensitivity(1)).toBe(1);
    expect(integerSensitivity(1 + 1e-12)).toBe(1);
    expect(integerSensitivity(2.9999999999999)).toBe(3);
    expect(integerSensitivity(1.5)).toBe(2);
    expect(integerSensitivity(0.5)).toBe(1);
  });
});
