/**
 * Values ↔ wire bits. A value is written as a big-endian integer in hex; by default wire j carries bit j of
 * that integer (wire 0 = least significant bit), the convention of aes_128.txt, sha256.txt and the integer
 * circuits. `msbFirst` reverses it (wire 0 = most significant bit), as AES-non-expanded.txt needs.
 */
import { InvalidParameterError } from '../../core/index.js';

/** Options of {@link hexToBits} and {@link bitsToHex}. */
export interface BitOrder {
  /** Wire 0 carries the most significant bit (default: the least significant). */
  readonly msbFirst?: boolean;
}

/**
 * A hex value as `width` wire bits (one 0/1 byte per wire).
 * @param hex exactly ceil(width / 4) hex digits, optionally prefixed by 0x
 * @param param how errors name the value (e.g. `--input-a`)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming `param`, the expected number of bits and digits
 */
export function hexToBits(hex: string, width: number, param: string, order: BitOrder = {}): Uint8Array {
  const digits = Math.ceil(width / 4);
  const clean = typeof hex === 'string' ? hex.replace(/^0x/i, '') : '';
  const allowed = `${width} bits: exactly ${digits} hex digits`;
  if (!/^[0-9a-fA-F]*$/.test(clean) || clean.length !== digits)
    throw new InvalidParameterError({ fn: 'hexToBits', param, value: hex, allowed });
  const value = digits === 0 ? 0n : BigInt(`0x${clean}`);
  if (value >> BigInt(width) !== 0n)
    throw new InvalidParameterError({
      fn: 'hexToBits',
      param,
      value: hex,
      allowed: `a value below 2^${width}`,
    });
  const bits = new Uint8Array(width);
  for (let j = 0; j < width; j++) {
    const bit = Number((value >> BigInt(j)) & 1n);
    bits[order.msbFirst ? width - 1 - j : j] = bit;
  }
  return bits;
}

/** Wire bits as a hex value of ceil(bits.length / 4) digits (the inverse of {@link hexToBits}). */
export function bitsToHex(bits: Uint8Array, order: BitOrder = {}): string {
  const width = bits.length;
  let value = 0n;
  for (let j = width - 1; j >= 0; j--)
    value = (value << 1n) | BigInt(bits[order.msbFirst ? width - 1 - j : j]! & 1);
  return width === 0 ? '' : value.toString(16).padStart(Math.ceil(width / 4), '0');
}
