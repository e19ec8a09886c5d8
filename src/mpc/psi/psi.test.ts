import { describe, expect, it } from 'vitest';
import { ProtocolError, type Rng, seededRng } from '../../core/index.js';
import { type Channel, memoryChannelPair } from '../channel.js';
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

describe('psi: intersection mode', () => {
  it.each([
    [1, 1, 1],
    [1, 1, 0],
    [2, 2, 1],
    [2, 1, 1],
    [100, 80, 37],
  ])(
    'n = %i, m = %i, overlap %i: exact count and the same aligned rows on both sides',
    async (n, m, k) => {
      const rng = seededRng(n * 31 + m + k);
      const [left, right] = sets(rng, n, m, k);
      const [l, r] = await run(opts(left, 1, { chunkSize: 4096 }), opts(right, 2, { chunkSize: 1000 }));
      expectAligned(left, right, l, r);
      expect(l.size).toBe(n);
      expect(l.peerSize).toBe(m);
      expect(r.peerSize).toBe(n);
    },
    20_000,
  );

  it('handles an empty set on one side', async () => {
    const [l, r] = await run(opts([], 1), opts(['a', 'b'], 2));
    expect(l).toMatchObject({ intersection: 0, size: 0, peerSize: 2, rows: [] });
    expect(r).toMatchObject({ intersection: 0, size: 2, peerSize: 0, rows: [] });
  });

  it('handles two empty sets', async () => {
    const [l, r] = await run(opts([], 1, { mode: 'cardinality' }), opts([], 2, { mode: 'cardinality' }));
    expect([l.intersection, r.intersection]).toEqual([0, 0]);
  });

  it('finds every row when the sets are equal, and none when disjoint', async () => {
    const rng = seededRng(5);
    const [left] = sets(rng, 300, 0, 0);
    const right = [...left].reverse();
    const [l, r] = await run(opts(left, 1), opts(right, 2));
    expectAligned(left, right, l, r);
    expect(l.intersection).toBe(300);
    const [l2, r2] = await run(
      opts(left, 3),
      opts(
        left.map((x) => `${x}!`),
        4,
      ),
    );
    expect([l2.intersection, r2.intersection]).toEqual([0, 0]);
  });

  it('reports the traffic and the rule', async () => {
    const [l, r] = await run(opts(['a', 'b', 'c'], 1), opts(['b'], 2));
    expect(l.normalise).toBe('exact');
    expect(l.isPrivate).toBe(false); // seeded: a test run
    expect(l.suite).toBe('curve25519_XMD:SHA-512_ELL2_NU_+X25519');
    // hello + 3 singles + 1 double sent by left; 32 bytes per point
    expect(l.bytes.messagesSent).toBe(3);
    expect(l.bytes.sent).toBe(r.bytes.received);
    expect(l.bytes.sent).toBeGreaterThan(4 * 32);
  });
});

describe('psi: normalisation', () => {
  it("matches ' Alice@X.com' and 'alice@x.com' under trim-casefold only", async () => {
    const left = [' Alice@X.com', 'bob@y.org'];
    const right = ['alice@x.com'];
    const [l] = await run(
      opts(left, 1, { normalise: 'trim-casefold' }),
      opts(right, 2, { normalise: 'trim-casefold' }),
    );
    expect(l).toMatchObject({ intersection: 1, rows: [0], normalise: 'trim-casefold' });
    const [e] = await run(opts(left, 1), opts(right, 2));
    expect(e.intersection).toBe(0);
    const [t] = await run(
      opts(left, 1, { normalise: 'trim' }),
      opts(['Alice@X.com'], 2, { normalise: 'trim' }),
    );
    expect(t).toMatchObject({ intersection: 1, normalise: 'trim' });
  });

  it('applies NFC under trim-casefold (composed and decomposed é match)', async () => {
    const [l] = await run(
      opts(['Jos\u00e9'], 1, { normalise: 'trim-casefold' }),
      opts(['jose\u0301'], 2, { normalise: 'trim-casefold' }),
    );
    expect(l.intersection).toBe(1);
  });

  it('refuses duplicates after normalisation, naming the rows; the peer learns only the code', async () => {
    const [a, b] = memoryChannelPair({ peers: ['right', 'left'] });
    const [mine, theirs] = await Promise.allSettled([
      psi(a, { role: 'left', ids: ['x', ' A', 'y', 'a '], mode: 'intersection', normalise: 'trim-casefold' }),
      psi(b, { role: 'right', ids: ['x'], mode: 'intersection', normalise: 'trim-casefold', threads: 1 }),
    ]);
    expect((mine as PromiseRejectedResult).reason).toMatchObject({
      code: 'VEIL_INVALID_PARAMETER',
      message: expect.stringMatching(/row 4 repeats row 2/),
    });
    const peerError = (theirs as PromiseRejectedResult).reason as ProtocolError;
    expect(peerError).toBeInstanceOf(ProtocolError);
    expect(peerError.message).toMatch(/psi failed at left \(VEIL_INVALID_PARAMETER\)/);
    expect(peerError.message).not.toMatch(/row/);
  });
});

describe('psi: hello', () => {
  it.each([
    [
      'mode',
      { mode: 'cardinality' },
      /disagree on mode: left \(left\) said "intersection", this party \(right\) said "cardinality"/,
    ],
    ['normalise', { normalise: 'trim' }, /disagree on normalise/],
  ] as const)('a %s mismatch is a ProtocolError on both sides', async (_, change, message) => {
    const [a, b] = memoryChannelPair({ peers: ['right', 'left'] });
    const results = await Promise.allSettled([
      psi(a, { role: 'left', ids: ['a'], mode: 'intersection', normalise: 'exact', threads: 1 }),
      psi(b, { role: 'right', ids: ['a'], mode: 'intersection', normalise: 'exact', threads: 1, ...change }),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ProtocolError);
      expect((r as PromiseRejectedResult).reason.code).toBe('VEIL_PROTOCOL_VIOLATION');
    }
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(message);
  });

  it('refuses two parties with the same role', async () => {
    const [a, b] = memoryChannelPair();
    const results = await Promise.allSettled([
      psi(a, { role: 'left', ids: ['a'], mode: 'intersection', normalise: 'exact', threads: 1 }),
      psi(b, { role: 'left', ids: ['a'], mode: 'intersection', normalise: 'exact', threads: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/roles must be 'left' and 'right'/);
  });
});

describe('psi: options', () => {
  it.each([
    [{ role: 'middle' }, /role must be 'left' or 'right'/],
    [{ mode: 'union' }, /mode must be/],
    [{ normalise: 'lower' }, /normalise must be/],
    [{ threads: 0 }, /threads must be an integer in \[1, 256\]/],
    [{ chunkSize: 70_000 }, /chunkSize must be an integer in \[1, 65536\]/],
    [{ ids: ['ok', 'bad\ud800'] }, /row 2/],
  ])('refuses %o', async (change, message) => {
    const [a] = memoryChannelPair();
    const options = {
      role: 'left',
      ids: ['a'],
      mode: 'intersection',
      normalise: 'exact',
      ...change,
    } as PsiOptions;
    await expect(psi(a as Channel, options)).rejects.toMatchObject({
      code: 'VEIL_INVALID_PARAMETER',
      message: expect.stringMatching(message),
    });
  });
});
