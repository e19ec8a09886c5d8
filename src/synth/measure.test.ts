import { describe, expect, it } from 'vitest';
import { createAccountant, ZcdpAccountant } from '../accounting/index.js';
import { seededRng } from '../core/index.js';
import { expectInvalidParameter } from './_testing.js';
import { measureMarginal, rhoFor, selectExponential, sigmaForRho } from './measure.js';

describe('sigmaForRho', () => {
  it('gives 1 / (2 sigma^2) <= rho, as close as a double allows', () => {
    for (const rho of [1e-6, 0.01, 0.1 / 3, 0.5, 7]) {
      const sigma = sigmaForRho(rho);
      expect(1 / (2 * sigma * sigma)).toBeLessThanOrEqual(rho);
      expect(1 / (2 * sigma * sigma)).toBeCloseTo(rho, 12);
    }
    expect(sigmaForRho(0.5)).toBe(1);
  });

  it('refuses rho not finite > 0', () => {
    expectInvalidParameter(() => sigmaForRho(0), 'sigmaForRho', 'rho');
    expectInvalidParameter(() => sigmaForRho(Number.POSITIVE_INFINITY), 'sigmaForRho', 'rho');
  });
});

describe('measureMarginal', () => {
  it('adds N(0, sigma^2) per cell and leaves the counts alone', () => {
    const counts = new Float64Array(20_000).fill(10);
    const { measurement, event } = measureMarginal(counts, ['a'], 3, seededRng(1));
    expect(counts[0]).toBe(10);
    expect(measurement.attrs).toEqual(['a']);
    expect(measurement.sigma).toBe(3);
    let sum = 0;
    let squares = 0;
    for (const y of measurement.values) {
      sum += y - 10;
      squares += (y - 10) ** 2;
    }
    const mean = sum / counts.length;
    const std = Math.sqrt(squares / counts.length - mean * mean);
    // Standard errors: 3 / sqrt(2e4) ~ 0.021 for the mean, 3 / sqrt(4e4) ~ 0.015 for the std.
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(std - 3)).toBeLessThan(0.075);
    expect(event).toEqual({ kind: 'gaussian', sigma: 3, l2Sensitivity: 1 });
  });

  it('records an event the zCDP accountant composes to exactly 1 / (2 sigma^2)', () => {
    const sigma = sigmaForRho(0.02);
    const { event } = measureMarginal(new Float64Array(4), ['a'], sigma, seededRng(2));
    const accountant = new ZcdpAccountant().compose(event);
    expect(accountant.rho).toBe(1 / (2 * sigma * sigma));
    expect(accountant.rho).toBeLessThanOrEqual(0.02);
  });

  it('refuses a bad sigma', () => {
    expectInvalidParameter(
      () => measureMarginal(new Float64Array(1), ['a'], -1, seededRng(3)),
      'measureMarginal',
      'sigma',
    );
  });
});

describe('selectExponential', () => {
  it('selects in proportion to exp(epsilon score / 2)', () => {
    const rng = seededRng(4);
    const scores = [0, 2, 4];
    const hits = [0, 0, 0];
    const trials = 20_000;
    for (let t = 0; t < trials; t++)
      hits[selectExponential(scores, { epsilon: 1, sensitivity: 1 }, rng).index]!++;
    const weights = scores.map((s) => Math.exp(s / 2));
    const total = weights.reduce((a, b) => a + b, 0);
    weights.forEach((w, i) => {
      const p = w / total;
      // Five standard errors.
      expect(Math.abs(hits[i]! / trials - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / trials));
    });
  });

  it('is stable for huge scores (only differences matter)', () => {
    const rng = seededRng(5);
    const scores = [1e12, 1e12 + 100, 1e12 - 5];
    for (let t = 0; t < 50; t++)
      expect(selectExponential(scores, { epsilon: 1, sensitivity: 1 }, rng).index).toBe(1);
  });

  it('records epsilon^2 / 8 zCDP (bounded range), which the zCDP and RDP accountants accept', () => {
    const { event } = selectExponential([1, 2], { epsilon: 0.4, sensitivity: 1 }, seededRng(6));
    expect(event).toEqual({ kind: 'zcdp', rho: 0.4 ** 2 / 8, mechanism: 'exponential' });
    expect(new ZcdpAccountant().compose(event).rho).toBe(0.4 ** 2 / 8);
    const rdp = createAccountant('rdp');
    expect(rdp.supports(event)).toBe(true);
    expect(rdp.compose(event).epsilon({ delta: 1e-6 })).toBeGreaterThan(0);
  });

  it('refuses bad epsilon, sensitivity and scores', () => {
    const fn = 'selectExponential';
    expectInvalidParameter(
      () => selectExponential([1], { epsilon: 0, sensitivity: 1 }, seededRng(7)),
      fn,
      'epsilon',
    );
    expectInvalidParameter(
      () => selectExponential([1], { epsilon: 1, sensitivity: Number.NaN }, seededRng(7)),
      fn,
      'sensitivity',
    );
    expectInvalidParameter(
      () => selectExponential([], { epsilon: 1, sensitivity: 1 }, seededRng(7)),
      fn,
      'scores',
    );
    expectInvalidParameter(
      () => selectExponential([1, Number.NaN], { epsilon: 1, sensitivity: 1 }, seededRng(7)),
      fn,
      'scores[1]',
    );
  });
});

describe('rhoFor', () => {
  it('is the largest rho the zCDP accountant converts to at most epsilon', () => {
    for (const [epsilon, delta] of [
      [1, 1e-9],
      [0.1, 1e-6],
      [10, 1e-5],
    ] as const) {
      const rho = rhoFor(epsilon, delta);
      const at = (r: number) => createAccountant('zcdp').compose({ kind: 'zcdp', rho: r }).epsilon({ delta });
      expect(at(rho)).toBeLessThanOrEqual(epsilon);
      expect(at(rho * (1 + 1e-9))).toBeGreaterThan(epsilon * (1 - 1e-6));
      // Never worse than Bun & Steinke's epsilon = rho + 2 sqrt(rho log(1/delta)).
      const l = Math.log(1 / delta);
      expect(rho).toBeGreaterThanOrEqual((Math.sqrt(l + epsilon) - Math.sqrt(l)) ** 2 * (1 - 1e-9));
    }
  });

  it('refuses bad epsilon and delta', () => {
    expectInvalidParameter(() => rhoFor(0, 1e-6), 'rhoFor', 'epsilon');
    expectInvalidParameter(() => rhoFor(1, 1), 'rhoFor', 'delta');
  });
});
