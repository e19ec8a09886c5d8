/**
 * A radix-2 iterative fast Fourier transform on Float64Array real/imaginary pairs, and the linear convolution
 * of two non-negative sequences built on it (Cooley & Tukey 1965; the iterative bit-reversal form of
 * Press et al., "Numerical Recipes", 3rd ed., §12.2).
 *
 * Hand-written rather than imported: no well-maintained, typed npm FFT works in Float64 with exact
 * (table-based, not recurrence-based) twiddle factors, and the PLD accountant needs full double precision,
 * because it raises spectra to powers in the tens of thousands (FFT round-off is amplified by the power).
 * Twiddles are computed with Math.cos/Math.sin per index (no accumulated recurrence error) and cached by size.
 *
 * Kernel code (STYLE.md §7): inputs are trusted; the public checks live in the callers.
 */

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(size: number): { cos: Float64Array; sin: Float64Array } {
  let table = twiddleCache.get(size);
  if (table === undefined) {
    const half = size >>> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const angle = (-2 * Math.PI * k) / size;
      cos[k] = Math.cos(angle);
      sin[k] = Math.sin(angle);
    }
    table = { cos, sin };
    // Keep only a few sizes: the accountant uses one or two sizes per query.
    if (twiddleCache.size >= 8) twiddleCache.clear();
    twiddleCache.set(size, table);
  }
  return table;
}

/** The smallest power of two >= n (n >= 1), at least 2. */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}

/**
 * In-place discrete Fourier transform X_k = sum_j x_j e^{-2 pi i jk/N} of (re, im), N a power of two; with
 * `inverse`, the inverse transform including the 1/N factor.
 */
export function fftInPlace(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n <= 1) return;
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >>> 1;
    for (; j & bit; bit >>>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  const { cos, sin } = twiddles(n);
  const sign = inverse ? -1 : 1;
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >>> 1;
    const step = n / len;
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!;
        const wi = sign * sin[k * step]!;
        const a = start + k;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
  if (inverse) {
    const scale = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] = re[i]! * scale;
      im[i] = im[i]! * scale;
    }
  }
}

/** Below this many multiply-adds the direct convolution is used: exact, no round-off negatives. */
const DIRECT_CONVOLUTION_WORK = 1 << 20;

/**
 * The linear convolution c_k = sum_j a_j b_{k-j} (length a.length + b.length - 1) of two non-negative
 * sequences. Small inputs are convolved directly; larger ones through one complex FFT of a + i b (the two
 * real spectra are separated by conjugate symmetry) and one inverse FFT. FFT round-off can leave values of
 * order 1e-17 below zero where the true value is 0; they are clamped to 0.
 */
export function convolveNonNegative(a: Float64Array, b: Float64Array): Float64Array {
  const outLength = a.length + b.length - 1;
  if (a.length * b.length <= DIRECT_CONVOLUTION_WORK || Math.min(a.length, b.length) <= 32) {
    const out = new Float64Array(outLength);
    for (let i = 0; i < a.length; i++) {
      const ai = a[i]!;
      if (ai === 0) continue;
      for (let j = 0; j < b.length; j++) out[i + j]! += ai * b[j]!;
    }
    return out;
  }
  const size = nextPowerOfTwo(outLength);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  re.set(a);
  im.set(b);
  fftInPlace(re, im);
  // Z = A + iB with A, B the spectra of the real inputs: A_k = (Z_k + conj Z_{N-k}) / 2,
  // B_k = (Z_k - conj Z_{N-k}) / (2i). The product A_k B_k is stored in place (pairs k, N-k together).
  for (let k = 0; k <= size >>> 1; k++) {
    const m = (size - k) & (size - 1);
    const zr = re[k]!;
    const zi = im[k]!;
    const wr = re[m]!;
    const wi = im[m]!;
    const ar = (zr + wr) / 2;
    const ai = (zi - wi) / 2;
    const br = (zi + wi) / 2;
    const bi = (wr - zr) / 2;
    const pr = ar * br - ai * bi;
    const pi = ar * bi + ai * br;
    re[k] = pr;
    im[k] = pi;
    // The product at N-k is the conjugate (both inputs real).
    re[m] = pr;
    im[m] = -pi;
  }
  fftInPlace(re, im, true);
  const out = new Float64Array(outLength);
  for (let i = 0; i < outLength; i++) {
    const v = re[i]!;
    out[i] = Math.max(v, 0);
  }
  return out;
}
