import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { A, batchInv0, fromLittleEndian, inv0, legendre, P, powMod, sqrt } from './field25519.js';
import { checkPoints, hashAndMultiply, importScalar, multiplyPoints } from './x25519.js';

const key = (seed: number) => {
  const bytes = new Uint8Array(32);
  seededRng(seed).fillBytes(bytes);
  return importScalar(bytes);
};

describe('field arithmetic mod 2^255 - 19', () => {
  it('legendre agrees with Euler\u2019s criterion and sqrt finds roots of squares', () => {
    const rng = seededRng(1);
    const small = [1n, 2n, 3n, 4n, 5n, 486662n, 2n ** 52n + 1n, 2n ** 53n + 5n, P - 1n, P - 2n];
    for (let i = 0; i < 300; i++) {
      const x = i < small.length ? (small[i] as bigint) : rng.uniformBigInt(P);
      const euler = powMod(x, (P - 1n) / 2n);
      expect(legendre(x)).toBe(euler === 1n ? 1 : euler === 0n ? 0 : -1);
      const root = sqrt(x);
      if (legendre(x) === 1) expect(((root as bigint) * (root as bigint)) % P).toBe(x);
      else expect(root).toBeUndefined();
    }
    expect(legendre(0n)).toBe(0);
  });

  it('batchInv0 inverts each element, leaving zeros', () => {
    const xs = [3n, 0n, P - 1n, 123456789n];
    const inverted = [...xs];
    batchInv0(inverted);
    expect(inverted).toEqual(xs.map(inv0));
    expect(((inverted[3] as bigint) * 123456789n) % P).toBe(1n);
  });
});

describe('X25519 kernels', () => {
  it('commute: (H(x)^a)^b = (H(x)^b)^a', () => {
    const [a, b] = [key(1), key(2)];
    const ids = ['alice', 'bob', ''];
    const ab = multiplyPoints(hashAndMultiply(ids, a), b);
    const ba = multiplyPoints(hashAndMultiply(ids, b), a);
    expect(ab).toEqual(ba);
    expect(hashAndMultiply(ids, a)).not.toEqual(hashAndMultiply(ids, b));
  });

  it('lands every hash on the curve, never the twist', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `row-${i}`);
    const points = hashAndMultiply(ids, key(3));
    expect(checkPoints(points)).toBeUndefined();
    for (let i = 0; i < ids.length; i++) {
      const u = fromLittleEndian(points, i * 32);
      expect(legendre(u * (u * u + A * u + 1n))).toBe(1);
    }
  });

  it('refuses a point of order 8 on the curve (X25519 would give all zeros)', () => {
    // u-coordinate of a point of order 8 on curve25519 (the small-order list of Bernstein's and libsodium's)
    const order8 = Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex');
    const points = new Uint8Array(64);
    points.set(hashAndMultiply(['fine'], key(4)));
    points.set(order8, 32);
    expect(multiplyPoints(points, key(5))).toEqual({ index: 1, why: 'it is a point of small order' });
    expect(checkPoints(order8)).toBeUndefined(); // on the curve: only the multiplication can tell
  });
});
