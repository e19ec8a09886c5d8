/** Randomized response keep-rates against e^eps / (e^eps + k - 1). Fixed seeds; z-tests with alpha = 1e-4. */

import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { chiSquareTest, Z_CRITICAL_1E4 } from '../testing/stats.js';
import { randomizedResponse } from './randomized-response.js';

const N = 100_000;

describe('randomizedResponse keep-rate (alpha = 1e-4)', () => {
  for (const [epsilon, categories, seed] of [
    [Math.log(3), 2, 1001],
    [0.1, 2, 1002],
    [1, 5, 1003],
    [3, 10, 1004],
  ] as const) {
    it(`epsilon = ${epsilon.toFixed(3)}, k = ${categories}`, () => {
      const rr = randomizedResponse({ epsilon, categories });
      const truth = new Float64Array(N).fill(1);
      const reports = rr.release(truth, seededRng(seed));
      const counts = new Float64Array(categories);
      for (const r of reports) counts[r]++;
      const p = rr.keepProbability;
      expect(Math.abs(counts[1]! / N - p) / Math.sqrt((p * (1 - p)) / N)).toBeLessThan(Z_CRITICAL_1E4);
      // The other categories are equally likely: chi-square over the full report distribution.
      const probabilities = Array.from({ length: categories }, (_, v) => (v === 1 ? p : rr.otherProbability));
      expect(chiSquareTest(counts, probabilities).pValue).toBeGreaterThan(1e-4);
    });
  }
});
