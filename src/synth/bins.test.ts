import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.js';
import { binOf, drawInBin, formatInBin, inBin } from './bins.js';

describe('binOf', () => {
  const edges = [-2, 0, 0.5, 10];
  it('puts edges in the bin they open, and max in the last bin', () => {
    expect([-2, -1e-9, 0, 0.25, 0.5, 9.99, 10].map((x) => binOf(edges, x))).toEqual([0, 0, 1, 1, 2, 2, 2]);
  });
  it('handles one bin and many bins', () => {
    expect(binOf([0, 1], 1)).toBe(0);
    const many = Array.from({ length: 1001 }, (_, i) => i);
    expect(binOf(many, 500)).toBe(500);
    expect(binOf(many, 499.999)).toBe(499);
    expect(binOf(many, 1000)).toBe(999);
  });
});

describe('drawInBin / formatInBin', () => {
  it('stays inside a right-open bin even when rounding would reach its top', () => {
    const top = { kind: 'seeded' as const, uniform: () => 1 - 2 ** -53 } as unknown as Parameters<
      typeof drawInBin
    >[3];
    const edges = [1e16, 1e16 + 2, 1e16 + 4];
    const x = drawInBin(edges, false, 0, top);
    expect(inBin(edges, 0, x)).toBe(true);
  });
  it('draws from bins at the ends of the double range', () => {
    const edges = [-1.7e308, 0, 1.7e308];
    const rng = seededRng(1);
    for (let i = 0; i < 50; i++) {
      expect(inBin(edges, 0, drawInBin(edges, false, 0, rng))).toBe(true);
      expect(inBin(edges, 1, drawInBin(edges, false, 1, rng))).toBe(true);
    }
  });
  it('prints 6 significant digits, more only to stay in the bin', () => {
    expect(formatInBin([0, 1], 0, 0.1 + 0.2)).toBe('0.3');
    expect(formatInBin([0, 100], 0, 12.3456789)).toBe('12.3457');
    // 0.1234567 rounds to 0.123457, the next bin's edge: one more digit keeps it inside
    expect(formatInBin([0, 0.123457, 1], 0, 0.1234569)).toBe('0.1234569');
    expect(formatInBin([0, 10], 0, 7)).toBe('7');
  });
  it('whole numbers in a bin: each of them, the last bin including max', () => {
    const edges = [0, 2.5, 4];
    const rng = seededRng(2);
    const first = new Set(Array.from({ length: 200 }, () => drawInBin(edges, true, 0, rng)));
    const last = new Set(Array.from({ length: 200 }, () => drawInBin(edges, true, 1, rng)));
    expect([...first].sort()).toEqual([0, 1, 2]);
    expect([...last].sort()).toEqual([3, 4]);
  });
  it('a bin without a whole number (refused by parseDomain) gives its rounded midpoint', () => {
    expect(drawInBin([0, 0.2, 0.4, 5], true, 1, seededRng(3))).toBe(0);
  });
});
