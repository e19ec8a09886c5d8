/**
 * Statistical tests of the exact discrete Gaussian sampler (CKS20 Alg. 3) against its exact pmf.
 * Fixed seeds; each test's false-alarm rate is alpha = 1e-4 (per p-value or per z-check).
 */

import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import {
  chiSquareTest,
  discreteGaussianPmf,
  integerCellProbabilities,
  integerHistogram,
  Z_CRITICAL_1E4,
} from '../testing/stats.js';
import { DiscreteGaussianKernel, discreteGaussianSampler } from './discrete-gaussian.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';

const ALPHA = 1e-4;
const N = 100_000;

function exactMoments(sigma: number): { variance: number } {
  const pmf = discreteGaussianPmf(sigma);
  let variance = 0;
  const limit = Math.ceil(40 * sigma) + 10;
  for (let x = -limit; x <= limit; x++) variance += x * x * pmf(x);
  return { variance };
}

describe('discreteGaussianSampler matches the exact pmf (chi-square, alpha = 1e-4)', () => {
  for (const [sigma, seed] of [
    [0.5, 101],
    [1, 102],
    [3.7, 103],
    [10, 104],
  ] as const) {
    it(`sigma = ${sigma}`, () => {
      const samples = discreteGaussianSampler({ sigma }).fill(new Float64Array(N), seededRng(seed));
      const range = Math.ceil(6 * sigma) + 1;
      const result = chiSquareTest(
        integerHistogram(samples, range),
        integerCellProbabilities(discreteGaussianPmf(sigma), range),
      );
      expect(result.pValue).toBeGreaterThan(ALPHA);
    });
  }

  it('the exact (BigInt) acceptance path alone also matches the pmf, sigma = 1.3', () => {
    const kernel = new DiscreteGaussianKernel(1.3);
    const rng = seededRng(105);
    const samples = new Float64Array(20_000);
    for (let i = 0; i < samples.length; i++) {
      for (;;) {
        const y = sampleDiscreteLaplace(rng, kernel.t, 1); // CKS20 Alg. 3 proposal, Lap_Z(floor(sigma) + 1)
        if (kernel.acceptExact(rng, Math.abs(y))) {
          samples[i] = y;
          break;
        }
      }
    }
    const result = chiSquareTest(
      integerHistogram(samples, 8),
      integerCellProbabilities(discreteGaussianPmf(1.3), 8),
    );
    expect(result.pValue).toBeGreaterThan(ALPHA);
  });
});

describe('discreteGaussianSampler moments and point probabilities (|z| < 3.89, alpha = 1e-4 each)', () => {
  for (const [sigma, seed] of [
    [0.5, 111],
    [3.7, 112],
  ] as const) {
    it(`sigma = ${sigma}: mean ~ 0, variance ~ the exact variance, which is below sigma^2`, () => {
      const samples = discreteGaussianSampler({ sigma }).fill(new Float64Array(N), seededRng(seed));
      let sum = 0;
      let sumSquares = 0;
      let fourth = 0;
      for (const x of samples) {
        sum += x;
        sumSquares += x * x;
        fourth += x ** 4;
      }
      const { variance } = exactMoments(sigma);
      // CKS20: Var < sigma^2. The gap is large for small sigma and below double precision for sigma >= 2.
      if (sigma < 1) expect(variance).toBeLessThan(0.9 * sigma * sigma);
      else expect(variance).toBeLessThanOrEqual(sigma * sigma * (1 + 1e-12));
      const mean = sum / N;
      expect(Math.abs(mean) / Math.sqrt(variance / N)).toBeLessThan(Z_CRITICAL_1E4);
      // E[X^2] = variance; Var[X^2] estimated from the fourth moment.
      const second = sumSquares / N;
      const seSecond = Math.sqrt((fourth / N - second * second) / N);
      expect(Math.abs(second - variance) / seSecond).toBeLessThan(Z_CRITICAL_1E4);
    });
  }

  it('P(0) and P(+-1) match the exact pmf for sigma = 1 within 3.89 standard errors', () => {
    const samples = discreteGaussianSampler({ sigma: 1 }).fill(new Float64Array(N), seededRng(113));
    const pmf = discreteGaussianPmf(1);
    for (const x of [0, 1, -1]) {
      const p = pmf(x);
      const observed = samples.filter((s) => s === x).length / N;
      expect(Math.abs(observed - p) / Math.sqrt((p * (1 - p)) / N)).toBeLessThan(Z_CRITICAL_1E4);
    }
  });
});
