import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { convolveNonNegative, fftInPlace, nextPowerOfTwo } from './fft.js';

function randomArray(n: number, seed: number): Float64Array {
  const rng = seededRng(seed);
  return Float64Array.from({ length: n }, () => rng.uniform());
}

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const angle = (-2 * Math.PI * ((j * k) % n)) / n;
      outRe[k]! += re[j]! * Math.cos(angle) - im[j]! * Math.sin(angle);
      outIm[k]! += re[j]! * Math.sin(angle) + im[j]! * Math.cos(angle);
    }
  }
  return [outRe, outIm];
}

function naiveConvolution(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j]! += a[i]! * b[j]!;
  return out;
}

describe('fftInPlace', () => {
  it('matches the O(n^2) DFT (oracle)', () => {
    for (const n of [2, 8, 64, 256]) {
      const re = randomArray(n, n);
      const im = randomArray(n, n + 1);
      const [expRe, expIm] = naiveDft(re, im);
      fftInPlace(re, im);
      for (let k = 0; k < n; k++) {
        expect(re[k]).toBeCloseTo(expRe[k]!, 10);
        expect(im[k]).toBeCloseTo(expIm[k]!, 10);
      }
    }
  });

  it('inverts itself to round-off', () => {
    const re = randomArray(4096, 1);
    const im = randomArray(4096, 2);
    const re0 = Float64Array.from(re);
    const im0 = Float64Array.from(im);
    fftInPlace(re, im);
    fftInPlace(re, im, true);
    for (let i = 0; i < re.length; i++) {
      expect(Math.abs(re[i]! - re0[i]!)).toBeLessThan(1e-14);
      expect(Math.abs(im[i]! - im0[i]!)).toBeLessThan(1e-14);
    }
  });

  it('rounds sizes up to powers of two (at least 2)', () => {
    expect(nextPowerOfTwo(1)).toBe(2);
    expect(nextPowerOfTwo(2)).toBe(2);
    expect(nextPowerOfTwo(3)).toBe(4);
    expect(nextPowerOfTwo(1025)).toBe(2048);
  });
});

describe('convolveNonNegative', () => {
  it('matches the direct convolution on the FFT path, with no negative output', () => {
    const a = randomArray(3000, 3).map((x) => x * 1e-3);
    const b = randomArray(2000, 4).map((x, i) => (i % 7 === 0 ? 0 : x * 1e-3));
    const fast = convolveNonNegative(a, b);
    const slow = naiveConvolution(a, b);
    expect(fast.length).toBe(slow.length);
    for (let i = 0; i < fast.length; i++) {
      expect(fast[i]).toBeGreaterThanOrEqual(0);
      expect(Math.abs(fast[i]! - slow[i]!)).toBeLessThan(1e-15);
    }
  });

  it('is exact on the direct path for small inputs', () => {
    const a = Float64Array.of(0.5, 0.25, 0.25);
    const b = Float64Array.of(0.75, 0.25);
    expect(Array.from(convolveNonNegative(a, b))).toEqual([0.375, 0.3125, 0.25, 0.0625]);
  });
});
