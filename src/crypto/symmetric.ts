/**
 * Symmetric primitives from node:crypto: HKDF-SHA-256 (RFC 5869), AES-256-GCM authenticated encryption, a
 * pseudo-random generator (AES-256-CTR keystream) for masks, and constant-time comparison.
 */
import { createCipheriv, createDecipheriv, hkdfSync, timingSafeEqual } from 'node:crypto';
import { assertInteger, IntegrityError, InvalidParameterError } from '../core/index.js';

function bytes(fn: string, param: string, value: Uint8Array, length?: number): void {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw new InvalidParameterError({
      fn,
      param,
      value: value instanceof Uint8Array ? `${value.length} bytes` : typeof value,
      allowed: length !== undefined ? `${length} bytes` : 'a Uint8Array',
    });
  }
}

/** HKDF-SHA-256: `length` bytes of key material from `ikm`, bound to `salt` and `info` (RFC 5869). */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length = 32): Uint8Array {
  const fn = 'hkdf';
  bytes(fn, 'ikm', ikm);
  bytes(fn, 'salt', salt);
  assertInteger(fn, 'length', length, 1, 255 * 32);
  const infoBytes = typeof info === 'string' ? new TextEncoder().encode(info) : info;
  return new Uint8Array(hkdfSync('sha256', ikm, salt, infoBytes, length));
}

const TAG_BYTES = 16;

/**
 * AES-256-GCM: the ciphertext followed by its 16-byte tag. `nonce` (12 bytes) must never repeat under one key;
 * `aad` is authenticated, not encrypted (bind the sender, receiver and protocol stage to it).
 */
export function seal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  const fn = 'seal';
  bytes(fn, 'key', key, 32);
  bytes(fn, 'nonce', nonce, 12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) cipher.setAAD(aad);
  const out = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Opens a {@link seal}ed message.
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the tag does not verify (wrong key, nonce or aad, or a
 *   modified message); nothing of the plaintext is returned then
 */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  const fn = 'open';
  bytes(fn, 'key', key, 32);
  bytes(fn, 'nonce', nonce, 12);
  bytes(fn, 'sealed', sealed);
  if (sealed.length < TAG_BYTES)
    throw new IntegrityError('sealed message shorter than its authentication tag');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    const out = Buffer.concat([body, decipher.final()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch {
    body.fill(0);
    throw new IntegrityError(
      'authenticated decryption failed: wrong key, nonce or associated data, or a modified message',
    );
  }
}

const ZERO_IV = new Uint8Array(16);

/**
 * Expands a 32-byte seed into `length` pseudo-random 32-bit words: the AES-256-CTR keystream (counter from 0)
 * read little-endian. The same seed always gives the same words; distinct seeds give independent-looking
 * streams. This is SecAgg's mask generator.
 */
export function prgWords(seed: Uint8Array, length: number): Uint32Array {
  const fn = 'prgWords';
  bytes(fn, 'seed', seed, 32);
  assertInteger(fn, 'length', length, 0, 2 ** 30);
  const out = new Uint32Array(length);
  const view = new Uint8Array(out.buffer);
  const cipher = createCipheriv('aes-256-ctr', seed, ZERO_IV);
  const stream = cipher.update(view); // encrypting zeros gives the keystream
  view.set(stream);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    // big-endian host: reinterpret the bytes as little-endian words
    const dv = new DataView(out.buffer);
    for (let i = 0; i < length; i++) out[i] = dv.getUint32(i * 4, true);
  }
  return out;
}

/** Whether two byte strings are equal, in time that depends only on their lengths (for MACs, tags, hashes). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
