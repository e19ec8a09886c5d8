import { describe, expect, it } from 'vitest';
import { csprng } from './csprng.js';
import { seededRng } from './seeded.js';

// Statistical checks here use fixed seeds and 5-sigma (or wider) bounds: the false-alarm rate of each is
// below 1e-6 for a correct generator, and a fixed seed makes every run identical.
describe('generators', () => {
  it('the CSPRNG is private, the seeded one is not', () => {
    expect(csprng().isPrivate).toBe(true);
    expect(csprng().kind).toBe('csprng');
    expect(seededRng(1).isPrivate).toBe(false);
  });

  it('seeded generators reproduce their stream, and differ by seed', () => {
    const a = Array.from(
      { length: 5 },
      (() => {
        const r = seededRng(42);
        return () => r.nextUint32();
      })(),
    );
    const b = Array.from(
      { length: 5 },
      (() => {
        const r = seededRng(42);
        return () => r.nextUint32();
      })(),
    );
    const c = Array.from(
      { length: 5 },
      (() => {
        const r = seededRng(43);
        return () => r.nextUint32();
      })(),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(seededRng(42n).nextUint32()).toBe(seededRng(42).nextUint32());
  });

  it('refuses bad seeds', () => {
    expect(() => seededRng(-1)).toThrow('seededRng: seed must be an integer >= 0, got -1');
    expect(() => seededRng(1.5)).toThrow(/seed/);
    expect(() => seededRng('')).toThrow(/non-empty/);
  });

  it('uniform lies in [0, 1) with mean 1/2', () => {
    const rng = seededRng(1);
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
  });

  it('uniformInt has no modulo bias (n = 3 * 2^30, where x % n would be biased)', () => {
    const rng = seededRng(2);
    const n = 3 * 2 ** 30;
    let low = 0;
    const draws = 60_000;
    for (let i = 0; i < draws; i++) if (rng.uniformInt(n) < n / 3) low++;
    // Biased modulo would put ~1/2 of the mass below n/3; the exact answer is 1/3.
    expect(Math.abs(low / draws - 1 / 3)).toBeLessThan(5 * Math.sqrt(2 / 9 / draws));
  });

  it('uniformInt and uniformBigInt cover large ranges', () => {
    const rng = seededRng(3);
    for (let i = 0; i < 100; i++) {
      const x = rng.uniformInt(2 ** 53);
      expect(Number.isSafeInteger(x) && x >= 0).toBe(true);
      const y = rng.uniformBigInt(10n ** 30n);
      expect(y >= 0n && y < 10n ** 30n).toBe(true);
    }
    expect(() => rng.uniformInt(0)).toThrow(/n must be an integer in \[1, 2\^53\]/);
  });

  it('bernoulli(p) hits p for awkward doubles', () => {
    const rng = seededRng(4);
    for (const p of [0.3, 1 / 3, 1e-3, 0.999]) {
      let hits = 0;
      const n = 40_000;
      for (let i = 0; i < n; i++) if (rng.bernoulli(p)) hits++;
      expect(Math.abs(hits / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
    }
    expect(rng.bernoulli(0)).toBe(false);
    expect(rng.bernoulli(1)).toBe(true);
    expect(() => rng.bernoulli(1.5)).toThrow(/p must be a number in \[0, 1\]/);
  });

  it('bernoulliExp(gamma) hits exp(-gamma), including gamma > 1 and rationals', () => {
    const rng = seededRng(5);
    for (const gamma of [0, 0.25, 1, 2.7, { num: 7n, den: 3n }] as const) {
      const g = typeof gamma === 'number' ? gamma : Number(gamma.num) / Number(gamma.den);
      const p = Math.exp(-g);
      let hits = 0;
      const n = 40_000;
      for (let i = 0; i < n; i++) if (rng.bernoulliExp(gamma)) hits++;
      expect(Math.abs(hits / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
    }
  });

  it('normal, exponential and geometric have the right moments', () => {
    const rng = seededRng(6);
    const n = 100_000;
    let s1 = 0;
    let s2 = 0;
    let e1 = 0;
    let g1 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s1 += z;
      s2 += z * z;
      e1 += rng.exponential();
      g1 += rng.geometric(0.25);
    }
    expect(Math.abs(s1 / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(e1 / n - 1)).toBeLessThan(5 / Math.sqrt(n));
    // geometric(p): mean (1-p)/p = 3, variance (1-p)/p^2 = 12
    expect(Math.abs(g1 / n - 3)).toBeLessThan(5 * Math.sqrt(12 / n));
  });

  it('fillBytes fills odd lengths', () => {
    const out = new Uint8Array(7);
    seededRng(7).fillBytes(out);
    expect(out.some((b) => b !== 0)).toBe(true);
  });
});
