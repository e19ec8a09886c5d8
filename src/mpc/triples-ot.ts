/**
 * Beaver triples made by the two parties themselves, by oblivious transfer (no dealer): elementwise triples
 * over Z_2^64 by Gilboa multiplication and boolean AND triples from random OTs (./ot/gilboa.ts), served through
 * the {@link TripleSource} interface that {@link ArithParty} consumes. Matrix triples are not offered: made by
 * OT they cost one OT per bit of every inner-product term, which is why the vertical trainer multiplies a
 * party's plaintext features by shared weights directly instead (./vertical/).
 */
import type { Role, TripleSource } from './arith/index.js';
import { type BitTripleShares, beaverTriples, bitTriples, type OtPair } from './ot/gilboa.js';

/** Packs one-byte bits into 64-bit words, bit k of word w holding bit 64w + k. */
function pack(bits: Uint8Array, words: number): BigUint64Array {
  const out = new BigUint64Array(words);
  const w32 = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) if (bits[i]! & 1) w32[i >>> 5]! |= 1 << (i & 31);
  return out;
}

/**
 * A triple source for one party, generated with the other party over the pair's OT sessions. Both parties
 * must use it in the same order (ArithParty does).
 * @param pair this party's OT sessions (its role is the source's role)
 * @example
 * const pair = await OtPair.setup(ch, 0);
 * const party = new ArithParty({ ch, role: 0, triples: otTripleSource(pair) });
 */
export function otTripleSource(pair: OtPair): TripleSource {
  return {
    kind: 'ot',
    role: pair.role as Role,
    elementwise: (n) => beaverTriples(pair, n),
    async bits(words) {
      const t: BitTripleShares = await bitTriples(pair, 64 * words);
      return { a: pack(t.a, words), b: pack(t.b, words), c: pack(t.c, words) };
    },
  };
}
