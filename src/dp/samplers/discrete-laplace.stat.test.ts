/**
 * Statistical tests of the exact discrete Laplace sampler (CKS20 Alg. 2) against its exact pmf
 * tanh(1/(2b)) exp(-|x|/b). Fixed seeds; each test's false-alarm rate is alpha = 1e-4.
 */

import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import {
  chiSquareTest,
  discreteLaplacePmf,
  integerCellProbabilities,
  integerHistogram,
  Z_CRITICAL_1E4,
} from '../testing/stats.js';
import { discreteLaplaceSampler } from './discrete-laplace.js';

const ALPHA = 1e-4;
const N = 100_000;

describe('discreteLaplaceSampler matches the exact pmf (chi-square, alpha = 1e-4)', () => {
  for (const [scale, seed] of [
    [0.3, 201],
    [1, 202],
    [2.5, 203],
    [7.25, 204],
    [1000.5, 205],
  ] as const) {
    it(`scale = ${scale}`, () => {
      const samples = discreteLaplaceSampler({ scale }).fill(new Float64Array(N), seededRng(seed));
      const range = Math.min(Math.ceil(8 * scale) + 1, 4000);
      const result = chiSquareTest(
        integerHistogram(samples, range),
        integerCellProbabilities(discreteLaplacePmf(scale), range),
      );
      expect(result.pValue).toBeGreaterThan(ALPHA);
    });
  }

  it('P(0) = tanh(1/(2b)) within 3.89 standard errors for b = 0.3 and b = 2.5', () => {
    for (const [scale, seed] of [
      [0.3, 206],
      [2.5, 207],
    ] as const) {
      const samples = discreteLaplaceSampler({ scale }).fill(new Float64Array(N), seededRng(seed));
      const p = Math.tanh(1 / (2 * scale));
      const observed = samples.filter((x) => x === 0).length / N;
      expect(Math.abs(observed - p) / Math.sqrt((p * (1 - p)) / N)).toBeLessThan(Z_CRITICAL_1E4);
    }
  });
});
