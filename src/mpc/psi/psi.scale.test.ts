/** The larger PSI runs (kept apart so each test file stays short): 10,000 x 10,000 and the worker threads. */
import { describe, expect, it } from 'vitest';
import { type Rng, seededRng } from '../../core/index.js';
import { memoryChannelPair } from '../channel.js';
import { type PsiOptions, type PsiResult, psi } from './psi.js';

type Side = Omit<PsiOptions, 'role'>;

async function run(left: Side, right: Side): Promise<[PsiResult, PsiResult]> {
  const [a, b] = memoryChannelPair({ peers: ['right', 'left'], timeoutMs: 20_000 });
  return Promise.all([psi(a, { ...left, role: 'left' }), psi(b, { ...right, role: 'right' })]);
}

/** Two random sets of the given sizes sharing exactly `overlap` identifiers, in random row order. */
function sets(rng: Rng, n: number, m: number, overlap: number): [string[], string[]] {
  const tag = rng.nextUint32().toString(36);
  const shared = Array.from({ length: overlap }, (_, i) => `shared-${tag}-${i}`);
  const left = [...shared, ...Array.from({ length: n - overlap }, (_, i) => `left-${tag}-${i}`)];
  const right = [...shared, ...Array.from({ length: m - overlap }, (_, i) => `right-${tag}-${i}`)];
  for (const list of [left, right])
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.uniformInt(i + 1);
      [list[i], list[j]] = [list[j] as string, list[i] as string];
    }
  return [left, right];
}

function expectAligned(left: readonly string[], right: readonly string[], l: PsiResult, r: PsiResult): void {
  const rightSet = new Set(right);
  const common = new Set(left.filter((x) => rightSet.has(x)));
  expect(l.intersection).toBe(common.size);
  expect(r.intersection).toBe(common.size);
  if (l.mode !== 'intersection' || r.mode !== 'intersection') throw new Error('expected intersection mode');
  const leftRows = l.rows.map((i) => left[i]);
  expect(leftRows).toEqual(r.rows.map((i) => right[i]));
  expect(new Set(leftRows)).toEqual(common);
}

const opts = (ids: string[], seed: number, extra: Partial<Side> = {}): Side => ({
  ids,
  mode: 'intersection',
  normalise: 'exact',
  threads: 1,
  rng: seededRng(seed),
  ...extra,
});

describe('psi at scale', () => {
  it('n = m = 10,000 with overlap 4321: exact count and the same aligned rows on both sides', async () => {
    const [left, right] = sets(seededRng(10_000), 10_000, 10_000, 4321);
    const [l, r] = await run(opts(left, 1, { chunkSize: 4096 }), opts(right, 2, { chunkSize: 1000 }));
    expectAligned(left, right, l, r);
    expect([l.size, l.peerSize, r.size, r.peerSize]).toEqual([10_000, 10_000, 10_000, 10_000]);
    // 32 bytes per point: n singles + m doubles each way, plus framing
    expect(l.bytes.sent).toBeGreaterThan(20_000 * 32);
    expect(l.bytes.sent).toBeLessThan(20_000 * 32 + 2000);
  }, 30_000);

  it('gives the same result on worker threads as in the calling thread', async () => {
    const [left, right] = sets(seededRng(9), 1000, 800, 300);
    const [l1, r1] = await run(opts(left, 11), opts(right, 12));
    const [l2, r2] = await run(opts(left, 11, { threads: 2 }), opts(right, 12, { threads: 2 }));
    expectAligned(left, right, l2, r2);
    expect(l2).toEqual(l1);
    expect(r2).toEqual(r1);
  }, 30_000);
});
