import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  logAByIntegration,
  logAFractional,
  logAInteger,
  rdpGaussian,
  rdpPoissonSubsampledGaussian,
} from './rdp-subsampled-gaussian.js';

/**
 * An independent computation of A_alpha - 1 = E_{z ~ N(0, s^2)}[((1 - q) + q e^{(2z - 1)/(2 s^2)})^alpha - 1]
 * (MTZ19 Sec. 3) by composite Simpson integration, written in the "- 1" form so that the tiny values of
 * small q keep their relative precision. Not used by the library: an oracle for the series.
 */
function logAMinusOneByIntegration(q: number, sigma: number, alpha: number): number {
  const lo = -40 * sigma;
  const hi = alpha + 40 * sigma;
  const n = 400_000;
  const h = (hi - lo) / n;
  const s2 = sigma * sigma;
  const logNorm = -0.5 * Math.log(2 * Math.PI) - Math.log(sigma);
  const logPhi = new Float64Array(n + 1);
  const xs = new Float64Array(n + 1);
  let shift = Number.NEGATIVE_INFINITY;
  for (let k = 0; k <= n; k++) {
    const z = lo + k * h;
    const r = (2 * z - 1) / (2 * s2);
    // x = alpha log((1 - q) + q e^r); the integrand is phi(z) (e^x - 1), of either sign
    xs[k] = alpha * (r > 0 ? r + Math.log(q + (1 - q) * Math.exp(-r)) : Math.log1p(q * Math.expm1(r)));
    logPhi[k] = logNorm - (z * z) / (2 * s2);
    shift = Math.max(shift, logPhi[k]! + Math.max(0, xs[k]!));
  }
  let sum = 0;
  for (let k = 0; k <= n; k++) {
    const x = xs[k]!;
    const f =
      x > 1
        ? Math.exp(logPhi[k]! + x - shift) * -Math.expm1(-x)
        : Math.exp(logPhi[k]! - shift) * Math.expm1(x);
    sum += (k === 0 || k === n ? 1 : k % 2 === 1 ? 4 : 2) * f;
  }
  return shift + Math.log((sum * h) / 3);
}

/** log(e^a - 1) for a > 0, stable. */
const logExpm1 = (a: number) => (a > 1 ? a + Math.log(-Math.expm1(-a)) : Math.log(Math.expm1(a)));

describe('RDP of the subsampled Gaussian', () => {
  const points: ReadonlyArray<readonly [number, number, number]> = [
    [0.01, 0.8, 1.5],
    [0.01, 0.8, 2.5],
    [0.1, 1.1, 1.5],
    [0.1, 1.1, 2.5],
    [0.1, 1.1, 10.5],
    [0.05, 2, 4.5],
    [256 / 60000, 1.1, 8.1],
  ];

  it.each(points)('signed series = numerical integration (q=%d, sigma=%d, alpha=%d)', (q, sigma, alpha) => {
    const oracle = Math.exp(logAMinusOneByIntegration(q, sigma, alpha));
    const exact = Math.expm1(logAFractional(q, sigma, alpha, 'exact'));
    const absolute = Math.expm1(logAFractional(q, sigma, alpha, 'absolute'));
    // The signed series is A itself, padded up for round-off and the truncated tail (a pad of < 1e-11 in A,
    // which is up to ~1e-5 relative in the tiny A - 1 of small q); the absolute one is an upper bound.
    expect(exact).toBeGreaterThanOrEqual(oracle * (1 - 1e-7));
    expect(Math.abs(exact - oracle) / oracle).toBeLessThan(1e-5);
    expect(absolute).toBeGreaterThanOrEqual(exact);
  });

  it('integer orders: the finite sum = numerical integration', () => {
    for (const [q, sigma, alpha] of [
      [0.01, 1, 2],
      [0.1, 0.8, 5],
      [0.3, 2, 12],
      [0.01, 5, 224],
    ] as const) {
      // compare log(A - 1): relative 1e-8 of A - 1 is an absolute 1e-8 here
      const oracle = logAMinusOneByIntegration(q, sigma, alpha);
      expect(Math.abs(logExpm1(logAInteger(q, sigma, alpha)) - oracle)).toBeLessThan(1e-8);
    }
  });

  it('falls back to numerical integration where the fractional series does not converge', () => {
    // q = 0.5, sigma = 2, alpha = 1.5: the terms decay like i^-2.5, too slowly for 1000 terms
    expect(logAFractional(0.5, 2, 1.5, 'absolute')).toBe(Number.POSITIVE_INFINITY);
    const truth = Math.log1p(Math.exp(logAMinusOneByIntegration(0.5, 2, 1.5))) / 0.5;
    const got = rdpPoissonSubsampledGaussian(0.5, 2, 1.5);
    expect(got).toBeGreaterThanOrEqual(truth);
    expect((got - truth) / truth).toBeLessThan(1e-6);
  });

  it('the library integration agrees with the series where both work', () => {
    for (const [q, sigma, alpha] of [
      [0.1, 1.1, 1.5],
      [0.01, 0.8, 2.5],
      [0.3, 2, 12],
      [0.917, 1.126, 1.04],
    ] as const) {
      const series = Number.isInteger(alpha)
        ? logAInteger(q, sigma, alpha)
        : logAFractional(q, sigma, alpha, 'exact');
      const integral = logAByIntegration(q, sigma, alpha);
      expect(integral).toBeGreaterThanOrEqual(series - 1e-12);
      expect(integral - series).toBeLessThan(2e-9);
    }
  });

  it('q = 1 is the Gaussian alpha / (2 sigma^2), q = 0 is free, order Infinity is unbounded', () => {
    expect(rdpPoissonSubsampledGaussian(1, 2, 3)).toBe(rdpGaussian(2, 3));
    expect(rdpGaussian(2, 3)).toBe(3 / 8);
    expect(rdpPoissonSubsampledGaussian(0, 2, 3)).toBe(0);
    expect(rdpPoissonSubsampledGaussian(0.1, 2, Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('integer order 2 has the closed form log(1 + q^2 (e^{1/sigma^2} - 1))', () => {
    const q = 0.02;
    const s = 1.3;
    expect(rdpPoissonSubsampledGaussian(q, s, 2)).toBeCloseTo(
      Math.log1p(q * q * Math.expm1(1 / (s * s))),
      14,
    );
  });

  describe('properties', () => {
    const q = fc.double({ min: 1e-3, max: 0.9, noNaN: true });
    const sigma = fc.double({ min: 0.5, max: 5, noNaN: true });
    const order = fc.constantFrom(1.5, 2, 2.5, 3, 4.5, 8, 16);

    test.prop([q, sigma, order], { numRuns: 60 })('falls as the noise grows', (qq, s, a) => {
      expect(rdpPoissonSubsampledGaussian(qq, s * 1.1, a)).toBeLessThanOrEqual(
        rdpPoissonSubsampledGaussian(qq, s, a) + 1e-15,
      );
    });

    test.prop([q, sigma, fc.constantFrom(2, 3, 8, 16)], { numRuns: 60 })(
      'grows with the sampling rate (integer orders)',
      (qq, s, a) => {
        expect(rdpPoissonSubsampledGaussian(Math.min(1, qq * 1.1), s, a)).toBeGreaterThanOrEqual(
          rdpPoissonSubsampledGaussian(qq, s, a) - 1e-15,
        );
      },
    );

    test.prop([q, sigma, order], { numRuns: 60 })('never exceeds the unsampled Gaussian', (qq, s, a) => {
      expect(rdpPoissonSubsampledGaussian(qq, s, a)).toBeLessThanOrEqual(rdpGaussian(s, a) * (1 + 1e-9));
    });
  });
});
