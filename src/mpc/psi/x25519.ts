/**
 * The PSI kernels: the commutative function x ↦ X25519(k, u(H(x))) on batches, through node:crypto's X25519
 * (OpenSSL; about 37 µs per multiplication here, plus about 11 µs to wrap a u-coordinate in a KeyObject from
 * JWK; DER import costs about 89 µs, so JWK it is). Points travel as 32-byte little-endian u-coordinates.
 * Kernels validate nothing about their callers' arguments; they do check the peer's points (range, on the
 * curve rather than its twist, not of small order) and report the first bad one by index.
 *
 * Commutativity: a clamped X25519 scalar c(k) = 2^254 + 8 · (bits 3..253 of k) is one fixed integer, and X25519
 * computes u(c(k) · Q); on the prime-order subgroup the map Q ↦ c(k) · Q is multiplication by c(k) mod ℓ, so
 * X25519(a, X25519(b, u)) = u(c(a) c(b) Q) = X25519(b, X25519(a, u)). Because c(k) is a multiple of 8 the first
 * multiplication clears the cofactor (RFC 7748 §5): every value after it lies in the prime-order subgroup, so
 * the small-subgroup component of the Elligator output never reaches the peer.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { A, fromLittleEndian, legendre, P, toLittleEndian } from './field25519.js';
import { encodeToCurveU } from './hash-to-curve.js';

/** Bytes of one point on the wire (a little-endian u-coordinate). */
export const POINT_BYTES = 32;

/** The domain-separation tag of Veil's PSI hash (RFC 9380 §3.1: protocol, version, suite). */
export const PSI_DST = new TextEncoder().encode('VEIL-PSI-V01-CS01-with-curve25519_XMD:SHA-512_ELL2_NU_');

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The X25519 private key of a 32-byte scalar (X25519 clamps it). */
export function importScalar(scalar: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, scalar]),
    format: 'der',
    type: 'pkcs8',
  });
}

const publicKey = (u: Uint8Array): KeyObject =>
  createPublicKey({
    key: {
      kty: 'OKP',
      crv: 'X25519',
      x: Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64url'),
    },
    format: 'jwk',
  });

/** A peer's point that failed a check: its index in the batch and why (never the key or the bytes). */
export interface BadPoint {
  readonly index: number;
  readonly why: string;
}

/** Hashes the identifiers to the curve and multiplies by the key: 32 bytes per identifier, in order. */
export function hashAndMultiply(ids: readonly string[], key: KeyObject): Uint8Array {
  const encoder = new TextEncoder();
  const us = encodeToCurveU(
    ids.map((id) => encoder.encode(id)),
    PSI_DST,
  );
  const out = new Uint8Array(ids.length * POINT_BYTES);
  const u = new Uint8Array(POINT_BYTES);
  for (let i = 0; i < us.length; i++) {
    toLittleEndian(us[i] as bigint, u);
    out.set(diffieHellman({ privateKey: key, publicKey: publicKey(u) }), i * POINT_BYTES);
  }
  return out;
}

/**
 * Why a peer's 32-byte u-coordinate is not a valid point of curve25519's group, or undefined when it is: u must
 * be canonical (< p, top bit clear) and u^3 + A u^2 + u a non-zero square (on the curve, not on the twist, and
 * not one of the points with v = 0, which have order 2).
 */
export function pointProblem(points: Uint8Array, index: number): string | undefined {
  const offset = index * POINT_BYTES;
  if ((points[offset + 31] as number) & 0x80) return 'its top bit is set (not a canonical u-coordinate)';
  const u = fromLittleEndian(points, offset);
  if (u >= P) return 'it is not reduced mod 2^255 - 19';
  const symbol = legendre(u * (u * u + A * u + 1n));
  if (symbol === -1) return 'it lies on the twist, not on curve25519';
  if (symbol === 0) return 'it is a point of order 1 or 2';
  return undefined;
}

/** The first bad point of a batch, or undefined when all are valid. */
export function checkPoints(points: Uint8Array): BadPoint | undefined {
  const n = points.length / POINT_BYTES;
  for (let i = 0; i < n; i++) {
    const why = pointProblem(points, i);
    if (why !== undefined) return { index: i, why };
  }
  return undefined;
}

/**
 * Multiplies each of the peer's points by the key, after checking it; the first bad point stops the batch.
 * @returns the products (32 bytes each, in order) or the bad point
 */
export function multiplyPoints(points: Uint8Array, key: KeyObject): Uint8Array | BadPoint {
  const n = points.length / POINT_BYTES;
  const out = new Uint8Array(points.length);
  for (let i = 0; i < n; i++) {
    const why = pointProblem(points, i);
    if (why !== undefined) return { index: i, why };
    const u = points.subarray(i * POINT_BYTES, (i + 1) * POINT_BYTES);
    let product: Buffer;
    try {
      product = diffieHellman({ privateKey: key, publicKey: publicKey(u) });
    } catch {
      // OpenSSL refuses an all-zero result: a point of small order (4 or 8)
      return { index: i, why: 'it is a point of small order' };
    }
    out.set(product, i * POINT_BYTES);
  }
  return out;
}
