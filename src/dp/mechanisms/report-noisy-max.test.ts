import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { chiSquareTest } from '../testing/stats.js';
import { reportNoisyMax } from './report-noisy-max.js';

const fn = 'reportNoisyMax';

describe('reportNoisyMax', () => {
  it('uses noise of scale 2D / epsilon and records a pure-dp event', () => {
    const mech = reportNoisyMax({ epsilon: 0.5, utilitySensitivity: 3 });
    expect(mech.noiseScale).toBe(12);
    expect(mech.noise).toBe('laplace');
    expect(mech.event).toEqual({ kind: 'pure-dp', epsilon: 0.5, mechanism: 'report-noisy-max' });
  });

  it('picks a clear winner with either noise', () => {
    for (const noise of ['laplace', 'exponential'] as const) {
      const mech = reportNoisyMax({ epsilon: 1, utilitySensitivity: 1, noise });
      const rng = seededRng(9);
      for (let i = 0; i < 50; i++) expect(mech.release([0, 200, 3], rng)).toBe(1);
    }
  });

  it('is uniform over tied utilities (chi-square, alpha = 1e-4)', () => {
    for (const noise of ['laplace', 'exponential'] as const) {
      const mech = reportNoisyMax({ epsilon: 1, utilitySensitivity: 1, noise });
      const rng = seededRng(noise === 'laplace' ? 901 : 902);
      const counts = new Float64Array(4);
      for (let i = 0; i < 20_000; i++) counts[mech.release([5, 5, 5, 5], rng)]++;
      expect(chiSquareTest(counts, [0.25, 0.25, 0.25, 0.25]).pValue).toBeGreaterThan(1e-4);
    }
  });

  it('refuses bad parameters, empty candidates and non-finite utilities', () => {
    expectInvalidParameter(() => reportNoisyMax({ epsilon: -1, utilitySensitivity: 1 }), fn, 'epsilon');
    expectInvalidParameter(
      () => reportNoisyMax({ epsilon: 1, utilitySensitivity: 0 }),
      fn,
      'utilitySensitivity',
    );
    const bad = { epsilon: 1, utilitySensitivity: 1, noise: 'gumbel' } as unknown as Parameters<
      typeof reportNoisyMax
    >[0];
    expectInvalidParameter(() => reportNoisyMax(bad), fn, 'noise');
    const mech = reportNoisyMax({ epsilon: 1, utilitySensitivity: 1 });
    expectInvalidParameter(() => mech.release([]), fn, 'utilities');
    expectInvalidParameter(() => mech.release([1, Number.POSITIVE_INFINITY]), fn, 'utilities[1]');
  });
});
