/**
 * PSI at the largest tested size: 100,000 x 100,000 random identifiers with a known overlap (37,123),
 * worker threads on both sides, exact counts and aligned rows checked against a plain Set intersection; and the
 * cardinality mode at the same size returns the count only.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/core/index.js';
import { memoryChannelPair, psi } from '../../src/mpc/index.js';

function sets(n: number, overlap: number): [string[], string[]] {
  const rng = seededRng('psi 1e5');
  const shared = Array.from({ length: overlap }, (_, i) => `shared-${i}`);
  const left = [...shared, ...Array.from({ length: n - overlap }, (_, i) => `left-${i}`)];
  const right = [...shared, ...Array.from({ length: n - overlap }, (_, i) => `right-${i}`)];
  for (const list of [left, right])
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.uniformInt(i + 1);
      [list[i], list[j]] = [list[j] as string, list[i] as string];
    }
  return [left, right];
}

describe('PSI at 10^5 x 10^5', () => {
  const [left, right] = sets(100_000, 37_123);

  it('finds exactly the common identifiers, aligned on both sides', async () => {
    const [a, b] = memoryChannelPair({ peers: ['right', 'left'] });
    const [l, r] = await Promise.all([
      psi(a, { role: 'left', ids: left, mode: 'intersection', normalise: 'exact' }),
      psi(b, { role: 'right', ids: right, mode: 'intersection', normalise: 'exact' }),
    ]);
    expect(l.intersection).toBe(37_123);
    expect(r.intersection).toBe(37_123);
    if (l.mode !== 'intersection' || r.mode !== 'intersection') throw new Error('intersection mode expected');
    const leftIds = l.rows.map((i) => left[i]);
    expect(leftIds).toEqual(r.rows.map((i) => right[i]));
    expect(leftIds.every((id) => id!.startsWith('shared-'))).toBe(true);
    expect(new Set(leftIds).size).toBe(37_123);
  }, 300_000);

  it('in cardinality mode learns the count and no rows', async () => {
    const [a, b] = memoryChannelPair({ peers: ['right', 'left'] });
    const [l, r] = await Promise.all([
      psi(a, { role: 'left', ids: left, mode: 'cardinality', normalise: 'exact' }),
      psi(b, { role: 'right', ids: right, mode: 'cardinality', normalise: 'exact' }),
    ]);
    expect([l.intersection, r.intersection]).toEqual([37_123, 37_123]);
    expect('rows' in l || 'rows' in r).toBe(false);
  }, 300_000);
});
