import { describe, expect, it } from 'vitest';
import { normalCdf, seededRng } from '../../core/index.js';
import {
  chiSquareSf,
  chiSquareTest,
  discreteGaussianPmf,
  discreteLaplacePmf,
  integerCellProbabilities,
  integerHistogram,
  ksPValue,
  ksStatistic,
  regularizedGammaP,
  regularizedGammaQ,
} from './stats.js';

describe('chiSquareSf', () => {
  it('matches published critical values', () => {
    expect(chiSquareSf(18.307, 10)).toBeCloseTo(0.05, 4);
    expect(chiSquareSf(3.841, 1)).toBeCloseTo(0.05, 4);
    expect(chiSquareSf(6.635, 1)).toBeCloseTo(0.01, 4);
    expect(chiSquareSf(124.342, 100)).toBeCloseTo(0.05, 4);
  });

  it('equals exp(-x/2) for two degrees of freedom', () => {
    for (const x of [0.1, 2, 10, 50]) expect(chiSquareSf(x, 2)).toBeCloseTo(Math.exp(-x / 2), 12);
  });

  it('is 1 at 0 and small far in the tail', () => {
    expect(chiSquareSf(0, 5)).toBe(1);
    expect(chiSquareSf(200, 10)).toBeLessThan(1e-30);
  });
});

describe('regularized incomplete gamma', () => {
  it('P + Q = 1 and P(1, x) = 1 - exp(-x)', () => {
    for (const [a, x] of [
      [0.5, 0.2],
      [3, 1],
      [3, 10],
      [50, 45],
    ] as const) {
      expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 12);
    }
    expect(regularizedGammaP(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
  });
});

describe('ksPValue', () => {
  it('gives 0.05 at the asymptotic critical value 1.358 / sqrt(n)', () => {
    const n = 1_000_000;
    expect(ksPValue(1.358 / Math.sqrt(n), n)).toBeCloseTo(0.05, 3);
  });

  it('gives 0.01 at 1.628 / sqrt(n) and 1 for tiny D', () => {
    const n = 1_000_000;
    expect(ksPValue(1.628 / Math.sqrt(n), n)).toBeCloseTo(0.01, 3);
    expect(ksPValue(1e-6, 100)).toBe(1);
  });

  it('accepts normal samples against the normal CDF and rejects a shifted CDF', () => {
    const rng = seededRng(11);
    const samples = Float64Array.from({ length: 5000 }, () => rng.normal());
    expect(ksPValue(ksStatistic(samples, normalCdf), samples.length)).toBeGreaterThan(1e-4);
    expect(
      ksPValue(
        ksStatistic(samples, (x) => normalCdf(x - 0.2)),
        samples.length,
      ),
    ).toBeLessThan(1e-4);
  });
});

describe('chiSquareTest', () => {
  it('accepts fair dice and rejects a loaded die', () => {
    const rng = seededRng(12);
    const fair = new Float64Array(6);
    const loaded = new Float64Array(6);
    for (let i = 0; i < 6000; i++) {
      fair[rng.uniformInt(6)]++;
      loaded[rng.uniform() < 0.25 ? 0 : rng.uniformInt(6)]++;
    }
    const p = new Float64Array(6).fill(1 / 6);
    expect(chiSquareTest(fair, p).pValue).toBeGreaterThan(1e-4);
    expect(chiSquareTest(loaded, p).pValue).toBeLessThan(1e-4);
    expect(chiSquareTest(fair, p).degreesOfFreedom).toBe(5);
  });

  it('merges cells with small expectations', () => {
    const result = chiSquareTest([50, 1, 0, 49], [0.5, 0.005, 0.005, 0.49]);
    expect(result.degreesOfFreedom).toBe(1);
  });
});

describe('integer pmf helpers', () => {
  it('the discrete Gaussian and Laplace pmfs sum to 1', () => {
    for (const pmf of [
      discreteGaussianPmf(0.5),
      discreteGaussianPmf(3.7),
      discreteLaplacePmf(0.3),
      discreteLaplacePmf(2.5),
    ]) {
      let sum = 0;
      for (let x = -2000; x <= 2000; x++) sum += pmf(x);
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it('histogram cells line up with cell probabilities, tails included', () => {
    const counts = integerHistogram([-5, -1, 0, 0, 1, 7], 2);
    expect(Array.from(counts)).toEqual([1, 0, 1, 2, 1, 0, 1]);
    const cells = integerCellProbabilities(discreteLaplacePmf(1), 2);
    expect(cells.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
