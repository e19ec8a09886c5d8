/**
 * Plain BigInt versions of the Z_2^64 kernels in wasm/ring.as.ts: the obvious loops the tests compare the
 * WebAssembly kernels against (STYLE.md §7). Far too slow for real sizes (a BigInt allocates per operation);
 * never used by the protocols.
 */

const MASK = (1n << 64n) - 1n;

/** C (n x m) = A (n x k) * B (k x m) mod 2^64, row-major, by the textbook triple loop. */
export function referenceMatmul(
  a: BigUint64Array,
  b: BigUint64Array,
  n: number,
  k: number,
  m: number,
): BigUint64Array {
  const c = new BigUint64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let sum = 0n;
      for (let r = 0; r < k; r++) sum = (sum + a[i * k + r]! * b[r * m + j]!) & MASK;
      c[i * m + j] = sum;
    }
  }
  return c;
}

/** a * b mod 2^64, elementwise. */
export function referenceMul(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = BigInt.asUintN(64, a[i]! * b[i]!);
  return out;
}

/** SecureML local truncation of one share by `bits`: floor(x0 / 2^bits) for party 0, -floor(-x1 / 2^bits) for 1. */
export function referenceTruncate(x: BigUint64Array, bits: number, lead: boolean): BigUint64Array {
  const out = new BigUint64Array(x.length);
  const s = BigInt(bits);
  for (let i = 0; i < x.length; i++) {
    out[i] = lead ? x[i]! >> s : BigInt.asUintN(64, -(BigInt.asUintN(64, -x[i]!) >> s));
  }
  return out;
}
