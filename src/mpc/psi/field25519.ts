/**
 * Arithmetic in GF(2^255 - 19), the field of curve25519, for the Elligator 2 map of the PSI hash-to-curve:
 * BigInt products, one exponentiation per batch of inverses (Montgomery's trick), and the Legendre symbol by
 * the binary Jacobi algorithm (about 16 µs here, against about 190 µs for a BigInt exponentiation). Measured
 * and rejected: node:crypto's finite-field Diffie-Hellman as a modular exponentiator refuses moduli under
 * 512 bits (its computeSecret then returns zeros), and a 515-bit multiple of p costs about 43 µs a call.
 * Not constant-time: the inputs are hashes of the party's own identifiers, computed on its own machine.
 */
/** The field prime 2^255 - 19. */
export const P = (1n << 255n) - 19n;
/** The Montgomery coefficient A of curve25519 (v^2 = u^3 + A u^2 + u). */
export const A = 486662n;

/** A field element from 32 big-endian bytes (not reduced). */
export const fromBigEndian = (bytes: Uint8Array): bigint =>
  BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') || '0'}`);

/** The 32-byte little-endian encoding of a reduced field element (X25519's u-coordinate format). */
export function toLittleEndian(x: bigint, out: Uint8Array = new Uint8Array(32), offset = 0): Uint8Array {
  let v = x;
  for (let i = 0; i < 32; i++) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** A field element from 32 little-endian bytes (all 256 bits; the caller checks the range). */
export function fromLittleEndian(bytes: Uint8Array, offset = 0): bigint {
  const reversed = Buffer.allocUnsafe(32);
  for (let i = 0; i < 32; i++) reversed[i] = bytes[offset + 31 - i] as number;
  return BigInt(`0x${reversed.toString('hex')}`);
}

/** x mod p in [0, p). */
export const mod = (x: bigint): bigint => {
  const r = x % P;
  return r < 0n ? r + P : r;
};

/** base^e mod p by square-and-multiply (BigInt: about 190 µs for a 255-bit exponent). */
export function powMod(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/** 1 / x mod p, and 0 for x = 0 (RFC 9380's inv0). */
export const inv0 = (x: bigint): bigint => powMod(x, P - 2n);

/**
 * inv0 of every element, in place, with one exponentiation for the batch (Montgomery's trick: 3 products per
 * element). Zeros stay zero.
 */
export function batchInv0(xs: bigint[]): void {
  const prefix: bigint[] = new Array(xs.length);
  let acc = 1n;
  for (let i = 0; i < xs.length; i++) {
    prefix[i] = acc;
    const x = xs[i] as bigint;
    if (x !== 0n) acc = (acc * x) % P;
  }
  let inverse = inv0(acc);
  for (let i = xs.length - 1; i >= 0; i--) {
    const x = xs[i] as bigint;
    if (x === 0n) continue;
    xs[i] = (inverse * (prefix[i] as bigint)) % P;
    inverse = (inverse * x) % P;
  }
}

/**
 * The Legendre symbol (x / p): 1 for a non-zero square, -1 for a non-square, 0 for 0 (binary Jacobi
 * algorithm; p = 2^255 - 19 is prime, so Jacobi = Legendre).
 */
export function legendre(x: bigint): -1 | 0 | 1 {
  let a = mod(x);
  let n = P;
  let t = 1;
  while (a !== 0n) {
    if (n <= SMALL) return (t * jacobiSmall(Number(a), Number(n))) as -1 | 0 | 1;
    // strip trailing zero bits, 24 at a time (an even count never changes the sign), then the rest at once
    let low = Number(a & 0xffffffn);
    while (low === 0) {
      a >>= 24n;
      low = Number(a & 0xffffffn);
    }
    const zeros = 31 - Math.clz32(low & -low);
    if (zeros > 0) {
      a >>= BigInt(zeros);
      const r = Number(n & 7n);
      if (zeros & 1 && (r === 3 || r === 5)) t = -t;
    }
    // reciprocity, then reduce
    if ((Number(a & 3n) & Number(n & 3n)) === 3) t = -t;
    const swap = a;
    a = n % swap;
    n = swap;
  }
  return n === 1n ? (t as -1 | 1) : 0;
}

/** Below 2^53 the Jacobi symbol continues in doubles, far cheaper than BigInt. */
const SMALL = 2n ** 53n;

function jacobiSmall(x: number, modulus: number): number {
  let a = x % modulus;
  let n = modulus;
  let t = 1;
  while (a !== 0) {
    while (a % 2 === 0) {
      a /= 2;
      const r = n % 8;
      if (r === 3 || r === 5) t = -t;
    }
    if (a % 4 === 3 && n % 4 === 3) t = -t;
    const swap = a;
    a = n % swap;
    n = swap;
  }
  return n === 1 ? t : 0;
}

/** sqrt(-1) = 2^((p - 1) / 4) mod p. */
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;

/**
 * A square root of x when x is a square, otherwise undefined (RFC 9380 Appendix I.2, sqrt for p = 5 mod 8;
 * one BigInt exponentiation, used by the test vectors, not by the protocol). Which of the two roots comes back is not specified; the caller fixes the sign with sgn0.
 */
export function sqrt(x: bigint): bigint | undefined {
  const xr = mod(x);
  const t = powMod(xr, (P + 3n) / 8n);
  if ((t * t) % P === xr) return t;
  const t2 = (t * SQRT_M1) % P;
  if ((t2 * t2) % P === xr) return t2;
  return undefined;
}

/** RFC 9380's sgn0 for a prime field: the parity of the reduced element. */
export const sgn0 = (x: bigint): number => Number(mod(x) & 1n);
