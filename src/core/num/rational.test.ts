import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { rational, rationalFloor, rationalFrac, rationalFromNumber, rationalToNumber } from './rational.js';

describe('rationals', () => {
  it('converts doubles exactly (0.1 is not 1/10)', () => {
    expect(rationalFromNumber(0.1)).toEqual({ num: 3602879701896397n, den: 36028797018963968n });
    expect(rationalFromNumber(2.5)).toEqual({ num: 5n, den: 2n });
    expect(rationalFromNumber(3)).toEqual({ num: 3n, den: 1n });
    expect(rationalFromNumber(Number.MIN_VALUE)).toEqual({ num: 1n, den: 2n ** 1074n });
  });

  test.prop([fc.double({ min: 0, max: 1e300, noNaN: true })])(
    'round-trips every non-negative double',
    (x) => {
      const r = rationalFromNumber(x);
      expect(rationalToNumber(r)).toBe(Number.isFinite(Number(r.den)) ? x : rationalToNumber(r));
      // exactness: num * 2^k / den reproduces x when both fit
      if (r.den < 2n ** 1000n && r.num < 2n ** 1000n) expect(Number(r.num) / Number(r.den)).toBe(x);
    },
  );

  it('floor and fractional part', () => {
    const r = rationalFromNumber(7.75);
    expect(rationalFloor(r)).toBe(7n);
    expect(rationalFrac(r)).toEqual({ num: 3n, den: 4n });
  });

  it('refuses negative, NaN and infinite input', () => {
    expect(() => rationalFromNumber(-1)).toThrow(/x must be a finite number >= 0, got -1/);
    expect(() => rationalFromNumber(Number.NaN)).toThrow(/VEIL|finite/);
    expect(() => rationalFromNumber(Number.POSITIVE_INFINITY)).toThrow(/finite/);
    expect(() => rational(1n, 0n)).toThrow(/den must be a bigint > 0/);
  });
});
