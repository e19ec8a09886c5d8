import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { referenceMatmul, referenceMul, referenceTruncate } from './reference.js';
import { randomRing, ringAdd, ringFromBytes, ringMulScalar, ringSub, ringToBytes } from './ring.js';
import { wasmBeaver, wasmMatmul, wasmMul, wasmTruncate } from './wasm/runtime.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const vec = (n: number) => fc.array(u64, { minLength: n, maxLength: n }).map((v) => BigUint64Array.from(v));

describe('wasm ring kernels', () => {
  it('matmul equals the BigInt reference on random 64-bit matrices, wrap-around included', () => {
    const rng = seededRng(11);
    for (const [n, k, m] of [
      [1, 1, 1],
      [3, 5, 2],
      [7, 130, 9], // k crosses a 128 block
      [5, 3, 300], // m crosses a 256 block
      [0, 4, 3],
    ] as const) {
      const a = randomRing(n * k, rng);
      const b = randomRing(k * m, rng);
      expect(wasmMatmul(a, b, n, k, m)).toEqual(referenceMatmul(a, b, n, k, m));
    }
  });

  it('matmul wraps around: (2^63) * 2 = 0 and (2^64 - 1)^2 = 1', () => {
    expect(wasmMatmul(BigUint64Array.of(1n << 63n), BigUint64Array.of(2n), 1, 1, 1)[0]).toBe(0n);
    const max = (1n << 64n) - 1n;
    expect(wasmMatmul(BigUint64Array.of(max), BigUint64Array.of(max), 1, 1, 1)[0]).toBe(1n);
  });

  it('keeps working after its memory grows (views made after growing)', () => {
    const rng = seededRng(12);
    const big = randomRing(300_000, rng);
    const small = randomRing(4, rng);
    expect(wasmMul(big, big).length).toBe(300_000);
    expect(wasmMul(small, small)).toEqual(referenceMul(small, small));
  });
});

describe('properties', () => {
  test.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })])(
    'wasm matmul = reference matmul',
    (n, k, m) => {
      const rng = seededRng(n * 100 + k * 10 + m);
      const a = randomRing(n * k, rng);
      const b = randomRing(k * m, rng);
      expect(wasmMatmul(a, b, n, k, m)).toEqual(referenceMatmul(a, b, n, k, m));
    },
  );

  test.prop([vec(8), vec(8)])('elementwise mul = reference; add and sub are inverse', (a, b) => {
    expect(wasmMul(a, b)).toEqual(referenceMul(a, b));
    expect(ringSub(ringAdd(a, b), b)).toEqual(a);
  });

  test.prop([vec(8), fc.integer({ min: 0, max: 63 })])(
    'truncation kernel = reference for both parties',
    (x, bits) => {
      expect(wasmTruncate(x, bits, true)).toEqual(referenceTruncate(x, bits, true));
      expect(wasmTruncate(x, bits, false)).toEqual(referenceTruncate(x, bits, false));
    },
  );

  test.prop([vec(5), vec(5), vec(5), vec(5), vec(5)])(
    'beaver kernel = c + e b + f a (+ e f)',
    (c, e, f, a, b) => {
      const expected = (lead: boolean) =>
        BigUint64Array.from(c, (ci, i) =>
          BigInt.asUintN(64, ci + e[i]! * b[i]! + f[i]! * a[i]! + (lead ? e[i]! * f[i]! : 0n)),
        );
      expect(wasmBeaver(c, e, f, a, b, true)).toEqual(expected(true));
      expect(wasmBeaver(c, e, f, a, b, false)).toEqual(expected(false));
    },
  );

  test.prop([vec(3), u64])('mulScalar wraps like BigInt', (a, s) => {
    expect(ringMulScalar(a, s)).toEqual(BigUint64Array.from(a, (v) => BigInt.asUintN(64, v * s)));
  });
});

describe('wire format', () => {
  it('round-trips several vectors in one message, from an unaligned buffer too', () => {
    const x = BigUint64Array.of(1n, (1n << 64n) - 1n);
    const y = BigUint64Array.of(42n);
    const bytes = ringToBytes(x, y);
    const unaligned = new Uint8Array(bytes.length + 3).subarray(3);
    unaligned.set(bytes);
    const [x2, y2] = ringFromBytes(unaligned, [2, 1], { peer: 'p', stage: 's' });
    expect(x2).toEqual(x);
    expect(y2).toEqual(y);
  });

  it('refuses a payload of the wrong length with a ProtocolError', () => {
    expect(() =>
      ringFromBytes(new Uint8Array(15), [2], { peer: 'party 1', stage: 'arith.mul.open' }),
    ).toThrow(expect.objectContaining({ code: 'VEIL_PROTOCOL_VIOLATION' }));
  });
});
