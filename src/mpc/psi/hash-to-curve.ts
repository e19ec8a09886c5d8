/**
 * RFC 9380 hash-to-curve for curve25519: expand_message_xmd with SHA-512, hash_to_field, and the Elligator 2
 * map, giving the Montgomery u-coordinate that X25519 takes. The map lands on the curve itself, never on its
 * twist: hashing SHA-256 output straight to a u-coordinate would put about half the identifiers on the twist,
 * which anyone can test (one bit per item).
 *
 * The protocol uses the suite `curve25519_XMD:SHA-512_ELL2_NU_` (encode_to_curve: one field element, one
 * map) in its u-only form, {@link encodeToCurveU}: X25519 is x-only, so the map needs only the Legendre symbol
 * of g(x1), not a square root, and the inverses of a batch share one exponentiation. The RO suite would add two
 * map outputs, which needs their v-coordinates (two square roots) and an inverse per item: about 3
 * exponentiations, 0.6 ms each item in BigInt, against about 20 µs for the u-only NU map.
 *
 * The suite's last step, clear_cofactor (multiplication by 8), is left to X25519: a clamped X25519 scalar is a
 * multiple of 8 (RFC 7748 §5), so X25519(k, u(Q)) = u((k / 8) · 8Q), where 8Q is the RFC's output P.
 * {@link clearCofactorU} does the multiplication for the published vectors.
 */
import { createHash } from 'node:crypto';
import { InternalError, InvalidParameterError } from '../../core/index.js';
import { A, batchInv0, fromBigEndian, inv0, legendre, mod, P, sgn0, sqrt } from './field25519.js';

/** An affine point of curve25519 in Montgomery coordinates. */
export interface MontgomeryPoint {
  readonly u: bigint;
  readonly v: bigint;
}

const SHA512_BLOCK = 128; // s_in_bytes
const SHA512_OUT = 64; // b_in_bytes

/**
 * RFC 9380 §5.3.1 expand_message_xmd with SHA-512.
 * @param message the message bytes
 * @param dst the domain-separation tag, 1 to 255 bytes
 * @param length the number of bytes wanted, at most 255 · 64
 * @returns `length` uniform bytes
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a DST or length outside those ranges
 */
export function expandMessageXmd(message: Uint8Array, dst: Uint8Array, length: number): Uint8Array {
  const blocks = Math.ceil(length / SHA512_OUT);
  if (dst.length < 1 || dst.length > 255)
    throw new InvalidParameterError({
      fn: 'expandMessageXmd',
      param: 'dst',
      value: `${dst.length} bytes`,
      allowed: '1 to 255 bytes',
    });
  if (!Number.isInteger(length) || length < 1 || blocks > 255)
    throw new InvalidParameterError({
      fn: 'expandMessageXmd',
      param: 'length',
      value: length,
      allowed: 'an integer in [1, 16320]',
    });
  const dstPrime = Buffer.concat([dst, Uint8Array.of(dst.length)]);
  // one buffer per hash: each update() call costs about as much as hashing a short message
  const messagePrime = Buffer.allocUnsafe(SHA512_BLOCK + message.length + 3 + dstPrime.length);
  messagePrime.fill(0, 0, SHA512_BLOCK);
  messagePrime.set(message, SHA512_BLOCK);
  messagePrime.set([length >> 8, length & 0xff, 0], SHA512_BLOCK + message.length);
  messagePrime.set(dstPrime, SHA512_BLOCK + message.length + 3);
  const b0 = createHash('sha512').update(messagePrime).digest();
  const block = Buffer.allocUnsafe(SHA512_OUT + 1 + dstPrime.length);
  dstPrime.copy(block, SHA512_OUT + 1);
  const out = Buffer.allocUnsafe(blocks * SHA512_OUT);
  let previous: Buffer | undefined;
  for (let i = 1; i <= blocks; i++) {
    // b_1 = H(b_0 || 1 || DST'), b_i = H((b_0 xor b_(i-1)) || i || DST')
    for (let j = 0; j < SHA512_OUT; j++)
      block[j] = (b0[j] as number) ^ (previous ? (previous[j] as number) : 0);
    block[SHA512_OUT] = i;
    previous = createHash('sha512').update(block).digest();
    previous.copy(out, (i - 1) * SHA512_OUT);
  }
  return out.subarray(0, length);
}

/** RFC 9380 §5.2 hash_to_field into GF(2^255 - 19) with L = 48: `count` elements. */
export function hashToField(message: Uint8Array, dst: Uint8Array, count: number): bigint[] {
  const bytes = expandMessageXmd(message, dst, 48 * count);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push(fromBigEndian(bytes.subarray(48 * i, 48 * i + 48)) % P);
  return out;
}

const Z = 2n; // the suite's non-square constant

/**
 * RFC 9380 §6.7.1 map_to_curve_elligator2 for curve25519 (J = A, K = 1, Z = 2): a point of the curve (not of
 * the twist) for any field element.
 */
export function mapToCurveElligator2(t: bigint): MontgomeryPoint {
  let x1 = mod(-A * inv0(1n + Z * t * t));
  if (x1 === 0n) x1 = P - A;
  const gx1 = mod(x1 * x1 * x1 + A * x1 * x1 + x1);
  const y1 = sqrt(gx1);
  if (y1 !== undefined) return { u: x1, v: sgn0(y1) === 1 ? y1 : mod(-y1) };
  const x2 = mod(-x1 - A);
  const gx2 = mod(x2 * x2 * x2 + A * x2 * x2 + x2);
  const y2 = sqrt(gx2);
  // gx2 = Z t^2 gx1 is a square whenever gx1 is not (Z is not a square)
  if (y2 === undefined) throw new InternalError('Elligator 2: neither candidate is on the curve');
  return { u: x2, v: sgn0(y2) === 0 ? y2 : mod(-y2) };
}

/**
 * encode_to_curve of `curve25519_XMD:SHA-512_ELL2_NU_` without its final clear_cofactor (left to X25519's
 * clamping), u-coordinate only, for a batch of messages: u(map_to_curve(hash_to_field(msg, 1))).
 * @param messages the byte strings to hash
 * @param dst the domain-separation tag, 1 to 255 bytes
 * @returns the u-coordinates, each a point of curve25519 (not of its twist), reduced mod p
 */
export function encodeToCurveU(messages: readonly Uint8Array[], dst: Uint8Array): bigint[] {
  const ts = messages.map((m) => (hashToField(m, dst, 1) as [bigint])[0]);
  const denominators = ts.map((t) => mod(1n + Z * t * t));
  batchInv0(denominators);
  return denominators.map((d) => {
    let x1 = mod(-A * d);
    if (x1 === 0n) x1 = P - A;
    // is_square(g(x1)) decides between x1 and x2 = -x1 - A; the v-coordinate is never needed
    return legendre(x1 * (x1 * x1 + A * x1 + 1n)) >= 0 ? x1 : mod(-x1 - A);
  });
}

/** u(8 · Q) by three x-only doublings (for the RFC's vectors, whose P includes clear_cofactor). */
export function clearCofactorU(u: bigint): bigint {
  let x = u;
  for (let i = 0; i < 3; i++) {
    const x2 = mod(x * x);
    x = mod((x2 - 1n) * (x2 - 1n) * inv0(4n * x * (x2 + A * x + 1n)));
  }
  return x;
}
