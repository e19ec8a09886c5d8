import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.js';
import { permutation, poissonSample } from './sampling.js';

describe('Poisson sampling', () => {
  it('makes exactly the draws of rng.bernoulli(q), example by example', () => {
    for (const q of [256 / 60000, 0.3, 1 / 3, 0.999]) {
      const fast = poissonSample(5000, q, seededRng(1));
      const r = seededRng(1);
      const slow: number[] = [];
      for (let i = 0; i < 5000; i++) if (r.bernoulli(q)) slow.push(i);
      expect(Array.from(fast)).toEqual(slow);
    }
  });

  it('includes each example with probability q', () => {
    const n = 200_000;
    const q = 0.01;
    const k = poissonSample(n, q, seededRng(2)).length;
    expect(Math.abs(k - n * q)).toBeLessThan(5 * Math.sqrt(n * q * (1 - q)));
    expect(poissonSample(10, 1, seededRng(3))).toEqual(Int32Array.from({ length: 10 }, (_, i) => i));
  });

  it('permutations are permutations', () => {
    const p = permutation(1000, seededRng(4));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
