/**
 * Uniform random permutations (Fisher–Yates), drawing only through an `Rng` argument, so a seeded generator
 * makes every split and partition reproducible.
 */
import type { Rng } from '../../core/index.js';

/**
 * Shuffles `values` in place, uniformly over all permutations (Durstenfeld's Fisher–Yates; `rng.uniformInt`
 * is exact, so there is no modulo bias). Returns `values`.
 */
export function shuffleInPlace<T extends { [index: number]: number; readonly length: number }>(
  values: T,
  rng: Rng,
): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.uniformInt(i + 1);
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
  return values;
}

/** A uniformly random permutation of `0 .. n - 1`. */
export function randomPermutation(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return shuffleInPlace(out, rng);
}
