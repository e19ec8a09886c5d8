import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { csprng, seededRng } from '../core/index.js';
import { reconstructSecret, SHAMIR_PRIME, shareSecret } from './shamir.js';

describe('Shamir secret sharing over GF(2^31 - 1)', () => {
  test.prop([
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 0, max: 12 }),
    fc.nat({ max: 2 ** 30 }),
  ])('any threshold-sized subset reconstructs the secret', (secret, t, extra, seed) => {
    const n = t + extra;
    const shares = shareSecret(secret, t, n, seededRng(seed));
    const rng = seededRng(seed + 1);
    const subset = [...shares].sort(() => rng.uniform() - 0.5).slice(0, t);
    expect(reconstructSecret(subset, t, secret.length)).toEqual(secret);
    expect(reconstructSecret(shares, t, secret.length)).toEqual(secret);
  });

  it('shares a 32-byte key among 1000 parties with threshold 500', () => {
    const secret = new Uint8Array(32).map((_, i) => i * 7 + 1);
    const shares = shareSecret(secret, 500, 1000, csprng());
    expect(reconstructSecret(shares.slice(500), 500, 32)).toEqual(secret);
    expect(shares.every((s) => s.y.every((v) => v < SHAMIR_PRIME))).toBe(true);
  });

  it('fewer than t shares: refused, and their values do not depend on the secret', () => {
    const shares = shareSecret(new Uint8Array([1, 2, 3]), 3, 5, csprng());
    expect(() => reconstructSecret(shares.slice(0, 2), 3, 3)).toThrow(/at least 3/);
    expect(() => reconstructSecret([shares[0]!, shares[0]!, shares[1]!], 3, 3)).toThrow(/2 distinct/);
    // t - 1 = 1 share of a threshold-2 sharing is uniform: its mean over many sharings of two different
    // secrets is p/2 either way (6 sd bound)
    const meanOfFirstShare = (secret: number) => {
      const rng = seededRng(`s${secret}`);
      let sum = 0;
      const runs = 4000;
      for (let i = 0; i < runs; i++) sum += shareSecret(new Uint8Array([secret]), 2, 2, rng)[0]!.y[0]!;
      return sum / runs;
    };
    const sd = SHAMIR_PRIME / Math.sqrt(12 * 4000);
    for (const s of [0, 255]) expect(Math.abs(meanOfFirstShare(s) - SHAMIR_PRIME / 2)).toBeLessThan(6 * sd);
  });

  it('refuses bad parameters', () => {
    const rng = csprng();
    expect(() => shareSecret(new Uint8Array(0), 1, 1, rng)).toThrow(/non-empty/);
    expect(() => shareSecret(new Uint8Array(1), 3, 2, rng)).toThrow(/threshold/);
    expect(() => shareSecret(new Uint8Array(1), 1, 70_000, rng)).toThrow(/n/);
    const shares = shareSecret(new Uint8Array(4), 2, 3, rng);
    expect(() => reconstructSecret(shares, 2, 7)).toThrow(/3 values/);
    expect(() => reconstructSecret([{ x: 0, y: shares[0]!.y }, shares[1]!], 2, 4)).toThrow(/\[1, p\)/);
  });
});
