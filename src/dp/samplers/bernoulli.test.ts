import { describe, expect, it } from 'vitest';
import { type Rng, seededRng } from '../../core/index.js';
import { ksPValue, ksStatistic, Z_CRITICAL_1E4 } from '../testing/stats.js';
import {
  bernoulliBracketed,
  bernoulliExpFraction,
  bernoulliExpMinusOne,
  bernoulliExpOfDouble,
  uniformFullPrecision,
} from './bernoulli.js';

const N = 200_000;

/** |observed rate - p| in standard errors (two-sided false-alarm rate 1e-4 at 3.89). */
function zScore(draw: () => boolean, p: number, n = N): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (draw()) hits++;
  return Math.abs(hits / n - p) / Math.sqrt((p * (1 - p)) / n);
}

describe('exact Bernoulli(exp(-gamma)) kernels (z-tests, alpha = 1e-4 each)', () => {
  it('bernoulliExpMinusOne has rate exp(-1)', () => {
    const rng = seededRng(301);
    expect(zScore(() => bernoulliExpMinusOne(rng), Math.exp(-1))).toBeLessThan(Z_CRITICAL_1E4);
  });

  it('bernoulliExpFraction has rate exp(-num/den), including den above 2^32', () => {
    const rng = seededRng(302);
    for (const [num, den] of [
      [0, 5],
      [3, 7],
      [7, 7],
      [5404319552844595, 5404319552844597],
      [1234567891234, 9876543210987],
    ] as const) {
      const p = Math.exp(-num / den);
      if (p === 1) expect(bernoulliExpFraction(rng, num, den)).toBe(true);
      else expect(zScore(() => bernoulliExpFraction(rng, num, den), p, 50_000)).toBeLessThan(Z_CRITICAL_1E4);
    }
  });

  it('bernoulliExpOfDouble has rate exp(-gamma) for gamma below and above 1', () => {
    const rng = seededRng(303);
    for (const gamma of [0, 0.01, 0.3, 1, 2.75, 6.2]) {
      const p = Math.exp(-gamma);
      if (p === 1) expect(bernoulliExpOfDouble(rng, gamma)).toBe(true);
      else expect(zScore(() => bernoulliExpOfDouble(rng, gamma), p, 50_000)).toBeLessThan(Z_CRITICAL_1E4);
    }
  });
});

describe('bernoulliBracketed', () => {
  it('decides from the bracket without calling exactP when the bracket is a point', () => {
    const rng = seededRng(304);
    let calls = 0;
    const exact = () => {
      calls++;
      return { num: 1n, den: 4n };
    };
    expect(zScore(() => bernoulliBracketed(rng, 0.25, 0.25, exact), 0.25, 50_000)).toBeLessThan(
      Z_CRITICAL_1E4,
    );
    expect(calls).toBeLessThan(3);
  });

  it('falls back to the exact rational when the bracket is [0, 1], with rate exactly num/den', () => {
    const rng = seededRng(305);
    let calls = 0;
    const exact = () => {
      calls++;
      return { num: 1n, den: 3n };
    };
    expect(zScore(() => bernoulliBracketed(rng, 0, 1, exact), 1 / 3, 50_000)).toBeLessThan(Z_CRITICAL_1E4);
    expect(calls).toBe(50_000);
  });

  it('continues the comparison on the unseen bits: U < p iff U2 < (num 2^53 - a den) / den', () => {
    // Rig the first 53 bits to a = floor(p 2^53) for p = 1/3: the decision must come from
    // bernoulliRational(rest, den) with rest = 2^53 - 3a (so rest / den = frac(2^53 / 3)).
    const base = seededRng(306);
    const a = Math.floor(2 ** 53 / 3);
    const seen: Array<[bigint, bigint]> = [];
    const rigged: Rng = Object.assign(Object.create(base) as Rng, {
      uniform: () => a / 2 ** 53,
      bernoulliRational: (num: bigint, den: bigint) => {
        seen.push([num, den]);
        return true;
      },
    });
    expect(bernoulliBracketed(rigged, 0, 1, () => ({ num: 1n, den: 3n }))).toBe(true);
    expect(seen).toEqual([[2n ** 53n - 3n * BigInt(a), 3n]]);
  });
});

describe('uniformFullPrecision', () => {
  it('is uniform on [0, 1) (KS, alpha = 1e-4) and resolves values far below 2^-53 in scale', () => {
    const rng = seededRng(307);
    const samples = Float64Array.from({ length: 50_000 }, () => uniformFullPrecision(rng));
    for (const u of samples) {
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
    expect(
      ksPValue(
        ksStatistic(samples, (x) => Math.min(1, Math.max(0, x))),
        samples.length,
      ),
    ).toBeGreaterThan(1e-4);
    // The smallest of 50k draws is ~2e-5: its mantissa still carries 52 random bits (not a multiple of 2^-53).
    const smallest = Math.min(...samples);
    expect((smallest * 2 ** 53) % 1).not.toBe(0);
  });
});
