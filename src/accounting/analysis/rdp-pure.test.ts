import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { rdpLaplace, rdpPureDp } from './rdp-pure.js';

/** D_alpha(P || Q) for two discrete distributions, directly. */
function renyi(p: readonly number[], q: readonly number[], alpha: number): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]! ** alpha * q[i]! ** (1 - alpha);
  return Math.log(s) / (alpha - 1);
}

/** D_alpha(Lap(0, b) || Lap(1, b)) by the trapezoid rule on a fine grid (an oracle for Mironov's formula). */
function laplaceRenyiNumeric(b: number, alpha: number): number {
  const lo = -60 * b;
  const hi = 1 + 60 * b;
  const n = 600_000;
  const h = (hi - lo) / n;
  let s = 0;
  for (let k = 0; k <= n; k++) {
    const x = lo + k * h;
    const logP = -Math.abs(x) / b - Math.log(2 * b);
    const logQ = -Math.abs(x - 1) / b - Math.log(2 * b);
    s += (k === 0 || k === n ? 0.5 : 1) * Math.exp(alpha * logP + (1 - alpha) * logQ);
  }
  return Math.log(s * h) / (alpha - 1);
}

describe('RDP of pure-DP mechanisms', () => {
  it('equals the Rényi divergence of randomized response', () => {
    for (const eps of [0.1, 1, 3]) {
      const p = Math.exp(eps) / (1 + Math.exp(eps));
      for (const a of [1.5, 2, 10, 64]) {
        expect(rdpPureDp(eps, a)).toBeCloseTo(renyi([p, 1 - p], [1 - p, p], a), 10);
      }
    }
  });

  test.prop([
    fc.double({ min: 0.01, max: 10, noNaN: true }),
    fc.double({ min: 1.01, max: 500, noNaN: true }),
  ])('never exceeds epsilon nor the zCDP bound alpha eps^2 / 2', (eps, a) => {
    const r = rdpPureDp(eps, a);
    expect(r).toBeLessThanOrEqual(eps);
    expect(r).toBeLessThanOrEqual((a * eps * eps) / 2 + 1e-12);
  });

  it.each([
    [1, 2],
    [0.5, 1.05],
    [2, 8],
  ])('Laplace (b = %d) at order %d matches numerical integration', (b, a) => {
    expect(rdpLaplace(1 / b, a)).toBeCloseTo(laplaceRenyiNumeric(b, a), 6);
  });

  test.prop([fc.double({ min: 0.05, max: 5, noNaN: true }), fc.double({ min: 1.01, max: 200, noNaN: true })])(
    'Laplace is dominated by randomized response of the same epsilon',
    (eps, a) => {
      expect(rdpLaplace(eps, a)).toBeLessThanOrEqual(rdpPureDp(eps, a) + 1e-12);
    },
  );
});
