import { describe, expect, it } from 'vitest';
import { largestIntegerSatisfying, smallestSatisfying } from './roots.js';

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
