import { describe, expect, it } from 'vitest';
import { normalLogCdf, normalPdf } from '../../core/index.js';
import { gaussianDelta } from '../analysis/gaussian-dp.js';
import {
  additiveNoiseDelta,
  additiveNoisePmf,
  type Direction,
  gaussianNoise,
  laplaceNoise,
  normalQuantileOfLog,
  sampledLoss,
} from './additive-noise.js';
import { pmfDelta } from './pmf.js';

const gauss = (sigma: number) => gaussianNoise(sigma, -50);

/** delta(eps) = integral of (P - e^eps Q)_+ by the trapezoid rule on a fine grid (oracle). */
function integratedDelta(
  density: (x: number) => number,
  q: number,
  direction: Direction,
  epsilon: number,
  span: number,
): number {
  const n = 100_000;
  const h = (2 * span) / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const x = -span + i * h;
    const p = direction === 'remove' ? (1 - q) * density(x) + q * density(x + 1) : density(x);
    const lower = direction === 'remove' ? density(x) : (1 - q) * density(x) + q * density(x - 1);
    const v = Math.max(0, p - Math.exp(epsilon) * lower);
    sum += i === 0 || i === n ? v / 2 : v;
  }
  return sum * h;
}

describe('additiveNoiseDelta', () => {
  it('equals the analytic Gaussian delta (Balle & Wang) at sampling rate 1', () => {
    for (const sigma of [0.5, 1, 3]) {
      for (const epsilon of [0, 0.3, 1, 4]) {
        const exact = gaussianDelta(sigma, epsilon);
        expect(additiveNoiseDelta(gauss(sigma), 1, 'remove', epsilon)).toBeCloseTo(exact, 14);
        expect(additiveNoiseDelta(gauss(sigma), 1, 'add', epsilon)).toBeCloseTo(exact, 14);
      }
    }
  });

  it('equals the Laplace closed form 1 - e^{(eps - 1/b)/2} at sampling rate 1', () => {
    for (const b of [0.5, 1, 4]) {
      for (const epsilon of [0, 0.1, 0.9 / b, 1 / b, 2 / b]) {
        const exact = epsilon >= 1 / b ? 0 : 1 - Math.exp((epsilon - 1 / b) / 2);
        expect(additiveNoiseDelta(laplaceNoise(b), 1, 'remove', epsilon)).toBeCloseTo(exact, 14);
      }
    }
  });

  it('matches numerical integration for the Poisson-sampled Gaussian and Laplace, both directions', () => {
    const gaussianDensity = (sigma: number) => (x: number) => normalPdf(x / sigma) / sigma;
    const laplaceDensity = (b: number) => (x: number) => Math.exp(-Math.abs(x) / b) / (2 * b);
    const cases = [
      { noise: gauss(0.8), density: gaussianDensity(0.8), span: 12 },
      { noise: laplaceNoise(0.7), density: laplaceDensity(0.7), span: 40 },
    ];
    for (const { noise, density, span } of cases) {
      for (const q of [0.01, 0.3]) {
        for (const direction of ['remove', 'add'] as const) {
          for (const epsilon of [-0.005, 0, 0.1, 0.5, 1.5]) {
            const fast = additiveNoiseDelta(noise, q, direction, epsilon);
            const slow = integratedDelta(density, q, direction, epsilon, span);
            expect(Math.abs(fast - slow), `${q} ${direction} ${epsilon}`).toBeLessThan(1e-9 + 1e-6 * slow);
          }
        }
      }
    }
  });

  it('is non-increasing in epsilon, and remove dominates add for epsilon > 0', () => {
    for (const q of [0.001, 0.05, 0.5]) {
      let previous = 1;
      for (let epsilon = -0.2; epsilon <= 3; epsilon += 0.01) {
        const remove = additiveNoiseDelta(gauss(1.1), q, 'remove', epsilon);
        const add = additiveNoiseDelta(gauss(1.1), q, 'add', epsilon);
        expect(remove).toBeLessThanOrEqual(previous);
        previous = remove;
        if (epsilon > 0) expect(add).toBeLessThanOrEqual(remove + 1e-15);
      }
    }
  });

  it('maps unsampled losses through the sampling transform monotonically', () => {
    expect(sampledLoss(2, 1, 'remove')).toBe(2);
    expect(sampledLoss(2, 0.1, 'remove')).toBeCloseTo(Math.log(0.9 + 0.1 * Math.exp(2)), 14);
    expect(sampledLoss(2, 0.1, 'add')).toBeCloseTo(-Math.log(0.9 + 0.1 * Math.exp(-2)), 14);
  });

  it('finds the normal quantile of a log-probability', () => {
    expect(normalQuantileOfLog(Math.log(0.025))).toBeCloseTo(-1.959963984540054, 9);
    expect(normalLogCdf(normalQuantileOfLog(-50 - Math.LN2))).toBeCloseTo(-50 - Math.LN2, 9);
  });
});

describe('additiveNoisePmf (connect the dots)', () => {
  it('reproduces the exact delta at every grid point and bounds it from above in between', () => {
    const interval = 1e-2;
    for (const q of [1, 0.2]) {
      for (const direction of ['remove', 'add'] as const) {
        const noise = gauss(1);
        const pmf = additiveNoisePmf(noise, q, direction, interval);
        const total = pmf.probs.reduce((s, p) => s + p, pmf.infinityMass);
        expect(Math.abs(total - 1)).toBeLessThan(1e-10);
        for (let k = -50; k <= 300; k += 7) {
          const epsilon = k * interval;
          const exact = additiveNoiseDelta(noise, q, direction, epsilon);
          expect(pmfDelta(pmf, epsilon)).toBeCloseTo(exact, 10);
          const between = epsilon + interval / 2;
          expect(pmfDelta(pmf, between)).toBeGreaterThanOrEqual(
            additiveNoiseDelta(noise, q, direction, between) - 1e-14,
          );
        }
      }
    }
  });

  it('puts no mass beyond 1/b for the Laplace mechanism', () => {
    const pmf = additiveNoisePmf(laplaceNoise(2), 1, 'remove', 1e-4);
    expect(pmf.infinityMass).toBe(0);
    expect((pmf.lowerIndex + pmf.probs.length - 1) * 1e-4).toBeCloseTo(0.5, 12);
    expect(pmf.lowerIndex * 1e-4).toBeCloseTo(-0.5, 12);
  });
});
