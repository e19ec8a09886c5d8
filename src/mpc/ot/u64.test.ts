import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { addInto, mulInto, shiftInto, subInto } from './u64.js';

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const split = (x: bigint) => [Number(x & 0xffffffffn), Number(x >> 32n)] as const;
const join = (out: Uint32Array) => (BigInt(out[1]!) << 32n) | BigInt(out[0]!);
const mod = (x: bigint) => BigInt.asUintN(64, x);

describe('u64 arithmetic on word pairs', () => {
  describe('properties', () => {
    test.prop([u64, u64])('adds mod 2^64', (a, b) => {
      const out = new Uint32Array(split(a));
      addInto(out, 0, ...split(b));
      expect(join(out)).toBe(mod(a + b));
    });

    test.prop([u64, u64])('subtracts mod 2^64', (a, b) => {
      const out = new Uint32Array(split(a));
      subInto(out, 0, ...split(b));
      expect(join(out)).toBe(mod(a - b));
    });

    test.prop([u64, u64])('multiplies mod 2^64', (a, b) => {
      const out = new Uint32Array(2);
      mulInto(out, 0, ...split(a), ...split(b));
      expect(join(out)).toBe(mod(a * b));
    });

    test.prop([u64, fc.integer({ min: 0, max: 63 })])('shifts left mod 2^64', (a, j) => {
      const out = new Uint32Array(2);
      shiftInto(out, 0, ...split(a), j);
      expect(join(out)).toBe(mod(a << BigInt(j)));
    });
  });
});
