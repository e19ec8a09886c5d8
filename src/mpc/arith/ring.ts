/**
 * Additive secret sharing over the ring Z_2^64: values are `BigUint64Array`s whose arithmetic wraps around
 * mod 2^64, and a secret x is held as two shares x0 + x1 = x (mod 2^64), each alone uniformly random.
 *
 * Why Z_2^64 and not Z_2^32: fixed-point multiplication doubles the fractional bits, and the product is brought
 * back by SecureML's local truncation (Mohassel & Zhang 2017, Thm. 1), which is off by 2^(64-f) (a wrong
 * result) when party 0's share falls in a window as wide as the product: for a product of magnitude below
 * 2^lx in ring units the failure probability is at most 2^(lx+1-64). With f = 16 fractional bits a product of
 * reals below 1 has lx = 32, so in Z_2^64 a truncation fails with probability at most 2^-31 (2^-21 for products
 * below 2^10), while in Z_2^32 such a product does not even fit (2^(lx+1-32) >= 1: it fails always). When it
 * succeeds, one truncation is at most 1 ulp = 2^-16 off. Native i64 arithmetic (WebAssembly) makes the wider
 * ring cost no more per operation than the narrow one.
 *
 * The elementwise operations here run in WebAssembly (wasm/runtime.ts); the BigInt loops in reference.ts are
 * their test oracle.
 */
import { csprng, ProtocolError, type Rng } from '../../core/index.js';
import { wasmAdd, wasmAddScalar, wasmMul, wasmMulScalar, wasmSub } from './wasm/runtime.js';

/** One of the two parties: 0 (the lead, who adds public constants) or 1. */
export type Role = 0 | 1;

/** One party's shares of a vector over Z_2^64 (alone, uniformly random). */
export type RingShares = BigUint64Array;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A vector of `n` uniform ring elements drawn from `rng`.
 * @param n - the number of elements, >= 0
 * @param rng - the randomness (default the CSPRNG)
 * @returns the random vector
 */
export function randomRing(n: number, rng: Rng = csprng()): BigUint64Array {
  const out = new BigUint64Array(n);
  rng.fillBytes(new Uint8Array(out.buffer));
  return out;
}

/** a + b mod 2^64, elementwise; the lengths must be equal (checked by callers). */
export function ringAdd(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  return wasmAdd(a, b);
}

/** a - b mod 2^64, elementwise; the lengths must be equal (checked by callers). */
export function ringSub(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  return wasmSub(a, b);
}

/** a * b mod 2^64, elementwise; the lengths must be equal (checked by callers). */
export function ringMul(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  return wasmMul(a, b);
}

/** a * s mod 2^64 for a ring scalar `s` (any bigint, taken mod 2^64). */
export function ringMulScalar(a: BigUint64Array, s: bigint): BigUint64Array {
  return wasmMulScalar(a, s);
}

/** a + s mod 2^64 for a ring scalar `s` (any bigint, taken mod 2^64). */
export function ringAddScalar(a: BigUint64Array, s: bigint): BigUint64Array {
  return wasmAddScalar(a, s);
}

/**
 * The little-endian bytes of several ring vectors, concatenated (one message for one opening).
 * @param parts - the vectors, in order
 * @returns 8 bytes per element
 */
export function ringToBytes(...parts: readonly BigUint64Array[]): Uint8Array {
  let words = 0;
  for (const p of parts) words += p.length;
  const all = new BigUint64Array(words);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const bytes = new Uint8Array(all.buffer);
  if (!LITTLE_ENDIAN) swapWords(bytes);
  return bytes;
}

/**
 * Splits a received message into ring vectors of the given lengths, checking its length first.
 * @param bytes - the payload as received
 * @param lengths - the element count of each vector
 * @param context - the peer's name and the protocol step, for the error
 * @returns fresh vectors (never views of `bytes`)
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the payload is not 8 bytes per expected element
 */
export function ringFromBytes(
  bytes: Uint8Array,
  lengths: readonly number[],
  context: { readonly peer: string; readonly stage: string },
): BigUint64Array[] {
  let words = 0;
  for (const n of lengths) words += n;
  if (bytes.byteLength !== words * 8) {
    throw new ProtocolError(
      `${context.peer} sent ${bytes.byteLength} bytes in ${context.stage} where ${words * 8} (${words} ring elements) were expected`,
      { peer: context.peer, stage: context.stage, expected: `${words * 8} bytes` },
    );
  }
  const copy = new Uint8Array(words * 8);
  copy.set(bytes);
  if (!LITTLE_ENDIAN) swapWords(copy);
  const all = new BigUint64Array(copy.buffer);
  const out: BigUint64Array[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
}

function swapWords(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 8) bytes.subarray(i, i + 8).reverse();
}
