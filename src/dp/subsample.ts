/**
 * Poisson subsampling, the sampling that privacy amplification by subsampling assumes (the `poisson-sampled`
 * event): every record joins the sample independently with probability q, so the sample's size is random. Each
 * inclusion is an exact Bernoulli(q) draw from the given Rng (the CSPRNG in private runs). DP-SGD (`veil/train`)
 * and the DP GAN's discriminator (`veil/synth`) draw their batches with it.
 */
import type { Rng } from '../core/index.js';

/**
 * Indices of a Poisson sample of [0, n) with rate q. Each inclusion is exactly `rng.bernoulli(q)` (the same
 * draws in the same order), with its first 32-bit comparison inlined: ties with q's first 32 bits (probability
 * 2^-32 per example) go to `rng.bernoulli` for the exact comparison of the following bits.
 */
export function poissonSample(n: number, q: number, rng: Rng): Int32Array {
  if (q >= 1) return Int32Array.from({ length: n }, (_, i) => i);
  const scaled = q * 4294967296;
  const word = Math.floor(scaled);
  const rest = scaled - word; // exact (q's remaining bits)
  const picked = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = rng.nextUint32();
    if (r < word || (r === word && rest > 0 && rng.bernoulli(rest))) picked[count++] = i;
  }
  return picked.slice(0, count);
}
