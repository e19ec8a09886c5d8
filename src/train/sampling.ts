/**
 * Batch sampling. DP-SGD's privacy amplification assumes Poisson sampling: every example joins a step's batch
 * independently with probability q (variable batch size; `poissonSample`, from `veil/dp`). Non-private training
 * uses shuffled fixed-size batches.
 */
import type { Rng } from '../core/index.js';

/** Poisson sampling lives in `veil/dp` (the DP GAN's discriminator draws its batches with it too). */
export { poissonSample } from '../dp/index.js';

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
