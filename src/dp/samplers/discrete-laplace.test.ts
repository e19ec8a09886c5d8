import { describe, expect, it } from 'vitest';
import { seededRng, type VeilError } from '../../core/index.js';
import { discreteLaplaceSampler, sampleDiscreteLaplace } from './discrete-laplace.js';

describe('discreteLaplaceSampler', () => {
  it('refuses a scale <= 0, non-finite or outside [2^-40, 2^40]', () => {
    for (const scale of [0, -2, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 41, 2 ** -41]) {
      try {
        discreteLaplaceSampler({ scale });
        throw new Error('no error');
      } catch (error) {
        expect((error as VeilError).code).toBe('VEIL_INVALID_PARAMETER');
        expect((error as VeilError).message).toMatch(/^discreteLaplaceSampler: scale must be/);
      }
    }
  });

  it('returns integers, symmetric around 0, reproducible from a seed', () => {
    const a = discreteLaplaceSampler({ scale: 0.3 }).fill(new Float64Array(1000), seededRng(2));
    const b = discreteLaplaceSampler({ scale: 0.3 }).fill(new Float64Array(1000), seededRng(2));
    expect(a).toEqual(b);
    expect(Array.from(a).every(Number.isSafeInteger)).toBe(true);
  });

  it('takes the BigInt path when U + tV passes 2^53 and still returns floor(X / s)', () => {
    // t close to 2^53: X = U + tV exceeds 2^53 as soon as V >= 1, so most draws use BigInt.
    const rng = seededRng(3);
    const t = 2 ** 53 - 1;
    const s = 2 ** 52;
    for (let i = 0; i < 200; i++) {
      const y = sampleDiscreteLaplace(rng, t, s);
      expect(Number.isSafeInteger(y)).toBe(true);
      expect(Math.abs(y)).toBeLessThan(200);
    }
  });
});
