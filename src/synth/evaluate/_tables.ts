/** Test helpers of the evaluation (not exported from any index): small encoded tables built by hand or drawn. */
import type { Rng } from '../../core/index.js';
import type { SynthData } from '../data.js';
import { synthDomain } from '../domain.js';

/** A table over attributes a0, a1, … of the given sizes, from rows of codes. */
export function table(sizes: readonly number[], rows: readonly (readonly number[])[]): SynthData {
  const domain = synthDomain(sizes.map((s, j) => [`a${j}`, s] as const));
  const columns = sizes.map((_, j) => Int32Array.from(rows, (r) => r[j]!));
  return { domain, columns, categories: sizes.map((size) => ({ kind: 'codes', size }) as const) };
}

/** `n` rows drawn independently and uniformly over the given sizes. */
export function uniformTable(sizes: readonly number[], n: number, rng: Rng): SynthData {
  return table(
    sizes,
    Array.from({ length: n }, () => sizes.map((s) => rng.uniformInt(s))),
  );
}
