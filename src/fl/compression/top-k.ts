/**
 * Top-k sparsification with error feedback (Stich, Cordonnier & Jaggi 2018, "Sparsified SGD with memory",
 * arXiv:1809.07599; Karimireddy, Rebjock, Stich & Jaggi 2019, "Error feedback fixes SignSGD", arXiv:1901.09847).
 *
 * The node keeps a residual e (what it has not sent yet). Each round it forms a = e + delta, sends the k
 * coordinates of a with the largest magnitude (as float32), and keeps e' = a - sent. Nothing is lost, only
 * delayed: the sum of everything sent plus the final residual equals the sum of all deltas. The residual is
 * kept in float64 and absorbs the float32 rounding of the sent values too.
 */
import { assertRate, InvalidParameterError } from '../../core/index.js';

/** A sparse vector: strictly increasing indices below `length` and their values. */
export interface SparseVector {
  readonly indices: Uint32Array;
  readonly values: Float32Array;
  readonly length: number;
}

/**
 * The k-th largest value of `a` (1 <= k <= a.length); reorders `a`. Quickselect with a median-of-three pivot,
 * falling back to a sort when partitions stop shrinking (no quadratic worst case).
 */
function kthLargest(a: Float64Array, k: number): number {
  const target = a.length - k; // index in ascending order
  let lo = 0;
  let hi = a.length - 1;
  let budget = 2 * Math.ceil(Math.log2(a.length + 1)) + 8;
  while (hi > lo) {
    if (budget-- === 0) {
      a.subarray(lo, hi + 1).sort();
      break;
    }
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break; // target lies among values equal to the pivot
  }
  return a[target]!;
}

/** Top-k compression with error feedback for one node: keep one instance per node across rounds. */
export class TopKCompressor {
  /** Number of model parameters. */
  readonly length: number;
  private readonly memory: Float64Array;

  /** @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a length that is not an integer >= 1 */
  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length < 1 || length > 0xffffffff) {
      throw new InvalidParameterError({
        fn: 'TopKCompressor',
        param: 'length',
        value: length,
        allowed: 'an integer in [1, 2^32 - 1]',
      });
    }
    this.length = length;
    this.memory = new Float64Array(length);
  }

  /** A copy of the residual: accumulated deltas not sent yet. */
  get residual(): Float64Array {
    return this.memory.slice();
  }

  /** Forgets the residual (e.g. when the model is re-initialised). */
  reset(): void {
    this.memory.fill(0);
  }

  /**
   * Adds `delta` to the residual, sends the k = ceil(fraction length) largest-magnitude coordinates (ties:
   * lower index first) and keeps the rest, plus the float32 rounding of what was sent, as the new residual.
   *
   * @param delta - this round's update, finite, of the compressor's length
   * @param fraction - share of coordinates sent, in (0, 1]
   * @returns indices strictly increasing, and their float32 values
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad fraction, length or a non-finite value;
   *   the residual is unchanged then
   */
  compress(delta: Float32Array, fraction: number): SparseVector {
    const fn = 'TopKCompressor.compress';
    assertRate(fn, 'fraction', fraction);
    if (!(delta instanceof Float32Array) || delta.length !== this.length) {
      throw new InvalidParameterError({
        fn,
        param: 'delta',
        value: delta,
        allowed: `a Float32Array of length ${this.length}`,
      });
    }
    for (let i = 0; i < delta.length; i++) {
      if (!Number.isFinite(delta[i]!)) {
        throw new InvalidParameterError({
          fn,
          param: `delta[${i}]`,
          value: delta[i],
          allowed: 'a finite number',
        });
      }
    }
    const acc = this.memory;
    for (let i = 0; i < acc.length; i++) acc[i]! += delta[i]!;
    const k = Math.min(this.length, Math.ceil(fraction * this.length));
    const magnitudes = new Float64Array(acc.length);
    for (let i = 0; i < acc.length; i++) magnitudes[i] = Math.abs(acc[i]!);
    const threshold = kthLargest(magnitudes, k);
    let above = 0;
    for (let i = 0; i < acc.length; i++) if (Math.abs(acc[i]!) > threshold) above++;
    let ties = k - above;
    const indices = new Uint32Array(k);
    const values = new Float32Array(k);
    let j = 0;
    for (let i = 0; i < acc.length && j < k; i++) {
      const m = Math.abs(acc[i]!);
      if (m > threshold || (m === threshold && ties-- > 0)) {
        indices[j] = i;
        values[j] = acc[i]!;
        acc[i]! -= values[j]!; // e' = a - sent: 0 up to the float32 rounding of the sent value
        j++;
      }
    }
    return { indices, values, length: this.length };
  }
}

/**
 * The dense vector of a sparse one (zeros elsewhere).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER unless indices are strictly increasing and below
 *   `length`, with as many values as indices
 */
export function densify(sparse: SparseVector): Float32Array {
  const fn = 'densify';
  const { indices, values, length } = sparse;
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new InvalidParameterError({ fn, param: 'length', value: length, allowed: 'an integer >= 1' });
  }
  if (
    !(indices instanceof Uint32Array) ||
    !(values instanceof Float32Array) ||
    values.length !== indices.length
  ) {
    throw new InvalidParameterError({
      fn,
      param: 'values',
      value: values,
      allowed: 'a Float32Array with one value per index (indices a Uint32Array)',
    });
  }
  const out = new Float32Array(length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (index >= length || (i > 0 && index <= indices[i - 1]!)) {
      throw new InvalidParameterError({
        fn,
        param: `indices[${i}]`,
        value: index,
        allowed: `strictly increasing indices below ${length}`,
      });
    }
    out[index] = values[i]!;
  }
  return out;
}
