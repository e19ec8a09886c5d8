/**
 * Batch sampling. DP-SGD's privacy amplification assumes Poisson sampling: every example joins a step's batch
 * independently with probability q (variable batch size). Each inclusion is an exact Bernoulli(q) draw from the
 * given Rng (the CSPRNG in private runs). Non-private training uses shuffled fixed-size batches.
 */
import type { Rng } from '../core/index.js';

/** Indices of a Poisson sample of [0, n) with rate q. */
export function poissonSample(n: number, q: number, rng: Rng): Int32Array {
  if (q >= 1) return Int32Array.from({ length: n }, (_, i) => i);
  const picked: number[] = [];
  for (let i = 0; i < n; i++) if (rng.bernoulli(q)) picked.push(i);
  return Int32Array.from(picked);
}

/** A uniformly random permutation of [0, n) (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.uniformInt(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
