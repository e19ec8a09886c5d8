/**
 * API keys: `veil_<id>_<secret>`, where `id` (16 hex digits) finds the key's row and `secret` (32 random bytes,
 * base64url) is never stored: the row holds HMAC-SHA256(pepper, id.secret), the pepper being a service secret
 * kept sealed under the key-encryption key (secrets/). A stolen database therefore yields no usable key, and
 * without the pepper not even an offline guessing target. Comparison is constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { csprng } from '../../core/index.js';

const KEY_PATTERN = /^veil_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A new key: the text to give the user once, its id and the hash to store. */
export interface NewApiKey {
  readonly id: string;
  readonly key: string;
  readonly hash: string;
}

/** One generator for the process: `csprng()` allocates and fills a buffer each time it is called. */
let rng: ReturnType<typeof csprng> | null = null;

function randomOctets(n: number): Buffer {
  const out = new Uint8Array(n);
  rng ??= csprng();
  rng.fillBytes(out);
  return Buffer.from(out);
}

/** `prefix` and `hexDigits` random hex digits (ids of principals and jobs). */
export function randomId(prefix: string, hexDigits = 20): string {
  return `${prefix}${randomOctets(Math.ceil(hexDigits / 2))
    .toString('hex')
    .slice(0, hexDigits)}`;
}

/** A fresh pepper (32 random bytes). */
export function newPepper(): Uint8Array {
  return new Uint8Array(randomOctets(32));
}

/** The stored hash of key `id` with `secret`. */
export function keyHash(pepper: Uint8Array, id: string, secret: string): string {
  return createHmac('sha256', pepper).update(`${id}.${secret}`).digest('hex');
}

/** Creates a key (the caller stores `id` and `hash` and shows `key` once). */
export function newApiKey(pepper: Uint8Array): NewApiKey {
  const id = randomOctets(8).toString('hex');
  const secret = randomOctets(32).toString('base64url');
  return { id, key: `veil_${id}_${secret}`, hash: keyHash(pepper, id, secret) };
}

/** Splits a presented key into its id and secret; null when it does not have a key's form. */
export function parseApiKey(key: string): { readonly id: string; readonly secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1] as string, secret: m[2] as string } : null;
}

/** Whether `secret` is the key whose stored hash is `storedHash`, in constant time. */
export function keyMatches(pepper: Uint8Array, id: string, secret: string, storedHash: string): boolean {
  const a = Buffer.from(keyHash(pepper, id, secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
