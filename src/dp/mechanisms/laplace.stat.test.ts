/** KS tests of the float Laplace noise against the Laplace CDF. Fixed seeds; alpha = 1e-4 per test. */

import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { ksPValue, ksStatistic } from '../testing/stats.js';
import { laplaceMechanism } from './laplace.js';

const N = 20_000;
const laplaceCdf = (scale: number) => (x: number) =>
  x < 0 ? 0.5 * Math.exp(x / scale) : 1 - 0.5 * Math.exp(-x / scale);

describe('laplaceMechanism noise is Laplace(b) (KS, alpha = 1e-4)', () => {
  for (const [scale, seed] of [
    [0.3, 501],
    [2.5, 502],
  ] as const) {
    it(`scale = ${scale}`, () => {
      const noise = laplaceMechanism({ l1Sensitivity: 1, scale }).release(
        new Float64Array(N),
        seededRng(seed),
      );
      expect(ksPValue(ksStatistic(noise, laplaceCdf(scale)), N)).toBeGreaterThan(1e-4);
    });
  }

  it('is detectably not Laplace with the wrong scale (the test has power)', () => {
    const noise = laplaceMechanism({ l1Sensitivity: 1, scale: 2.5 }).release(
      new Float64Array(N),
      seededRng(503),
    );
    expect(ksPValue(ksStatistic(noise, laplaceCdf(2.3)), N)).toBeLessThan(1e-4);
  });
});
