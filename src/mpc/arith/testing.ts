/**
 * Test helpers for the arithmetic-sharing protocols (excluded from the build): two parties joined by an
 * in-memory channel with a seeded trusted dealer, and reconstruction of shares held by both.
 */
import { seededRng } from '../../core/index.js';
import { type Channel, memoryChannelPair } from '../channel.js';
import { decodeFixed } from './fixed-point.js';
import { ArithParty } from './party.js';
import { ringAdd } from './ring.js';
import { dealerTriples, type TripleSource } from './triples.js';

/** Two connected parties over a memory channel with seeded dealer triples (NOT private: tests only). */
export interface TestSession {
  readonly p0: ArithParty;
  readonly p1: ArithParty;
  readonly ch: readonly [Channel, Channel];
  readonly triples: readonly [TripleSource, TripleSource];
}

/** A seeded two-party session; `withTriples: false` gives parties without a triple source. */
export function testSession(
  options: { seed?: number; fracBits?: number; withTriples?: boolean } = {},
): TestSession {
  const seed = options.seed ?? 1;
  const ch = memoryChannelPair();
  const triples = dealerTriples({ rng: seededRng(seed) });
  const common = options.fracBits === undefined ? {} : { fracBits: options.fracBits };
  const withTriples = options.withTriples ?? true;
  const p0 = new ArithParty({
    ch: ch[0],
    role: 0,
    rng: seededRng(seed + 1),
    ...common,
    ...(withTriples ? { triples: triples[0] } : {}),
  });
  const p1 = new ArithParty({
    ch: ch[1],
    role: 1,
    rng: seededRng(seed + 2),
    ...common,
    ...(withTriples ? { triples: triples[1] } : {}),
  });
  return { p0, p1, ch, triples };
}

/** Shares of party 0's vector `a` and party 1's vector `b`, as [[a0, a1], [b0, b1]]. */
export async function shareBoth(
  s: TestSession,
  a: Float64Array,
  b: Float64Array,
): Promise<[[BigUint64Array, BigUint64Array], [BigUint64Array, BigUint64Array]]> {
  const [a0, a1] = await Promise.all([s.p0.share(a), s.p1.input(0, a.length)]);
  const [b0, b1] = await Promise.all([s.p0.input(1, b.length), s.p1.share(b)]);
  return [
    [a0, a1],
    [b0, b1],
  ];
}

/** The ring value two shares reconstruct. */
export function reconstructRing(x0: BigUint64Array, x1: BigUint64Array): BigUint64Array {
  return ringAdd(x0, x1);
}

/** The decoded value two shares reconstruct. */
export function reconstruct(x0: BigUint64Array, x1: BigUint64Array, fracBits = 16): Float64Array {
  return decodeFixed(ringAdd(x0, x1), { fracBits });
}
