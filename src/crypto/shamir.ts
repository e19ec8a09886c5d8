/**
 * Shamir t-of-n secret sharing of byte strings over the prime field GF(p), p = 2^31 - 1.
 *
 * Written here because the npm packages for it either share over GF(2^8) (at most 255 shares: SecAgg needs up
 * to thousands) or use BigInt for every operation (too slow for n = 1000 clients each sharing two keys). The
 * field arithmetic (core's mulMod31 / invMod31) runs on plain numbers.
 *
 * A secret is cut into 3-byte chunks (24 bits < p), each shared with an independent random polynomial of
 * degree t - 1 whose coefficients are uniform in GF(p); share x (1..n) holds every polynomial's value at x. Any
 * t shares reconstruct by Lagrange interpolation at 0; t - 1 shares are jointly uniform, independent of the
 * secret (information-theoretic), provided the coefficients come from the CSPRNG.
 */
import {
  assertInteger,
  InvalidParameterError,
  invMod31,
  MERSENNE_31,
  mulMod31,
  type Rng,
} from '../core/index.js';

/** The field's prime, 2^31 - 1 (GF(2^31 - 1) arithmetic lives in core, shared with MPC). */
export const SHAMIR_PRIME = MERSENNE_31;
const P = SHAMIR_PRIME;
const CHUNK_BYTES = 3;

/** One share: the evaluation point x (1..n) and the polynomials' values there. */
export interface Share {
  readonly x: number;
  readonly y: Uint32Array;
}

function chunksOf(secret: Uint8Array): Uint32Array {
  const n = Math.ceil(secret.length / CHUNK_BYTES);
  const out = new Uint32Array(n);
  for (let i = 0; i < secret.length; i++)
    out[Math.floor(i / CHUNK_BYTES)]! |= secret[i]! << (8 * (i % CHUNK_BYTES));
  return out;
}

/**
 * Splits `secret` into n shares, any `threshold` of which reconstruct it.
 * @throws {InvalidParameterError} unless 1 <= threshold <= n <= 65535 and the secret is non-empty
 */
export function shareSecret(secret: Uint8Array, threshold: number, n: number, rng: Rng): Share[] {
  const fn = 'shareSecret';
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'secret',
      value: secret?.length,
      allowed: 'a non-empty Uint8Array',
    });
  }
  assertInteger(fn, 'n', n, 1, 65535);
  assertInteger(fn, 'threshold', threshold, 1, n);
  const chunks = chunksOf(secret);
  const coeffs = new Float64Array(threshold);
  const ys = Array.from({ length: n }, () => new Uint32Array(chunks.length));
  for (let c = 0; c < chunks.length; c++) {
    coeffs[0] = chunks[c]!;
    for (let k = 1; k < threshold; k++) coeffs[k] = rng.uniformInt(P);
    for (let x = 1; x <= n; x++) {
      // Horner: ((a_{t-1} x + a_{t-2}) x + ...) x + a_0
      let acc = 0;
      for (let k = threshold - 1; k >= 0; k--) acc = (mulMod31(acc, x) + coeffs[k]!) % P;
      ys[x - 1]![c] = acc;
    }
  }
  coeffs.fill(0);
  return ys.map((y, i) => ({ x: i + 1, y }));
}

/**
 * Lagrange basis at 0 for the points `xs`: l_j = prod_{m != j} x_m / (x_m - x_j). O(t^2); the points are public
 * (share indices), and a server rebuilding hundreds of secrets from the same holders reuses one basis, so the
 * last few are cached.
 */
const basisCache = new Map<string, Float64Array>();
function lagrangeAtZero(xs: readonly number[]): Float64Array {
  const key = xs.join(',');
  const hit = basisCache.get(key);
  if (hit) return hit;
  const basis = new Float64Array(xs.length);
  for (let j = 0; j < xs.length; j++) {
    let num = 1;
    let den = 1;
    for (let m = 0; m < xs.length; m++) {
      if (m === j) continue;
      num = mulMod31(num, xs[m]!);
      den = mulMod31(den, (xs[m]! - xs[j]! + P) % P);
    }
    basis[j] = mulMod31(num, invMod31(den));
  }
  if (basisCache.size >= 16) basisCache.delete(basisCache.keys().next().value!);
  basisCache.set(key, basis);
  return basis;
}

/**
 * Reconstructs a secret of `length` bytes from at least `threshold` shares (extra shares are ignored; the
 * first `threshold` distinct ones are used).
 * @throws {InvalidParameterError} for fewer than `threshold` distinct shares, bad points, or shares of different
 *   sizes. Wrong shares reconstruct a wrong secret silently: authenticate shares before (SecAgg signs and
 *   encrypts them).
 */
export function reconstructSecret(shares: readonly Share[], threshold: number, length: number): Uint8Array {
  const fn = 'reconstructSecret';
  assertInteger(fn, 'threshold', threshold, 1, 65535);
  assertInteger(fn, 'length', length, 1, 2 ** 24);
  const chunks = Math.ceil(length / CHUNK_BYTES);
  const seen = new Set<number>();
  const use: Share[] = [];
  for (const s of shares) {
    if (!Number.isInteger(s.x) || s.x < 1 || s.x >= P) {
      throw new InvalidParameterError({
        fn,
        param: 'shares[].x',
        value: s.x,
        allowed: 'an integer in [1, p)',
      });
    }
    if (s.y.length !== chunks) {
      throw new InvalidParameterError({
        fn,
        param: 'shares[].y',
        value: `${s.y.length} values`,
        allowed: `${chunks} values (a secret of ${length} bytes)`,
      });
    }
    if (!seen.has(s.x)) {
      seen.add(s.x);
      use.push(s);
    }
    if (use.length === threshold) break;
  }
  if (use.length < threshold) {
    throw new InvalidParameterError({
      fn,
      param: 'shares',
      value: `${use.length} distinct shares`,
      allowed: `at least ${threshold} (the threshold)`,
    });
  }
  const basis = lagrangeAtZero(use.map((u) => u.x));
  const out = new Uint8Array(length);
  for (let c = 0; c < chunks; c++) {
    let v = 0;
    for (let j = 0; j < use.length; j++) v = (v + mulMod31(basis[j]!, use[j]!.y[c]!)) % P;
    for (let b = 0; b < CHUNK_BYTES; b++) {
      const i = c * CHUNK_BYTES + b;
      if (i < length) out[i] = (v >>> (8 * b)) & 0xff;
    }
  }
  return out;
}
