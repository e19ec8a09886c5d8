import { createCipheriv, createHash } from 'node:crypto';
import { BufferedRng, normaliseSeed, type Rng } from './rng.js';

/**
 * A deterministic generator for tests and reproducible simulations: the AES-256-CTR keystream under
 * key = SHA-256("veil-seeded-rng/v1" || seed). Statistically excellent and fast, but anyone who knows the seed
 * knows every draw, so its `isPrivate` is false and results produced with it are marked not private.
 * @param seed a non-negative integer, bigint or non-empty string
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a negative, fractional or empty seed
 * @example const rng = seededRng(42); rng.uniform();
 */
export function seededRng(seed: number | bigint | string): Rng {
  const key = createHash('sha256').update('veil-seeded-rng/v1\0').update(normaliseSeed(seed)).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return new BufferedRng('seeded', (out) => {
    out.fill(0);
    const ks = cipher.update(out);
    out.set(ks);
  });
}
