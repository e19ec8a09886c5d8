/**
 * Factors: tables over a list of attributes, stored flat in the row-major layout of `synth/domain.ts` (the first
 * attribute varies slowest). A {@link Factor} holds log-space values (log potentials, log beliefs); the same
 * index maps serve probability tables. Every operation is built on one primitive, {@link projectionIndex}: for
 * each cell of a table over `attrs`, the cell of a table over a subset (in any order) it falls into. With it,
 * broadcasting is a gather, marginalising is a scatter-add, and transposing is a permutation.
 *
 * The kernels (`gatherInto`, `sumInto`, `logSumExpInto`) take a precomputed index map and validate nothing:
 * the inference engine builds its maps once per junction tree and reuses them every iteration.
 */
import { invariant } from '../../core/index.js';

/** The number of cells of a table with these attribute sizes. */
export function tableSize(sizes: readonly number[]): number {
  let n = 1;
  for (const s of sizes) n *= s;
  return n;
}

/**
 * For each cell of a table over `attrs` (sizes `sizes`), the index of the cell of a table over `subset` (each
 * of its attributes one of `attrs`, in any order) that holds the same codes. O(cells) time and memory.
 * @param attrs the attributes of the large table, in its layout order
 * @param sizes their sizes
 * @param subset attributes of the small table, in its layout order; each must be in `attrs`
 */
export function projectionIndex(
  attrs: readonly string[],
  sizes: readonly number[],
  subset: readonly string[],
): Int32Array {
  const position = new Map<string, number>();
  attrs.forEach((a, i) => {
    position.set(a, i);
  });
  // stride of each large-table attribute inside the small table (0 when summed over)
  const strides = new Array<number>(attrs.length).fill(0);
  let stride = 1;
  for (let k = subset.length - 1; k >= 0; k--) {
    const i = position.get(subset[k]!);
    invariant(i !== undefined, () => `projectionIndex: ${subset[k]} is not one of ${attrs.join(', ')}`);
    strides[i] = stride;
    stride *= sizes[i]!;
  }
  const n = tableSize(sizes);
  const out = new Int32Array(n);
  const codes = new Array<number>(attrs.length).fill(0);
  let index = 0;
  const last = attrs.length - 1;
  for (let cell = 0; cell < n; cell++) {
    out[cell] = index;
    // odometer: advance the last attribute, carrying into earlier ones
    for (let i = last; i >= 0; i--) {
      codes[i]!++;
      index += strides[i]!;
      if (codes[i]! < sizes[i]!) break;
      index -= strides[i]! * sizes[i]!;
      codes[i] = 0;
    }
  }
  return out;
}

/** out[i] = small[map[i]] for every cell i of the large table (broadcast). */
export function gatherInto(small: Float64Array, map: Int32Array, out: Float64Array): void {
  for (let i = 0; i < map.length; i++) out[i] = small[map[i]!]!;
}

/** out[map[i]] += large[i] (marginalise by sum); `out` is zeroed first. */
export function sumInto(large: Float64Array, map: Int32Array, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < map.length; i++) out[map[i]!]! += large[i]!;
}

/**
 * out[j] = log sum over {i : map[i] = j} of exp(large[i]) (marginalise by logsumexp), stable: each output cell
 * is shifted by its own maximum. `scratch` must hold out.length cells. An output cell whose inputs are all
 * -Infinity is -Infinity.
 */
export function logSumExpInto(
  large: Float64Array,
  map: Int32Array,
  out: Float64Array,
  scratch: Float64Array,
): void {
  out.fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < map.length; i++) {
    const j = map[i]!;
    if (large[i]! > out[j]!) out[j] = large[i]!;
  }
  scratch.fill(0);
  for (let i = 0; i < map.length; i++) {
    const j = map[i]!;
    const m = out[j]!;
    if (m !== Number.NEGATIVE_INFINITY) scratch[j]! += Math.exp(large[i]! - m);
  }
  for (let j = 0; j < out.length; j++) {
    if (out[j] !== Number.NEGATIVE_INFINITY) out[j]! += Math.log(scratch[j]!);
  }
}

/** log sum exp of every cell of `values` (-Infinity for an empty or all -Infinity table). */
export function logSumExpAll(values: Float64Array): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  if (m === Number.NEGATIVE_INFINITY || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i]! - m);
  return m + Math.log(s);
}

/** A table over attributes in log space (or, for {@link Factor.sum}, any space): immutable by convention. */
export class Factor {
  readonly attrs: readonly string[];
  readonly sizes: readonly number[];
  readonly values: Float64Array;

  /**
   * @param attrs the attributes, in layout order (no repeats)
   * @param sizes their sizes
   * @param values the flat table (length the product of `sizes`); zeros (log 1) when omitted
   */
  constructor(attrs: readonly string[], sizes: readonly number[], values?: Float64Array) {
    const n = tableSize(sizes);
    invariant(attrs.length === sizes.length, () => 'Factor: one size per attribute');
    invariant(
      new Set(attrs).size === attrs.length,
      () => `Factor: repeated attribute in ${attrs.join(', ')}`,
    );
    invariant(values === undefined || values.length === n, () => `Factor: expected ${n} values`);
    this.attrs = attrs;
    this.sizes = sizes;
    this.values = values ?? new Float64Array(n);
  }

  /** The size of one of this factor's attributes. */
  sizeOf(attr: string): number {
    const i = this.attrs.indexOf(attr);
    invariant(i >= 0, () => `Factor: ${attr} is not one of ${this.attrs.join(', ')}`);
    return this.sizes[i]!;
  }

  /** This factor broadcast to `attrs` (a superset of its attributes, any order) with sizes `sizes`. */
  expand(attrs: readonly string[], sizes: readonly number[]): Factor {
    const out = new Float64Array(tableSize(sizes));
    gatherInto(this.values, projectionIndex(attrs, sizes, this.attrs), out);
    return new Factor(attrs, sizes, out);
  }

  /** The same table laid out in the order `attrs` (a permutation of its attributes). */
  transpose(attrs: readonly string[]): Factor {
    invariant(
      attrs.length === this.attrs.length,
      () => `Factor.transpose: ${attrs.join(', ')} is not a permutation of ${this.attrs.join(', ')}`,
    );
    const sizes = attrs.map((a) => this.sizeOf(a));
    return this.expand(attrs, sizes);
  }

  /** Cell-wise sum over the union of both attribute lists (this factor's order, then the other's new ones). */
  add(other: Factor): Factor {
    return this.combine(other, (x, y) => x + y);
  }

  /** Cell-wise difference over the union of attributes; -Infinity minus -Infinity is -Infinity (log 0 / 0). */
  subtract(other: Factor): Factor {
    return this.combine(other, (x, y) => (y === Number.NEGATIVE_INFINITY ? Number.NEGATIVE_INFINITY : x - y));
  }

  /** Cell-wise product over the union of attributes (for tables in probability space). */
  multiply(other: Factor): Factor {
    return this.combine(other, (x, y) => x * y);
  }

  /** Sum over every attribute not in `keep`; the result is laid out in the order of `keep`. */
  sum(keep: readonly string[]): Factor {
    const sizes = keep.map((a) => this.sizeOf(a));
    const out = new Float64Array(tableSize(sizes));
    sumInto(this.values, projectionIndex(this.attrs, this.sizes, keep), out);
    return new Factor(keep, sizes, out);
  }

  /** log sum exp over every attribute not in `keep`; the result is laid out in the order of `keep`. */
  logSumExp(keep: readonly string[]): Factor {
    const sizes = keep.map((a) => this.sizeOf(a));
    const out = new Float64Array(tableSize(sizes));
    logSumExpInto(
      this.values,
      projectionIndex(this.attrs, this.sizes, keep),
      out,
      new Float64Array(out.length),
    );
    return new Factor(keep, sizes, out);
  }

  /** This log-space table shifted so that its cells' exponentials sum to 1. */
  normalise(): Factor {
    const z = logSumExpAll(this.values);
    invariant(Number.isFinite(z), () => `Factor.normalise: the table has no finite mass (log Z = ${z})`);
    const out = new Float64Array(this.values.length);
    for (let i = 0; i < out.length; i++) out[i] = this.values[i]! - z;
    return new Factor(this.attrs, this.sizes, out);
  }

  /** exp of every cell (log space to probability space). */
  exp(): Factor {
    const out = new Float64Array(this.values.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.exp(this.values[i]!);
    return new Factor(this.attrs, this.sizes, out);
  }

  private combine(other: Factor, op: (x: number, y: number) => number): Factor {
    const attrs = [...this.attrs];
    const sizes = [...this.sizes];
    other.attrs.forEach((a, i) => {
      if (!attrs.includes(a)) {
        attrs.push(a);
        sizes.push(other.sizes[i]!);
      } else {
        invariant(this.sizeOf(a) === other.sizes[i], () => `Factor: ${a} has two sizes`);
      }
    });
    const n = tableSize(sizes);
    const left = projectionIndex(attrs, sizes, this.attrs);
    const right = projectionIndex(attrs, sizes, other.attrs);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = op(this.values[left[i]!]!, other.values[right[i]!]!);
    return new Factor(attrs, sizes, out);
  }
}
