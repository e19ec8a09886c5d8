/** KS tests of the float Gaussian noise against the normal CDF. Fixed seeds; alpha = 1e-4 per test. */

import { describe, expect, it } from 'vitest';
import { normalCdf, seededRng } from '../../core/index.js';
import { ksPValue, ksStatistic } from '../testing/stats.js';
import { gaussianMechanism } from './gaussian.js';

const N = 20_000;

describe('gaussianMechanism noise is N(0, sigma^2) (KS, alpha = 1e-4)', () => {
  for (const [sigma, seed] of [
    [0.5, 601],
    [1, 602],
    [3.7, 603],
  ] as const) {
    it(`sigma = ${sigma}`, () => {
      const noise = gaussianMechanism({ l2Sensitivity: 1, sigma }).release(
        new Float64Array(N),
        seededRng(seed),
      );
      expect(
        ksPValue(
          ksStatistic(noise, (x) => normalCdf(x / sigma)),
          N,
        ),
      ).toBeGreaterThan(1e-4);
    });
  }
});
