/**
 * Arithmetic in the prime field GF(p), p = 2^31 - 1 (a Mersenne prime), on plain numbers: with a 31-bit prime
 * every product is exact in float64 after one 16-bit split, so no BigInt is needed. Shamir sharing (crypto) uses
 * it today; MPC's arithmetic sharing can reuse it. Inputs are trusted to be integers in [0, p) (kernel level:
 * callers validate at their boundary).
 */

/** The field's prime, 2^31 - 1. */
export const MERSENNE_31 = 2147483647;
const P = MERSENNE_31;

/** (a + b) mod p. */
export function addMod31(a: number, b: number): number {
  const s = a + b;
  return s >= P ? s - P : s;
}

/** (a - b) mod p. */
export function subMod31(a: number, b: number): number {
  const d = a - b;
  return d < 0 ? d + P : d;
}

/** a * b mod p: b split into 16-bit halves so every product stays below 2^53. */
export function mulMod31(a: number, b: number): number {
  const hi = b >>> 16;
  const lo = b & 0xffff;
  return (((a * hi) % P) * 65536 + a * lo) % P;
}

/** a^e mod p for an integer e >= 0 (square and multiply). */
export function powMod31(a: number, e: number): number {
  let result = 1;
  let base = a % P;
  while (e > 0) {
    if (e & 1) result = mulMod31(result, base);
    base = mulMod31(base, base);
    e = Math.floor(e / 2);
  }
  return result;
}

/** a^-1 mod p for a != 0 (Fermat: a^(p-2)). */
export function invMod31(a: number): number {
  return powMod31(a, P - 2);
}
