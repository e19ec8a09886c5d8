/**
 * Arithmetic mod 2^64 on pairs of 32-bit words (lo, hi), as laid out by a little-endian BigUint64Array viewed
 * as a Uint32Array: no BigInt allocation per element in the Gilboa loops. Kernels: nothing is validated.
 */

const TWO_POW_32 = 4294967296;

/** out[k..k+1] = (out[k..k+1] + (lo, hi)) mod 2^64. */
export function addInto(out: Uint32Array, k: number, lo: number, hi: number): void {
  const sum = out[k]! + lo;
  out[k] = sum >>> 0;
  out[k + 1] = (out[k + 1]! + hi + (sum >= TWO_POW_32 ? 1 : 0)) >>> 0;
}

/** out[k..k+1] = (out[k..k+1] - (lo, hi)) mod 2^64. */
export function subInto(out: Uint32Array, k: number, lo: number, hi: number): void {
  const difference = out[k]! - lo;
  out[k] = difference >>> 0;
  out[k + 1] = (out[k + 1]! - hi - (difference < 0 ? 1 : 0)) >>> 0;
}

/** The low 64 bits of (aLo, aHi) · (bLo, bHi), written to out[k..k+1]. Exact: every partial sum < 2^53. */
export function mulInto(
  out: Uint32Array,
  k: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const middle = a0 * b1 + a1 * b0; // < 2^33
  const low = a0 * b0 + (middle % 65536) * 65536; // < 2^33
  const carry = Math.floor(low / TWO_POW_32);
  const high = a1 * b1 + Math.floor(middle / 65536) + carry + Math.imul(aLo, bHi) + Math.imul(aHi, bLo);
  out[k] = low >>> 0;
  out[k + 1] = high >>> 0;
}

/** (lo, hi) · 2^j mod 2^64 for 0 <= j < 64, as [lo, hi] written to out[k..k+1]. */
export function shiftInto(out: Uint32Array, k: number, lo: number, hi: number, j: number): void {
  if (j === 0) {
    out[k] = lo;
    out[k + 1] = hi;
  } else if (j < 32) {
    out[k] = (lo << j) >>> 0;
    out[k + 1] = ((hi << j) | (lo >>> (32 - j))) >>> 0;
  } else {
    out[k] = 0;
    out[k + 1] = (lo << (j - 32)) >>> 0;
  }
}
