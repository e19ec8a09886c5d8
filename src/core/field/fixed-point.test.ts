import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../rng/seeded.js';
import { addMod32, decodeFixedPoint, encodeFixedPoint, subMod32 } from './fixed-point.js';

describe('fixed-point encoding into Z_2^32', () => {
  test.prop([
    fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 50 }),
    fc.integer({ min: 0, max: 20 }),
  ])('decode(encode(x)) is within half a unit of x', (values, bits) => {
    const decoded = decodeFixedPoint(encodeFixedPoint(values, { fractionalBits: bits }), {
      fractionalBits: bits,
    });
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(decoded[i]! - values[i]!)).toBeLessThanOrEqual(2 ** -bits / 2 + 1e-12);
    }
  });

  test.prop([fc.array(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), { minLength: 2, maxLength: 20 })])(
    'sums of encodings decode to the sum (mod 2^32 arithmetic)',
    (ints) => {
      const values = ints.map((n) => n / 256);
      let acc: Uint32Array = new Uint32Array(1);
      let plain = 0;
      for (const v of values) {
        acc = addMod32(acc, encodeFixedPoint([v], { fractionalBits: 8 }));
        plain += v;
      }
      expect(decodeFixedPoint(acc, { fractionalBits: 8 })[0]).toBe(plain);
      expect(subMod32(acc, acc)[0]).toBe(0);
    },
  );

  it('encodes negatives in two’s complement', () => {
    expect(Array.from(encodeFixedPoint([0.5, -1], { fractionalBits: 16 }))).toEqual([32768, 4294901760]);
  });

  it('refuses values that overflow and non-finite values', () => {
    expect(() => encodeFixedPoint([2 ** 15], { fractionalBits: 16 })).toThrow(/clip before encoding/);
    expect(() => encodeFixedPoint([Number.NaN], { fractionalBits: 4 })).toThrow(
      'encodeFixedPoint: values[0] must be a finite number, got NaN',
    );
    expect(() => encodeFixedPoint([1], { fractionalBits: 31 })).toThrow(
      /fractionalBits must be an integer in \[0, 30\]/,
    );
  });

  it('stochastic rounding is unbiased', () => {
    const rng = seededRng(3);
    const n = 20000;
    let sum = 0;
    for (let i = 0; i < n; i++)
      sum += encodeFixedPoint([0.3], { fractionalBits: 0, rounding: { kind: 'stochastic', rng } })[0]!;
    // mean 0.3, sd sqrt(0.21 / n) ~ 0.0032: 5 sd
    expect(Math.abs(sum / n - 0.3)).toBeLessThan(0.017);
  });
});
