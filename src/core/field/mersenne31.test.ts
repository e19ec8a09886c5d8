import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { addMod31, invMod31, MERSENNE_31, mulMod31, powMod31, subMod31 } from './mersenne31.js';

const P = BigInt(MERSENNE_31);
const element = fc.integer({ min: 0, max: MERSENNE_31 - 1 });

describe('GF(2^31 - 1)', () => {
  it('is the Mersenne prime 2^31 - 1', () => {
    expect(MERSENNE_31).toBe(2 ** 31 - 1);
  });

  describe('properties (BigInt as the oracle)', () => {
    test.prop([element, element])('add, sub and mul agree with BigInt mod p', (a, b) => {
      expect(addMod31(a, b)).toBe(Number((BigInt(a) + BigInt(b)) % P));
      expect(subMod31(a, b)).toBe(Number((((BigInt(a) - BigInt(b)) % P) + P) % P));
      expect(mulMod31(a, b)).toBe(Number((BigInt(a) * BigInt(b)) % P));
    });

    test.prop([element.filter((a) => a !== 0)])('a * a^-1 = 1', (a) => {
      expect(mulMod31(a, invMod31(a))).toBe(1);
    });

    test.prop([element, fc.integer({ min: 0, max: 2 ** 40 })])('pow agrees with BigInt', (a, e) => {
      let r = 1n;
      let b = BigInt(a) % P;
      let k = BigInt(e);
      while (k > 0n) {
        if (k & 1n) r = (r * b) % P;
        b = (b * b) % P;
        k >>= 1n;
      }
      expect(powMod31(a, e)).toBe(Number(r));
    });
  });

  it('handles the extremes exactly', () => {
    const top = MERSENNE_31 - 1;
    expect(mulMod31(top, top)).toBe(1); // (-1)^2
    expect(addMod31(top, 1)).toBe(0);
    expect(subMod31(0, 1)).toBe(top);
  });
});
