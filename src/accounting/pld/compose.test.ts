import { describe, expect, it } from 'vitest';
import {
  chernoffProfile,
  composePmfs,
  selfComposePmf,
  selfComposePmfs,
  selfComposeWindow,
} from './compose.js';
import { type PldPmf, pmfDelta } from './pmf.js';

const pmf = (lowerIndex: number, probs: number[], infinityMass = 0, interval = 0.01): PldPmf => ({
  interval,
  lowerIndex,
  probs: Float64Array.from(probs),
  infinityMass,
});

/** Repeated exact composition (the oracle). */
function repeated(p: PldPmf, count: number): PldPmf {
  let out = p;
  for (let i = 1; i < count; i++) out = composePmfs(out, p, 0);
  return out;
}

function massAt(p: PldPmf, index: number): number {
  const i = index - p.lowerIndex;
  return i >= 0 && i < p.probs.length ? p.probs[i]! : 0;
}

describe('selfComposePmf', () => {
  const base = pmf(-3, [0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0.04], 0.01);

  it('matches repeated convolution (oracle), with infinity mass 1 - (1 - inf)^n', () => {
    const fast = selfComposePmf(base, 12, 0);
    const slow = repeated(base, 12);
    for (let k = slow.lowerIndex; k < slow.lowerIndex + slow.probs.length; k++) {
      expect(Math.abs(massAt(fast, k) - massAt(slow, k))).toBeLessThan(1e-15);
    }
    expect(fast.infinityMass).toBeCloseTo(1 - 0.99 ** 12, 15);
  });

  it('with tail truncation, stays above the exact delta (pessimistic) and close to it', () => {
    const exact = repeated(base, 40);
    const truncated = selfComposePmf(base, 40, 1e-12);
    expect(truncated.probs.length).toBeLessThan(exact.probs.length);
    for (const epsilon of [0, 0.05, 0.2, 0.5]) {
      const d = pmfDelta(truncated, epsilon);
      expect(d).toBeGreaterThanOrEqual(pmfDelta(exact, epsilon) - 1e-15);
      expect(d - pmfDelta(exact, epsilon)).toBeLessThan(2e-12);
    }
  });

  it('composes a single atom exactly', () => {
    const atom = pmf(5, [0.9], 0.1);
    const out = selfComposePmf(atom, 3, 1e-15);
    expect(out.lowerIndex).toBe(15);
    expect(out.probs[0]).toBeCloseTo(0.729, 15);
    expect(out.infinityMass).toBeCloseTo(0.271, 15);
  });

  it('returns the PMF itself for count 1', () => {
    expect(selfComposePmf(base, 1, 1e-15)).toBe(base);
  });

  it('gives the same results for two PMFs in one shared FFT as one at a time', () => {
    const other = pmf(-40, [0.3, 0, 0, 0.3, 0.4]);
    const [a, b] = selfComposePmfs([base, other], 25, 1e-15);
    const a1 = selfComposePmf(base, 25, 1e-15);
    const b1 = selfComposePmf(other, 25, 1e-15);
    for (const [x, y] of [
      [a!, a1],
      [b!, b1],
    ] as const) {
      expect(x.lowerIndex).toBe(y.lowerIndex);
      for (let i = 0; i < y.probs.length; i++)
        expect(Math.abs(x.probs[i]! - y.probs[i]!)).toBeLessThan(1e-15);
    }
  });
});

describe('selfComposeWindow', () => {
  it('is within the full range and narrower than it for long compositions', () => {
    const profile = chernoffProfile(pmf(0, [0.25, 0.5, 0.25]));
    const w = selfComposeWindow(profile, 10_000, 1e-15);
    expect(w.lo).toBeGreaterThan(0);
    expect(w.hi).toBeLessThan(20_000);
    expect(w.truncated).toBe(true);
    // mean 10,000, standard deviation sqrt(5000) ~ 70.7: the window is a few dozen deviations wide at most.
    expect(w.hi - 10_000).toBeLessThan(1000);
    expect(10_000 - w.lo).toBeLessThan(1000);
    expect(selfComposeWindow(profile, 10_000, 0)).toEqual({ lo: 0, hi: 20_000, truncated: false });
  });
});

describe('composePmfs', () => {
  it('convolves, combines infinity masses and is commutative', () => {
    const a = pmf(-1, [0.5, 0.5], 0);
    const b = pmf(2, [0.25, 0.25, 0.4], 0.1);
    const ab = composePmfs(a, b, 0);
    const ba = composePmfs(b, a, 0);
    expect(ab).toEqual(ba);
    expect(ab.lowerIndex).toBe(1);
    expect(Array.from(ab.probs)).toEqual([0.125, 0.25, 0.325, 0.2]);
    expect(ab.infinityMass).toBeCloseTo(0.1, 15);
  });
});
