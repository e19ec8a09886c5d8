import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { checkFracBits, decodeFixed, encodeFixed, maxEncodable, truncateShares } from './fixed-point.js';
import { randomRing, ringAdd, ringSub } from './ring.js';

describe('encodeFixed / decodeFixed', () => {
  it('encodes in two’s complement with 16 fractional bits by default', () => {
    expect([...encodeFixed([1, -1, 0.5])]).toEqual([65536n, (1n << 64n) - 65536n, 32768n]);
    expect([...decodeFixed(encodeFixed([1.5, -2, 0]))]).toEqual([1.5, -2, 0]);
  });

  it('refuses NaN, infinities and values without headroom, naming the index', () => {
    expect(() => encodeFixed([0, Number.NaN])).toThrow(/encodeFixed: values\[1\] must be a finite number/);
    expect(() => encodeFixed([Number.NEGATIVE_INFINITY])).toThrow(/values\[0\]/);
    expect(() => encodeFixed([2 ** 15])).toThrow(/magnitude below 2\^15 = 32768/);
    expect(() => encodeFixed([2 ** 18], { fracBits: 12 })).not.toThrow();
    expect(maxEncodable(16)).toBe(32768);
  });

  it('refuses fracBits outside [0, 30]', () => {
    for (const f of [-1, 31, 2.5, Number.NaN]) {
      expect(() => checkFracBits('f', f)).toThrow(
        expect.objectContaining({ code: 'VEIL_INVALID_PARAMETER' }),
      );
    }
    expect(() => decodeFixed(new BigUint64Array(1), { fracBits: 40 })).toThrow(
      /fracBits must be an integer in \[0, 30\]/,
    );
  });
});

describe('properties', () => {
  test.prop([fc.array(fc.double({ min: -32767, max: 32767, noNaN: true })), fc.integer({ min: 0, max: 30 })])(
    'decode(encode(x)) is within 1/2 ulp of x',
    (values, f) => {
      const limit = maxEncodable(f);
      const xs = values.map((v) => (v / 32768) * limit * 0.999);
      const back = decodeFixed(encodeFixed(xs, { fracBits: f }), { fracBits: f });
      xs.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(2 ** -(f + 1)));
    },
  );

  test.prop([fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }), fc.integer({ min: 1, max: 20 }), fc.nat()])(
    'local truncation of random shares gives floor(x / 2^k) or one more',
    (x, k, seed) => {
      const r = randomRing(1, seededRng(seed));
      const x0 = ringSub(BigUint64Array.of(BigInt.asUintN(64, x)), r);
      const t = ringAdd(truncateShares(x0, k, 0), truncateShares(r, k, 1));
      const got = BigInt.asIntN(64, t[0]!);
      const floor = x >> BigInt(k);
      expect(got === floor || got === floor + 1n).toBe(true);
    },
  );
});
