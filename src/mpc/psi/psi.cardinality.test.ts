/**
 * Cardinality mode: both parties learn the size of the intersection and nothing about which of their rows
 * match. The white-box test records one party's messages and shows that the position at which its matching
 * item comes back is spread uniformly by the peer's shuffle (in intersection mode it is the position at which
 * the item was sent, which is how that mode tells rows).
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { type Channel, memoryChannelPair } from '../channel.js';
import { psi } from './psi.js';
import type { PsiMode } from './wire.js';

/** Wraps a channel end, recording every payload sent and received, by tag. */
function recording(ch: Channel) {
  const sent = new Map<string, Uint8Array[]>();
  const received = new Map<string, Uint8Array[]>();
  const add = (m: Map<string, Uint8Array[]>, tag: string, p: Uint8Array) =>
    m.set(tag, [...(m.get(tag) ?? []), p]);
  const wrapped: Channel = {
    peer: ch.peer,
    send(tag, payload) {
      add(sent, tag, payload.slice());
      ch.send(tag, payload);
    },
    async recv(tag) {
      const payload = await ch.recv(tag);
      add(received, tag, payload.slice());
      return payload;
    },
    close: (reason) => ch.close(reason),
    stats: () => ch.stats(),
  };
  return { wrapped, sent, received };
}

const hex = (p: Uint8Array, i: number) => Buffer.from(p.subarray(i * 32, i * 32 + 32)).toString('hex');
const points = (p: Uint8Array) => Array.from({ length: p.length / 32 }, (_, i) => hex(p, i));

/** One run; returns where the left party's matching item came back among its doubles, and the result. */
async function matchedPosition(mode: PsiMode, rightSeed: number) {
  const [a, b] = memoryChannelPair({ peers: ['right', 'left'] });
  const left = recording(a);
  const common = { mode, normalise: 'exact', threads: 1 } as const;
  const [l, r] = await Promise.all([
    psi(left.wrapped, { ...common, role: 'left', ids: ['ann', 'bob', 'cy', 'dee'], rng: seededRng(1) }),
    psi(b, { ...common, role: 'right', ids: ['zed', 'cy'], rng: seededRng(rightSeed) }),
  ]);
  // The matching double is the one the left party both received (its own items' doubles) and sent (the
  // right party's items' doubles).
  const mine = points((left.received.get('psi.double') ?? [])[0] as Uint8Array);
  const theirs = new Set(points((left.sent.get('psi.double') ?? [])[0] as Uint8Array));
  const position = mine.findIndex((x) => theirs.has(x));
  return { position, l, r, mine };
}

describe('psi: cardinality mode', () => {
  it('gives both parties the count and no rows', async () => {
    const { l, r } = await matchedPosition('cardinality', 2);
    expect(l).toMatchObject({ mode: 'cardinality', intersection: 1, size: 4, peerSize: 2 });
    expect(r).toMatchObject({ mode: 'cardinality', intersection: 1, size: 2, peerSize: 4 });
    expect('rows' in l).toBe(false);
    expect('rows' in r).toBe(false);
  });

  it('returns the doubles in a fresh random order, so a party cannot tell which of its items matched', async () => {
    // The left party's key and shuffle are fixed (seed 1): in intersection mode its matching item comes back at
    // the position it was sent, every time.
    const sentAt = new Set<number>();
    for (let seed = 2; seed < 12; seed++) sentAt.add((await matchedPosition('intersection', seed)).position);
    expect(sentAt.size).toBe(1);
    // In cardinality mode the same item comes back at a uniformly random position (the right party's shuffle).
    const counts = [0, 0, 0, 0];
    const trials = 160;
    for (let seed = 2; seed < 2 + trials; seed++) {
      const { position, mine } = await matchedPosition('cardinality', seed);
      expect(mine).toHaveLength(4);
      counts[position] = (counts[position] as number) + 1;
    }
    // expected 40 each; chi-square with 3 degrees of freedom below 16.27 (p = 0.001) for a uniform position
    const chi = counts.reduce((s, c) => s + (c - trials / 4) ** 2 / (trials / 4), 0);
    expect(chi).toBeLessThan(16.27);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  }, 20_000);

  it('counts exactly on larger sets', async () => {
    const left = Array.from({ length: 500 }, (_, i) => `id-${i}`);
    const right = Array.from({ length: 400 }, (_, i) => `id-${i * 3}`);
    const expected = right.filter((x) => Number(x.slice(3)) < 500).length;
    const [a, b] = memoryChannelPair({ peers: ['right', 'left'] });
    const common = { mode: 'cardinality', normalise: 'exact', threads: 1, chunkSize: 128 } as const;
    const [l, r] = await Promise.all([
      psi(a, { ...common, role: 'left', ids: left, rng: seededRng(3) }),
      psi(b, { ...common, role: 'right', ids: right, rng: seededRng(4) }),
    ]);
    expect([l.intersection, r.intersection]).toEqual([expected, expected]);
  });
});
