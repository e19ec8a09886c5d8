import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { rationalFromNumber } from '../core/index.js';
import {
  ceilLog2,
  clamp,
  divideRoundingUp,
  floorLog2,
  isPowerOfTwo,
  nextUp,
  powerOfTwo,
  roundHalfUp,
  roundUpUlps,
} from './_numeric.js';

const positive = fc.double({ min: 1e-300, max: 1e300, noNaN: true });

/** a/b <= q exactly over the rationals. */
function atLeastQuotient(q: number, a: number, b: number): boolean {
  const qr = rationalFromNumber(q);
  const ar = rationalFromNumber(a);
  const br = rationalFromNumber(b);
  return qr.num * br.num * ar.den >= ar.num * qr.den * br.den;
}

describe('divideRoundingUp', () => {
  test.prop([positive, positive])('returns the smallest double >= a / b', (a, b) => {
    fc.pre(Number.isFinite(a / b) && a / b > 1e-300);
    const q = divideRoundingUp(a, b);
    expect(atLeastQuotient(q, a, b)).toBe(true);
    // The double just below q is < a/b (q is the smallest such double).
    const f = new Float64Array([q]);
    const bits = new BigUint64Array(f.buffer);
    bits[0]! -= 1n;
    expect(atLeastQuotient(f[0]!, a, b)).toBe(false);
  });

  it('is exact when the division is', () => {
    expect(divideRoundingUp(1, 4)).toBe(0.25);
    expect(divideRoundingUp(1, 3)).toBeGreaterThan(1 / 3 - 1e-17);
    expect(atLeastQuotient(divideRoundingUp(1, 3), 1, 3)).toBe(true);
  });
});

describe('roundHalfUp', () => {
  test.prop([fc.double({ min: -1e15, max: 1e15, noNaN: true })])('equals the exact floor(v + 1/2)', (v) => {
    const r = roundHalfUp(v);
    expect(Number.isInteger(r)).toBe(true);
    // r <= v + 1/2 < r + 1, checked exactly with rationals of 2v (avoids rounding v + 0.5).
    const twice = 2 * v; // exact scaling
    expect(2 * r - 1 <= twice).toBe(true);
    expect(twice < 2 * r + 1).toBe(true);
  });

  it('rounds ties up and handles tiny negatives', () => {
    expect(roundHalfUp(2.5)).toBe(3);
    expect(roundHalfUp(-2.5)).toBe(-2);
    expect(roundHalfUp(-(2 ** -60))).toBe(0);
    expect(roundHalfUp(0.49999999999999994)).toBe(0);
    expect(roundHalfUp(2 ** 53)).toBe(2 ** 53);
  });
});

describe('powers of two', () => {
  it('powerOfTwo, floorLog2, ceilLog2 and isPowerOfTwo agree', () => {
    expect(powerOfTwo(-1074)).toBe(Number.MIN_VALUE);
    expect(powerOfTwo(10)).toBe(1024);
    expect(floorLog2(1000)).toBe(9);
    expect(ceilLog2(1000)).toBe(10);
    expect(ceilLog2(1024)).toBe(10);
    expect(floorLog2(0.3)).toBe(-2);
    expect(isPowerOfTwo(2 ** -30)).toBe(true);
    expect(isPowerOfTwo(3)).toBe(false);
    expect(isPowerOfTwo(0)).toBe(false);
  });

  test.prop([positive])('2^floorLog2(x) <= x < 2^(floorLog2(x)+1)', (x) => {
    const e = floorLog2(x);
    expect(powerOfTwo(e) <= x && x < powerOfTwo(e + 1)).toBe(true);
  });
});

describe('nextUp, roundUpUlps and clamp', () => {
  it('move up by whole ulps and clamp into bounds', () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(roundUpUlps(1, 2)).toBe(1 + 2 * Number.EPSILON);
    expect(clamp(5, 0, 1)).toBe(1);
    expect(clamp(-5, 0, 1)).toBe(0);
    expect(clamp(0.5, 0, 1)).toBe(0.5);
  });
});
