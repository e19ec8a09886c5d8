import { describe, expect, it } from 'vitest';
import { csprng } from './csprng.js';
import { gaussianNoiseStream } from './noise-stream.js';
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

describe('fillNormal (ziggurat)', () => {
  /** Kolmogorov-Smirnov statistic of `xs` against the standard normal CDF, and its asymptotic p-value. */
  function ks(xs: Float64Array): { d: number; p: number } {
    const sorted = Float64Array.from(xs).sort();
    const n = sorted.length;
    const cdf = (x: number) => 0.5 * (1 + erfApprox(x / Math.SQRT2));
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = cdf(sorted[i]!);
      d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
    }
    const t = Math.sqrt(n) * d;
    let p = 0;
    for (let k = 1; k < 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * t * t);
    return { d, p: Math.min(1, Math.max(0, p)) };
  }
  // erf via the normal CDF identity from core's special functions is in num/special.ts; an independent
  // Abramowitz-Stegun 7.1.26 approximation (error < 1.5e-7) keeps this test self-contained.
  function erfApprox(x: number): number {
    const s = Math.sign(x);
    const a = Math.abs(x);
    const t = 1 / (1 + 0.3275911 * a);
    const y =
      1 -
      ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
        t *
        Math.exp(-a * a);
    return s * y;
  }

  it('passes a Kolmogorov-Smirnov test against N(0, 1) (fixed seed, false alarm 1e-4)', () => {
    const xs = new Float64Array(200_000);
    seededRng(21).fillNormal(xs);
    expect(ks(xs).p).toBeGreaterThan(1e-4);
  });

  it('has the requested standard deviation, unit tails and independent consecutive draws', () => {
    const xs = new Float64Array(400_000);
    seededRng(22).fillNormal(xs, 2.5);
    let s1 = 0;
    let s2 = 0;
    let tail = 0;
    let lag = 0;
    for (let i = 0; i < xs.length; i++) {
      s1 += xs[i]!;
      s2 += xs[i]! * xs[i]!;
      if (Math.abs(xs[i]!) > 2.5 * 3.5) tail++;
      if (i > 0) lag += xs[i]! * xs[i - 1]!;
    }
    const n = xs.length;
    expect(Math.abs(s1 / n)).toBeLessThan((5 * 2.5) / Math.sqrt(n));
    expect(Math.abs(s2 / n / 6.25 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // P(|Z| > 3.5) = 4.65e-4: expected 186 of 400k, sd ~13.6
    expect(Math.abs(tail - 186)).toBeLessThan(5 * 13.6);
    expect(Math.abs(lag / n / 6.25)).toBeLessThan(5 / Math.sqrt(n));
  });

  it('fills float32 arrays too', () => {
    const xs = new Float32Array(10);
    seededRng(23).fillNormal(xs);
    expect(xs.every((v) => Number.isFinite(v) && v !== 0)).toBe(true);
  });
});

describe('gaussianNoiseStream', () => {
  it('draws standard normals on a background worker for the CSPRNG', () => {
    const stream = gaussianNoiseStream(csprng(), 50_000);
    try {
      expect(stream.background).toBe(true);
      expect(stream.isPrivate).toBe(true);
      let s1 = 0;
      let s2 = 0;
      const draws: Float32Array[] = [];
      for (let k = 0; k < 4; k++) {
        const z = stream.take(50_000);
        draws.push(Float32Array.from(z));
        for (const v of z) {
          s1 += v;
          s2 += v * v;
        }
      }
      const n = 200_000;
      expect(Math.abs(s1 / n)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
      // consecutive takes are different draws
      expect(draws[0]).not.toEqual(draws[1]);
      expect(draws[1]).not.toEqual(draws[2]);
    } finally {
      stream.close();
    }
  });

  it('stays in-thread and reproducible for a seeded generator', () => {
    const a = gaussianNoiseStream(seededRng(4), 10);
    const b = gaussianNoiseStream(seededRng(4), 10);
    expect(a.background).toBe(false);
    expect(a.isPrivate).toBe(false);
    expect(Array.from(a.take(10))).toEqual(Array.from(b.take(10)));
  });
});
