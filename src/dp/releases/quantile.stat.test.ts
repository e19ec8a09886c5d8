/**
 * Smith's quantile mechanism: interval frequencies against (z_(i+1) - z_i) exp(eps u_i / (2D)) / Z.
 * Fixed seed; chi-square with alpha = 1e-4.
 */

import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { chiSquareTest } from '../testing/stats.js';
import { privateQuantile } from './quantile.js';

describe('privateQuantile interval frequencies (chi-square, alpha = 1e-4)', () => {
  it('median of [0.2, 0.5, 0.6] on [0, 1] with epsilon = 2', () => {
    const epsilon = 2;
    const q = 0.5;
    const data = [0.2, 0.5, 0.6];
    const z = [0, 0.2, 0.5, 0.6, 1];
    const sensitivity = Math.max(q, 1 - q);
    const weights = [0, 1, 2, 3].map(
      (i) => (z[i + 1]! - z[i]!) * Math.exp((-epsilon * Math.abs(i - q * 3)) / (2 * sensitivity)),
    );
    const total = weights.reduce((a, b) => a + b, 0);
    const mech = privateQuantile({ lower: 0, upper: 1, quantile: q, epsilon });
    const rng = seededRng(1101);
    const counts = new Float64Array(4);
    for (let i = 0; i < 40_000; i++) {
      const y = mech.release(data, rng).value;
      counts[y < 0.2 ? 0 : y < 0.5 ? 1 : y < 0.6 ? 2 : 3]++;
    }
    expect(
      chiSquareTest(
        counts,
        weights.map((w) => w / total),
      ).pValue,
    ).toBeGreaterThan(1e-4);
  });
});
