/**
 * Feature encodings that need no statistics of the private data: one-hot vectors over a declared category
 * count, and linear scaling with declared (public, or privately estimated) bounds. Data-dependent scaling
 * (min/max or mean/std computed from the rows) would publish statistics of the data, so every helper here takes
 * its parameters as arguments.
 */
import {
  assertFinite,
  assertInteger,
  assertOneOf,
  assertPositive,
  InvalidParameterError,
} from '../../core/index.js';
import { createDataset, type Dataset, featureSize } from './dataset.js';

/**
 * How a numeric value with declared bounds `[min, max]` is mapped after clipping:
 * `'unit'` to `[0, 1]` (`(x - min) / (max - min)`), `'symmetric'` to `[-1, 1]` (centred on the midpoint),
 * `'none'` kept as it is (no affine map: for features already on a public scale, e.g. standardised with public
 * constants). Every scaling clips first, so each feature stays within its declared bounds: sensitivity arguments
 * (DP) rely on those bounds, not on the range being `[0, 1]`.
 */
export type NumericScaling = 'unit' | 'symmetric' | 'none';

/** The scalings {@link NumericScaling} allows. */
export const NUMERIC_SCALINGS: readonly NumericScaling[] = Object.freeze(['unit', 'symmetric', 'none']);

/** Declared bounds of a numeric feature, `min <= max` (equal bounds map every value to the range's low end). */
export interface NumericBounds {
  readonly min: number;
  readonly max: number;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_WORD = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * Parses a CSV cell as a decimal number (`3`, `-0.5`, `.5`, `1e-3`); anything else (empty, `NaN`,
 * `Infinity`, hex, overflow to infinity) gives NaN.
 */
export function parseDecimal(cell: string): number {
  if (!DECIMAL.test(cell)) return Number.NaN;
  const x = Number(cell);
  return Number.isFinite(x) ? x : Number.NaN;
}

/** True for cells that are meant as numbers but are not finite ones: `NaN`, `inf`, `-Infinity`, `1e999`. */
export function isNonFiniteNumberCell(cell: string): boolean {
  return NON_FINITE_WORD.test(cell) || (DECIMAL.test(cell) && !Number.isFinite(Number(cell)));
}

/**
 * Clips `x` to `[min, max]` and scales it linearly: to `[0, 1]` (`'unit'`) or `[-1, 1]` (`'symmetric'`), or
 * keeps the clipped value (`'none'`). Inner helper: the caller has checked the bounds.
 */
export function scaleValue(x: number, min: number, max: number, scaling: NumericScaling): number {
  if (scaling === 'none') return Math.min(max, Math.max(min, x));
  const range = max - min;
  const unit = range > 0 ? (Math.min(max, Math.max(min, x)) - min) / range : 0;
  return scaling === 'unit' ? unit : 2 * unit - 1;
}

/**
 * One-hot encodes class or category codes: row `i` of the result (width `size`) has a 1 at `codes[i]`.
 * @param codes integer codes in `[0, size)`
 * @param options `size`, the declared number of categories
 * @returns a row-major `codes.length × size` Float32Array
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a size < 1 or a code outside `[0, size)`
 * @example oneHot([2, 0], { size: 3 }); // [0, 0, 1, 1, 0, 0]
 */
export function oneHot(codes: ArrayLike<number>, options: { readonly size: number }): Float32Array {
  const { size } = options;
  assertInteger('oneHot', 'size', size, 1);
  const out = new Float32Array(codes.length * size);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= size) {
      throw new InvalidParameterError({
        fn: 'oneHot',
        param: `codes[${i}]`,
        value: c,
        allowed: `an integer in [0, ${size - 1}]`,
      });
    }
    out[i * size + c] = 1;
  }
  return out;
}

/**
 * Clips values to declared bounds and scales them linearly (see {@link NumericScaling}).
 * @param values the raw values (finite)
 * @param options declared `min < max` and the scaling (default `'unit'`)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bounds, an unknown scaling or a non-finite value
 * @example scaleToBounds([15, 50, 120], { min: 17, max: 90 }); // [0, 0.452..., 1]
 */
export function scaleToBounds(
  values: ArrayLike<number>,
  options: NumericBounds & { readonly scaling?: NumericScaling },
): Float32Array {
  const fn = 'scaleToBounds';
  checkBounds(fn, 'options', options);
  const scaling = options.scaling ?? 'unit';
  assertOneOf(fn, 'scaling', scaling, NUMERIC_SCALINGS);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) assertFinite(fn, `values[${i}]`, x);
    out[i] = scaleValue(x, options.min, options.max, scaling);
  }
  return out;
}

/**
 * Standardises values with a declared (public or privately estimated) mean and standard deviation:
 * `(x - mean) / std`, optionally clipped to `[-clip, clip]` afterwards so that each value stays bounded.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a non-finite mean, a std <= 0 or a clip <= 0
 * @example standardise([40, 60], { mean: 50, std: 10 }); // [-1, 1]
 */
export function standardise(
  values: ArrayLike<number>,
  options: { readonly mean: number; readonly std: number; readonly clip?: number },
): Float32Array {
  const fn = 'standardise';
  assertFinite(fn, 'mean', options.mean);
  assertPositive(fn, 'std', options.std);
  const clip = options.clip ?? Number.POSITIVE_INFINITY;
  if (options.clip !== undefined) assertPositive(fn, 'clip', options.clip);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const z = (values[i]! - options.mean) / options.std;
    out[i] = Math.min(clip, Math.max(-clip, z));
  }
  return out;
}

/**
 * A copy of `ds` whose features are clipped to declared bounds and scaled (see {@link NumericScaling}); one
 * pair of bounds for every feature, or one per feature.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bounds or a bounds list of the wrong length
 * @example scaleFeatures(ds, { bounds: { min: 0, max: 255 } });
 */
export function scaleFeatures(
  ds: Dataset,
  options: { readonly bounds: NumericBounds | readonly NumericBounds[]; readonly scaling?: NumericScaling },
): Dataset {
  const fn = 'scaleFeatures';
  const size = featureSize(ds.featureShape);
  const list = Array.isArray(options.bounds) ? (options.bounds as readonly NumericBounds[]) : undefined;
  if (list !== undefined && list.length !== size) {
    throw new InvalidParameterError({
      fn,
      param: 'bounds.length',
      value: list.length,
      allowed: `one pair of bounds per feature (${size})`,
    });
  }
  const all = list ?? [options.bounds as NumericBounds];
  all.forEach((b, j) => {
    checkBounds(fn, list === undefined ? 'bounds' : `bounds[${j}]`, b);
  });
  const scaling = options.scaling ?? 'unit';
  assertOneOf(fn, 'scaling', scaling, NUMERIC_SCALINGS);
  const out = new Float32Array(ds.features.length);
  for (let i = 0; i < ds.numExamples; i++) {
    for (let j = 0; j < size; j++) {
      const b = all.length === 1 ? all[0]! : all[j]!;
      out[i * size + j] = scaleValue(ds.features[i * size + j]!, b.min, b.max, scaling);
    }
  }
  return createDataset({ ...ds, features: out });
}

/** Checks declared bounds: finite, `min < max`. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkBounds(fn: string, param: string, bounds: NumericBounds): void {
  assertFinite(fn, `${param}.min`, bounds.min);
  assertFinite(fn, `${param}.max`, bounds.max);
  if (!(bounds.max > bounds.min)) {
    throw new InvalidParameterError({
      fn,
      param: `${param}.max`,
      value: bounds.max,
      allowed: `a finite number > ${param}.min (${bounds.min})`,
    });
  }
}
