/**
 * Fixed-point encoding of reals into Z_2^64 for the secret-sharing protocols: x is held as the ring element
 * round(x * 2^f) (two's complement for negatives), with f = 16 fractional bits by default (CrypTen's choice).
 *
 * Precision (ulp = 2^-f, 2^-16 by default):
 * - encoding rounds to nearest: at most 1/2 ulp off;
 * - addition, subtraction and multiplication by a public integer are exact in the ring;
 * - one truncation (after a product, a public fixed-point scalar or a matrix product) is at most 1 ulp off
 *   (SecureML's local truncation gives floor(x / 2^f) or one more), and fails with probability at most
 *   (|x| + 1) / 2^64 for the untruncated value x in ring units (|x| = |product| * 2^(2f)): at most 2^-31 for
 *   products of magnitude below 1 with f = 16, 2^-21 below 2^10. A failure gives an error of about 2^(64-f).
 *
 * Headroom: {@link encodeFixed} refuses |x| >= 2^(31-f) (2^15 = 32768 at f = 16), so that each encoded value
 * is below 2^31 in ring units and a product of two of them stays below 2^62: it never wraps around.
 */
import { InvalidParameterError } from '../../core/index.js';
import type { Role } from './ring.js';
import { wasmTruncate } from './wasm/runtime.js';

/** CrypTen's default number of fractional bits. */
export const DEFAULT_FRAC_BITS = 16;
/** The largest number of fractional bits allowed (an encoded value must stay below 2^31 in ring units). */
export const MAX_FRAC_BITS = 30;

/** Options of the fixed-point functions. */
export interface FixedPointOptions {
  /** Fractional bits f, an integer in [0, 30] (default 16): resolution 2^-f, magnitude below 2^(31-f). */
  readonly fracBits?: number;
}

/**
 * Checks and returns a number of fractional bits.
 * @param fn - the calling function, for the error
 * @param fracBits - the value to check (undefined: the default 16)
 * @returns the number of fractional bits
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER unless an integer in [0, 30]
 */
export function checkFracBits(fn: string, fracBits: number | undefined): number {
  const f = fracBits ?? DEFAULT_FRAC_BITS;
  if (!Number.isInteger(f) || f < 0 || f > MAX_FRAC_BITS) {
    throw new InvalidParameterError({ fn, param: 'fracBits', value: f, allowed: 'an integer in [0, 30]' });
  }
  return f;
}

/**
 * The bound on the magnitude of an encodable value: 2^(31 - f).
 * @param fracBits - fractional bits f in [0, 30]
 * @returns 2^(31 - f)
 */
export function maxEncodable(fracBits: number): number {
  return 2 ** (31 - fracBits);
}

/**
 * Encodes reals as fixed-point ring elements round(x * 2^f) mod 2^64.
 * @param values - finite reals with |x| < 2^(31 - f)
 * @param options - `fracBits` (default 16)
 * @returns one ring element per value
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad `fracBits`, or a value that is NaN,
 *   infinite or too large (the error names its index)
 * @example
 * decodeFixed(encodeFixed(Float64Array.of(1.5, -2))); // Float64Array [1.5, -2]
 */
export function encodeFixed(
  values: Float64Array | readonly number[],
  options: FixedPointOptions = {},
): BigUint64Array {
  const f = checkFracBits('encodeFixed', options.fracBits);
  const limit = maxEncodable(f);
  const scale = 2 ** f;
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!(Math.abs(x) < limit)) {
      throw new InvalidParameterError({
        fn: 'encodeFixed',
        param: `values[${i}]`,
        value: x,
        allowed: `a finite number with magnitude below 2^${31 - f} = ${limit} (fracBits ${f})`,
      });
    }
    out[i] = BigInt(Math.round(x * scale));
  }
  return new BigUint64Array(out.buffer);
}

/**
 * Decodes fixed-point ring elements (two's complement) back to reals.
 * @param x - ring elements
 * @param options - `fracBits` (default 16)
 * @returns x / 2^f, reading each element as a signed 64-bit integer
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad `fracBits`
 */
export function decodeFixed(x: BigUint64Array, options: FixedPointOptions = {}): Float64Array {
  const f = checkFracBits('decodeFixed', options.fracBits);
  const scale = 2 ** -f;
  const signed = new BigInt64Array(x.buffer, x.byteOffset, x.length);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Number(signed[i]!) * scale;
  return out;
}

/**
 * One party's local truncation of its shares by `bits` (SecureML, Mohassel & Zhang 2017, Thm. 1): party 0
 * keeps floor(x0 / 2^bits), party 1 keeps -floor(-x1 / 2^bits). No communication. The reconstruction is
 * floor(x / 2^bits) or one more, except with probability at most (|x| + 1) / 2^64 (then it is off by 2^(64-bits)).
 * @param shares - this party's shares of x
 * @param bits - the shift, an integer in [0, 63] (unchecked here: callers pass their fracBits)
 * @param role - which party holds `shares`
 * @returns this party's shares of x / 2^bits
 */
export function truncateShares(shares: BigUint64Array, bits: number, role: Role): BigUint64Array {
  if (bits === 0) return shares.slice();
  return wasmTruncate(shares, bits, role === 0);
}
