import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type Rng, rationalFromNumber, seededRng, VeilError } from '../../core/index.js';
import { DiscreteGaussianKernel, discreteGaussianSampler } from './discrete-gaussian.js';

function expectInvalid(fn: () => unknown, param: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VeilError);
    expect((error as VeilError).code).toBe('VEIL_INVALID_PARAMETER');
    expect((error as VeilError).message).toContain(`${param} must be`);
    return;
  }
  throw new Error('expected an InvalidParameterError');
}

describe('discreteGaussianSampler', () => {
  it('refuses sigma <= 0, non-finite or out of [2^-40, 2^40]', () => {
    for (const sigma of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 41, 2 ** -41]) {
      expectInvalid(() => discreteGaussianSampler({ sigma }), 'discreteGaussianSampler: sigma');
    }
  });

  it('returns integers and is reproducible with the same seed', () => {
    const a = discreteGaussianSampler({ sigma: 2.5 }).fill(new Float64Array(100), seededRng(1));
    const b = discreteGaussianSampler({ sigma: 2.5 }).fill(new Float64Array(100), seededRng(1));
    expect(Array.from(a).every(Number.isSafeInteger)).toBe(true);
    expect(a).toEqual(b);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(discreteGaussianSampler({ sigma: 1 }))).toBe(true);
  });
});

describe('DiscreteGaussianKernel fast path', () => {
  // The exact gamma(y) = (|y| t D^2 - N^2)^2 / (2 t^2 D^2 N^2) must lie in the double bracket [lo, hi]:
  // checked exactly over the rationals (lo = ln/ld <= num/den  <=>  ln den <= num ld).
  test.prop([
    fc.double({ min: 2 ** -10, max: 2 ** 20, noNaN: true }),
    fc.double({ min: 0, max: 60, noNaN: true }),
  ])('the double bracket always contains the exact rational gamma(y)', (sigma, multiple) => {
    const kernel = new DiscreteGaussianKernel(sigma);
    const absY = Math.floor(multiple * (sigma + 1));
    const { lo, hi } = kernel.gammaBracket(absY);
    const num = kernel.exactGammaNumerator(absY);
    const den = (kernel as unknown as { den: bigint }).den;
    const l = rationalFromNumber(lo);
    const h = rationalFromNumber(hi);
    expect(l.num * den <= num * l.den).toBe(true);
    expect(num * h.den <= h.num * den).toBe(true);
  });

  it('the bracket is tight: width below 1e-12 relative for typical y', () => {
    const kernel = new DiscreteGaussianKernel(3.7);
    for (const y of [0, 1, 4, 10, 30]) {
      const { lo, hi } = kernel.gammaBracket(y);
      expect(hi - lo).toBeLessThan(1e-12 * Math.max(1, hi));
    }
  });

  it('falls back to the exact fraction with the right rational when the 53 bits land in the bracket', () => {
    // gamma(0) for sigma = 3.7 is tau^2 / (2 sigma^2) with tau = sigma^2 / 4: about 0.43, so floor(gamma) = 0.
    // Rig the 53 bits to a = floor(gamma 2^53): then u <= gamma < u + 2^-53 and only the exact rational decides.
    const kernel = new DiscreteGaussianKernel(3.7);
    const den0 = (kernel as unknown as { den: bigint }).den;
    const a = Number((kernel.exactGammaNumerator(0) * 2n ** 53n) / den0);
    const base = seededRng(9);
    const seen: Array<[bigint, bigint]> = [];
    const rigged: Rng = Object.assign(Object.create(base) as Rng, {
      uniform: () => a / 2 ** 53,
      bernoulliRational: (num: bigint, den: bigint) => {
        seen.push([num, den]);
        return false;
      },
    });
    kernel.accept(rigged, 0);
    const den = (kernel as unknown as { den: bigint }).den;
    const num = kernel.exactGammaNumerator(0); // floor(gamma) = 0 here
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toEqual([num * 2n ** 53n - BigInt(a) * den, den]);
  });
});
