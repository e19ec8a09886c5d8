/**
 * The exponential mechanism's empirical selection frequencies against exp(eps u / 2D) / Z computed here
 * independently. Fixed seeds; chi-square with alpha = 1e-4 per test.
 */

import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { chiSquareTest } from '../testing/stats.js';
import { exponentialMechanism } from './exponential.js';

const N = 60_000;

function expected(utilities: readonly number[], factor: number): number[] {
  const weights = utilities.map((u) => Math.exp(factor * u));
  const z = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / z);
}

describe('exponentialMechanism selection frequencies (chi-square, alpha = 1e-4)', () => {
  for (const [epsilon, sensitivity, seed] of [
    [1, 1, 801],
    [0.3, 2, 802],
    [4, 1, 803],
  ] as const) {
    it(`epsilon = ${epsilon}, sensitivity = ${sensitivity}`, () => {
      const utilities = [0, 1, 2, 2, 5, -3];
      const mech = exponentialMechanism({ epsilon, utilitySensitivity: sensitivity });
      const rng = seededRng(seed);
      const counts = new Float64Array(utilities.length);
      for (let i = 0; i < N; i++) counts[mech.release(utilities, rng)]++;
      expect(chiSquareTest(counts, expected(utilities, epsilon / (2 * sensitivity))).pValue).toBeGreaterThan(
        1e-4,
      );
    });
  }

  it('monotone utilities use exp(eps u / D)', () => {
    const utilities = [3, 1, 0, 2];
    const mech = exponentialMechanism({ epsilon: 0.8, utilitySensitivity: 1, monotonicity: 'monotone' });
    const rng = seededRng(804);
    const counts = new Float64Array(utilities.length);
    for (let i = 0; i < N; i++) counts[mech.release(utilities, rng)]++;
    expect(chiSquareTest(counts, expected(utilities, 0.8)).pValue).toBeGreaterThan(1e-4);
  });
});
