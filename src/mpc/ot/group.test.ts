import { checkPrimeSync, getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import {
  decodeElement,
  ELEMENT_BYTES,
  Exponentiator,
  encodeElement,
  isValidElement,
  MODP14_GENERATOR,
  MODP14_ORDER,
  MODP14_PRIME,
  randomExponent,
} from './group.js';

function powMod(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

describe('MODP group 14', () => {
  it("is RFC 3526's 2048-bit prime, as node:crypto ships it", () => {
    const builtin = getDiffieHellman('modp14');
    expect(decodeElement(builtin.getPrime())).toBe(MODP14_PRIME);
    expect(decodeElement(builtin.getGenerator())).toBe(MODP14_GENERATOR);
    expect(MODP14_PRIME.toString(2)).toHaveLength(2048);
  });

  it('has a safe prime p = 2q + 1 with p ≡ 7 (mod 8)', () => {
    expect(checkPrimeSync(MODP14_PRIME, { checks: 4 })).toBe(true);
    expect(checkPrimeSync(MODP14_ORDER, { checks: 4 })).toBe(true);
    expect(2n * MODP14_ORDER + 1n).toBe(MODP14_PRIME);
    expect(MODP14_PRIME % 8n).toBe(7n);
  });

  it('has g = 2 of order q: a generator of the quadratic residues', () => {
    expect(powMod(MODP14_GENERATOR, MODP14_ORDER, MODP14_PRIME)).toBe(1n);
    expect(MODP14_GENERATOR).not.toBe(1n);
  });

  it('accepts exactly 1 < x < p - 1', () => {
    for (const x of [0n, 1n, MODP14_PRIME - 1n, MODP14_PRIME, 2n ** 2048n - 1n])
      expect(isValidElement(x)).toBe(false);
    for (const x of [2n, MODP14_PRIME - 2n]) expect(isValidElement(x)).toBe(true);
  });

  it('encodes elements as 256 big-endian bytes', () => {
    const bytes = encodeElement(258n);
    expect(bytes).toHaveLength(ELEMENT_BYTES);
    expect([...bytes.subarray(ELEMENT_BYTES - 2)]).toEqual([1, 2]);
    expect(decodeElement(bytes)).toBe(258n);
  });

  it('pads a power with leading zero bytes to 256 bytes (OpenSSL strips them)', () => {
    const exp = new Exponentiator();
    const e = new Uint8Array(32);
    const view = new DataView(e.buffer);
    let found = 0;
    for (let k = 1; found < 2 && k < 20_000; k++) {
      view.setUint32(28, k);
      const ge = exp.powG(e);
      expect(ge).toHaveLength(ELEMENT_BYTES);
      const gge = exp.pow(ge, e);
      expect(gge).toHaveLength(ELEMENT_BYTES);
      if (ge[0] === 0) {
        found += 1;
        expect(decodeElement(ge)).toBe(powMod(2n, BigInt(k), MODP14_PRIME));
      }
    }
    expect(found).toBe(2);
  });

  it('exponentiates through OpenSSL as BigInt does', () => {
    const rng = seededRng(1);
    const exp = new Exponentiator();
    const e = randomExponent(rng);
    const f = randomExponent(rng);
    const ge = exp.powG(e);
    expect(decodeElement(ge)).toBe(powMod(2n, decodeElement(e), MODP14_PRIME));
    expect(decodeElement(exp.pow(ge, f))).toBe(powMod(decodeElement(ge), decodeElement(f), MODP14_PRIME));
    expect(e).toHaveLength(32);
  });
});
