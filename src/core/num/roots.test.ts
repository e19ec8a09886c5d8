import { describe, expect, it } from 'vitest';
import { largestIntegerSatisfying, smallestBelowTarget, smallestSatisfying } from './roots.js';

describe('monotone searches', () => {
  it('finds the threshold from above, within tolerance', () => {
    const x = smallestSatisfying((v) => v * v >= 2, 0, 10, { tolerance: 1e-9 });
    expect(x * x).toBeGreaterThanOrEqual(2);
    expect((x - 1e-9) ** 2).toBeLessThan(2);
  });

  it('throws when the upper end does not satisfy', () => {
    expect(() => smallestSatisfying(() => false, 0, 1, { tolerance: 1e-3, what: 'sigma' })).toThrow(/sigma/);
  });

  it('finds the largest integer', () => {
    expect(largestIntegerSatisfying((n) => n * n <= 1000, 1, 1 << 20)).toBe(31);
    expect(largestIntegerSatisfying(() => false, 1, 10)).toBe(0);
    expect(largestIntegerSatisfying(() => true, 1, 10)).toBe(10);
  });
});

describe('smallestBelowTarget (safeguarded false position)', () => {
  it('finds the threshold of a decreasing function in few evaluations', () => {
    let calls = 0;
    const f = (x: number) => {
      calls++;
      return 3 / x; // f(x) <= 2 iff x >= 1.5
    };
    const r = smallestBelowTarget(f, 2, 0.5, 10, { tolerance: 1e-6 });
    expect(r.value).toBeLessThanOrEqual(2);
    expect(r.x).toBeGreaterThanOrEqual(1.5);
    expect(r.x - 1.5).toBeLessThanOrEqual(1e-6);
    expect(f(r.x - 1e-6)).toBeGreaterThan(2);
    expect(calls).toBeLessThan(40);
  });

  it('copes with an infinite value at the lower end (bisects)', () => {
    const r = smallestBelowTarget((x) => (x < 0.1 ? Number.POSITIVE_INFINITY : 1 / x), 4, 0.01, 1, {
      tolerance: 1e-9,
    });
    expect(r.x).toBeCloseTo(0.25, 8);
    expect(r.value).toBeLessThanOrEqual(4);
  });

  it('refuses a bracket that does not straddle the target', () => {
    expect(() => smallestBelowTarget((x) => x, 5, 0, 1, { tolerance: 1e-3, what: 'sigma' })).toThrow(/sigma/);
  });
});
