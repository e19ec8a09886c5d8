import { createCipheriv } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../core/index.js';
import { constantTimeEqual, hkdf, open, prgWords, seal } from './symmetric.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('hkdf', () => {
  it('matches RFC 5869 A.1 (test case 1)', () => {
    const okm = hkdf(
      new Uint8Array(22).fill(0x0b),
      hex('000102030405060708090a0b0c'),
      hex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(toHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

describe('seal / open (AES-256-GCM)', () => {
  it('matches the GCM spec (McGrew & Viega) test case 14: 256-bit zero key, zero block', () => {
    const sealed = seal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(16));
    expect(toHex(sealed)).toBe('cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919');
  });

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 })], { numRuns: 30 })(
    'opens what it sealed; a changed byte, key, nonce or aad is an IntegrityError',
    (plaintext, aad) => {
      const key = new Uint8Array(32).fill(7);
      const nonce = new Uint8Array(12).fill(1);
      const sealed = seal(key, nonce, plaintext, aad);
      expect(open(key, nonce, sealed, aad)).toEqual(plaintext);
      const flipped = sealed.slice();
      flipped[0]! ^= 1;
      expect(() => open(key, nonce, flipped, aad)).toThrow(IntegrityError);
      expect(() => open(new Uint8Array(32), nonce, sealed, aad)).toThrow(IntegrityError);
      expect(() => open(key, new Uint8Array(12), sealed, aad)).toThrow(IntegrityError);
      expect(() => open(key, nonce, sealed, Uint8Array.from([...aad, 1]))).toThrow(IntegrityError);
    },
  );

  it('refuses keys and nonces of the wrong size, and truncated messages', () => {
    expect(() => seal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(1))).toThrow(/32 bytes/);
    expect(() => seal(new Uint8Array(32), new Uint8Array(8), new Uint8Array(1))).toThrow(/12 bytes/);
    expect(() => open(new Uint8Array(32), new Uint8Array(12), new Uint8Array(5))).toThrow(IntegrityError);
  });
});

describe('prgWords', () => {
  it('is the AES-256-CTR keystream from counter 0 (NIST SP 800-38A F.5.5 key, checked against node:crypto)', () => {
    const key = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
    const words = prgWords(key, 8);
    const stream = createCipheriv('aes-256-ctr', key, new Uint8Array(16)).update(new Uint8Array(32));
    expect(toHex(new Uint8Array(words.buffer))).toBe(toHex(stream));
  });

  it('is deterministic per seed, differs across seeds, and looks uniform', () => {
    const a = prgWords(new Uint8Array(32).fill(1), 100_000);
    expect(prgWords(new Uint8Array(32).fill(1), 100_000)).toEqual(a);
    const b = prgWords(new Uint8Array(32).fill(2), 100_000);
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    expect(same).toBeLessThan(3);
    // mean of uniform words in [0, 2^32): 2^31 with sd 2^32/sqrt(12 n); 6 sd bound
    const mean = a.reduce((s, w) => s + w, 0) / a.length;
    expect(Math.abs(mean - 2 ** 31)).toBeLessThan((6 * 2 ** 32) / Math.sqrt(12 * a.length));
  });
});

describe('constantTimeEqual', () => {
  it('compares bytes, and strings of different lengths are unequal', () => {
    expect(constantTimeEqual(hex('0102'), hex('0102'))).toBe(true);
    expect(constantTimeEqual(hex('0102'), hex('0103'))).toBe(false);
    expect(constantTimeEqual(hex('0102'), hex('010203'))).toBe(false);
  });
});
