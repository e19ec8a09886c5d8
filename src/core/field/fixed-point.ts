/**
 * Fixed-point encoding of real vectors into the ring Z_2^32 (two's complement), the form secure aggregation
 * masks and sums. A value x becomes round(x * 2^fractionalBits) mod 2^32; sums of encodings decode to the
 * sum of the values as long as the true sum stays inside (-2^31, 2^31) / 2^fractionalBits.
 */
import { assertInteger } from '../assert.js';
import { InvalidParameterError } from '../errors.js';
import type { Rng } from '../rng/rng.js';

/** How a scaled value is rounded to an integer. Stochastic rounding is unbiased: E[encode(x)] = x * 2^f. */
export type Rounding = { readonly kind: 'nearest' } | { readonly kind: 'stochastic'; readonly rng: Rng };

/** Options of {@link encodeFixedPoint}. */
export interface FixedPointOptions {
  /** Bits after the binary point, 0..30. */
  readonly fractionalBits: number;
  /** Rounding of the scaled value; default round-to-nearest. */
  readonly rounding?: Rounding;
}

const TWO_POW_31 = 2147483648;
const TWO_POW_32 = 4294967296;

/**
 * Encodes finite reals into Z_2^32.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options, non-finite values, or a value whose
 *   scaled magnitude does not fit in a signed 32-bit integer (clip before encoding).
 * @example encodeFixedPoint([0.5, -1], { fractionalBits: 16 }) // Uint32Array [32768, 4294901760]
 */
export function encodeFixedPoint(values: ArrayLike<number>, options: FixedPointOptions): Uint32Array {
  const fn = 'encodeFixedPoint';
  assertInteger(fn, 'fractionalBits', options.fractionalBits, 0, 30);
  const scale = 2 ** options.fractionalBits;
  const rounding = options.rounding ?? { kind: 'nearest' };
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x))
      throw new InvalidParameterError({ fn, param: `values[${i}]`, value: x, allowed: 'a finite number' });
    const scaled = x * scale;
    const low = Math.floor(scaled);
    let q: number;
    if (rounding.kind === 'nearest') q = Math.round(scaled);
    else q = rounding.rng.bernoulli(scaled - low) ? low + 1 : low;
    if (q >= TWO_POW_31 || q < -TWO_POW_31) {
      throw new InvalidParameterError({
        fn,
        param: `values[${i}]`,
        value: x,
        allowed: `a number in [-2^31, 2^31) / 2^${options.fractionalBits} (clip before encoding)`,
      });
    }
    out[i] = q < 0 ? q + TWO_POW_32 : q;
  }
  return out;
}

/** Decodes Z_2^32 elements (read as signed 32-bit) back to reals. */
export function decodeFixedPoint(
  encoded: Uint32Array,
  options: { readonly fractionalBits: number },
): Float64Array {
  assertInteger('decodeFixedPoint', 'fractionalBits', options.fractionalBits, 0, 30);
  const inv = 2 ** -options.fractionalBits;
  const out = new Float64Array(encoded.length);
  for (let i = 0; i < encoded.length; i++) out[i] = (encoded[i]! | 0) * inv;
  return out;
}

/** Element-wise a + b mod 2^32, into `out` (may alias a). */
export function addMod32(
  a: Uint32Array,
  b: Uint32Array,
  out: Uint32Array = new Uint32Array(a.length),
): Uint32Array {
  if (a.length !== b.length || out.length !== a.length) {
    throw new InvalidParameterError({
      fn: 'addMod32',
      param: 'b',
      value: b,
      allowed: `a Uint32Array of length ${a.length}`,
    });
  }
  for (let i = 0; i < a.length; i++) out[i] = (a[i]! + b[i]!) >>> 0;
  return out;
}

/** Element-wise a - b mod 2^32, into `out` (may alias a). */
export function subMod32(
  a: Uint32Array,
  b: Uint32Array,
  out: Uint32Array = new Uint32Array(a.length),
): Uint32Array {
  if (a.length !== b.length || out.length !== a.length) {
    throw new InvalidParameterError({
      fn: 'subMod32',
      param: 'b',
      value: b,
      allowed: `a Uint32Array of length ${a.length}`,
    });
  }
  for (let i = 0; i < a.length; i++) out[i] = (a[i]! - b[i]!) >>> 0;
  return out;
}
