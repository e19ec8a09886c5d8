/**
 * Secure comparison of secret-shared fixed-point values: the sign (most significant bit) of x = x0 + x1 mod
 * 2^64, by a boolean circuit over the two shares, then back to arithmetic shares.
 *
 * Protocol: party 0's share x0 and party 1's share x1 are each the XOR sharing (x0, 0) and (0, x1) of a 64-bit
 * word. msb(x0 + x1) = msb(x0) XOR msb(x1) XOR carry into bit 63; the carry comes from a Kogge-Stone parallel
 * prefix over (generate g = x0 AND x1, propagate p = x0 XOR x1): one round for g, then log2(64) = 6 rounds of
 * (G, P) <- (G XOR (P AND (G << s)), P AND (P << s)) for s = 1, 2, ..., 32. Each AND gate is evaluated with a
 * boolean Beaver triple, 64 gates per word and all elements in one message per round. XOR replaces OR because
 * a block that generates a carry never also propagates one. The bit is turned into arithmetic shares (B2A) with
 * one Beaver product: b = b0 + b1 - 2 b0 b1. Per element: 12 words of AND triples (768 AND gates), one
 * elementwise triple, 8 rounds, 2 * 12 * 8 + 16 = 208 bytes sent by each party.
 *
 * Security: semi-honest, two parties; every opened value is masked by a fresh triple share, so each party sees
 * only uniformly random bits and ring elements. Exact (no fixed-point error) for every x in the ring read as a
 * signed 64-bit integer; in particular for every encodable value.
 */
import { InvalidParameterError } from '../../core/index.js';
import type { ArithParty } from './party.js';
import { type RingShares, ringAdd, ringMulScalar, ringSub } from './ring.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the low / high 32-bit half of a 64-bit word in a Uint32Array view. */
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

function u32(x: BigUint64Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length * 2);
}

function xor(x: BigUint64Array, y: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(x.length);
  const o = u32(out);
  const a = u32(x);
  const b = u32(y);
  for (let i = 0; i < o.length; i++) o[i] = a[i]! ^ b[i]!;
  return out;
}

/** Each 64-bit word shifted left by s in [1, 32]. */
function shiftLeft(x: BigUint64Array, s: number): BigUint64Array {
  const out = new BigUint64Array(x.length);
  const o = u32(out);
  const a = u32(x);
  for (let w = 0; w < x.length; w++) {
    const lo = a[2 * w + LO]!;
    const hi = a[2 * w + HI]!;
    if (s === 32) {
      o[2 * w + LO] = 0;
      o[2 * w + HI] = lo;
    } else {
      o[2 * w + LO] = lo << s;
      o[2 * w + HI] = (hi << s) | (lo >>> (32 - s));
    }
  }
  return out;
}

/** XOR shares of x AND y, bitwise, for XOR-shared x, y of equal length: one opening. */
async function and(
  party: ArithParty,
  fn: string,
  x: BigUint64Array,
  y: BigUint64Array,
): Promise<BigUint64Array> {
  const t = await party.takeBits(fn, x.length);
  const d = xor(x, t.a);
  const e = xor(y, t.b);
  const [d1, e1] = await party.open('arith.and.open', [d, e]);
  const dd = u32(xor(d, d1!));
  const ee = u32(xor(e, e1!));
  const a = u32(t.a);
  const b = u32(t.b);
  const c = u32(t.c);
  const out = new BigUint64Array(x.length);
  const o = u32(out);
  const lead = party.role === 0 ? 0xffffffff : 0;
  for (let i = 0; i < o.length; i++) {
    const di = dd[i]!;
    const ei = ee[i]!;
    o[i] = c[i]! ^ (di & b[i]!) ^ (ei & a[i]!) ^ (di & ei & lead);
  }
  t.a.fill(0n);
  t.b.fill(0n);
  t.c.fill(0n);
  return out;
}

function concat(x: BigUint64Array, y: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(x.length + y.length);
  out.set(x);
  out.set(y, x.length);
  return out;
}

/**
 * Arithmetic shares of the integer bit msb(x) (1 for a negative value, 0 otherwise), not fixed-point scaled.
 * @internal the building block of {@link lessThanZero} and {@link relu}
 */
export async function signBit(party: ArithParty, fn: string, x: RingShares): Promise<RingShares> {
  if (!(x instanceof BigUint64Array)) {
    throw new InvalidParameterError({ fn, param: 'x', value: x, allowed: 'shares (a BigUint64Array)' });
  }
  const n = x.length;
  const zero = new BigUint64Array(n);
  // party 0 holds XOR shares (x0, 0) of its share, party 1 holds (0, x1) of its own
  const mine = x.slice();
  const [left, right] = party.role === 0 ? [mine, zero] : [zero, mine];
  let g = await and(party, fn, left, right);
  let p = mine; // XOR shares of x0 XOR x1
  const top = p.slice(); // XOR shares of bits 63 of x0 XOR x1
  for (let s = 1; s <= 32; s *= 2) {
    if (s < 32) {
      const both = await and(party, fn, concat(p, p), concat(shiftLeft(g, s), shiftLeft(p, s)));
      g = xor(g, both.subarray(0, n));
      p = both.slice(n);
    } else {
      g = xor(g, await and(party, fn, p, shiftLeft(g, s)));
    }
  }
  // msb = bit 63 of (x0 XOR x1) XOR carry into bit 63 (bit 62 of G), as this party's XOR share
  const bit = new BigUint64Array(n);
  for (let i = 0; i < n; i++) bit[i] = ((top[i]! >> 63n) ^ (g[i]! >> 62n)) & 1n;
  // B2A: b = b0 + b1 - 2 b0 b1, with b0 and b1 each an input of its holder
  const [u, v] = party.role === 0 ? [bit, zero] : [zero, bit];
  const uv = await party.mulRing(fn, u, v);
  return ringSub(bit, ringAdd(uv, uv));
}

/**
 * Secure "less than zero": shares of 1.0 where x < 0 and 0.0 elsewhere (fixed point), exactly.
 * Security and cost: see the module comment (8 rounds, 208 bytes per element each way, semi-honest).
 * @param party - this party's session (with a triple source that provides bit triples)
 * @param x - shares of fixed-point values
 * @returns shares of the indicator [x < 0] as fixed-point 0 or 1
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER without a triple source with `bits`, or for bad shares
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
 * @example
 * const [s0, s1] = await Promise.all([lessThanZero(p0, x0), lessThanZero(p1, x1)]);
 */
export async function lessThanZero(party: ArithParty, x: RingShares): Promise<RingShares> {
  const bit = await signBit(party, 'lessThanZero', x);
  return ringMulScalar(bit, 1n << BigInt(party.fracBits));
}

/**
 * Secure "greater than": shares of 1.0 where x > y and 0.0 elsewhere, as the sign of y - x (exact).
 * @param party - this party's session
 * @param x - shares
 * @param y - shares of the same length
 * @returns shares of [x > y] as fixed-point 0 or 1
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for unequal lengths or without bit triples
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
 */
export async function greaterThan(party: ArithParty, x: RingShares, y: RingShares): Promise<RingShares> {
  const diff = party.sub(y, x);
  const bit = await signBit(party, 'greaterThan', diff);
  return ringMulScalar(bit, 1n << BigInt(party.fracBits));
}

/**
 * Secure ReLU: shares of max(x, 0) = x * (1 - msb(x)), exactly (the product with a bit needs no truncation).
 * @param party - this party's session (with bit and elementwise triples)
 * @param x - shares
 * @returns shares of max(x, 0)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER without a suitable triple source, or for bad shares
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
 */
export async function relu(party: ArithParty, x: RingShares): Promise<RingShares> {
  const bit = await signBit(party, 'relu', x);
  return ringSub(x, await party.mulRing('relu', x, bit));
}
