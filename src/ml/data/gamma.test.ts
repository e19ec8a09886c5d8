import { describe, expect, it } from 'vitest';
import { erf, seededRng } from '../../core/index.js';
import { sampleDirichlet, sampleGamma, sampleLogGamma } from './gamma.js';
import { expectInvalidParameter } from './testing.js';

/** Kolmogorov–Smirnov statistic of `draws` against a CDF. */
function ksStatistic(draws: number[], cdf: (x: number) => number): number {
  const sorted = [...draws].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  });
  return d;
}

const N = 5000;
// Critical value of the KS test at a false-alarm rate of 0.001: 1.95 / sqrt(n).
const KS_CRITICAL = 1.95 / Math.sqrt(N);

describe('sampleGamma (Marsaglia & Tsang)', () => {
  it('matches the Gamma CDF for shape 0.5 (boost path), 1 and 2', () => {
    const cases: [number, (x: number) => number][] = [
      [0.5, (x) => erf(Math.sqrt(x))], // Gamma(1/2, 1) = Z^2 / 2
      [1, (x) => 1 - Math.exp(-x)],
      [2, (x) => 1 - Math.exp(-x) * (1 + x)],
    ];
    cases.forEach(([shape, cdf], k) => {
      const rng = seededRng(100 + k);
      const draws = Array.from({ length: N }, () => sampleGamma(shape, rng));
      expect(ksStatistic(draws, cdf), `shape ${shape}`).toBeLessThan(KS_CRITICAL);
    });
  });

  it('has mean and variance equal to the shape, small and large', () => {
    for (const shape of [0.05, 0.3, 7.5, 40]) {
      const rng = seededRng(Math.round(shape * 100));
      const draws = Array.from({ length: 20_000 }, () => sampleGamma(shape, rng));
      const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
      const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / (draws.length - 1);
      expect(Math.abs(mean - shape), `mean, shape ${shape}`).toBeLessThan(
        5 * Math.sqrt(shape / draws.length),
      );
      // Relative standard error of a sample variance: sqrt((excess kurtosis + 2) / n), excess kurtosis 6 / shape.
      const tolerance = 4 * Math.sqrt((6 / shape + 2) / draws.length);
      expect(Math.abs(variance / shape - 1), `variance, shape ${shape}`).toBeLessThan(tolerance);
    }
  });

  it('stays finite in log space for tiny shapes', () => {
    const rng = seededRng(3);
    const logs = Array.from({ length: 1000 }, () => sampleLogGamma(0.001, rng));
    expect(logs.every(Number.isFinite)).toBe(true);
    expect(Math.min(...logs)).toBeLessThan(-700); // exp() of it underflows: hence the log form
  });

  it('refuses a shape that is not > 0', () => {
    expectInvalidParameter(() => sampleGamma(0, seededRng(1)), 'sampleGamma', 'shape');
    expectInvalidParameter(() => sampleLogGamma(Number.NaN, seededRng(1)), 'sampleLogGamma', 'shape');
  });
});

describe('sampleDirichlet', () => {
  it('gives proportions summing to 1 with mean alpha_i / sum(alpha)', () => {
    const rng = seededRng(9);
    const alpha = [0.5, 1, 2.5];
    const sums = [0, 0, 0];
    const runs = 4000;
    for (let r = 0; r < runs; r++) {
      const p = sampleDirichlet(alpha, rng);
      expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
      p.forEach((x, i) => {
        sums[i]! += x;
      });
    }
    sums.forEach((s, i) => {
      expect(s / runs).toBeCloseTo(alpha[i]! / 4, 1);
    });
  });

  it('is well defined for tiny concentrations (one part takes almost everything)', () => {
    const p = sampleDirichlet(new Float64Array(10).fill(0.001), seededRng(2));
    expect(p.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
    expect(Math.max(...p)).toBeGreaterThan(0.99);
  });

  it('refuses an empty or non-positive concentration', () => {
    expectInvalidParameter(() => sampleDirichlet([], seededRng(1)), 'sampleDirichlet', 'alpha');
    expectInvalidParameter(() => sampleDirichlet([1, -1], seededRng(1)), 'sampleDirichlet', 'alpha[1]');
  });
});
