import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { memoryChannelPair } from '../channel.js';
import { ArithParty } from './party.js';
import { ringToBytes } from './ring.js';
import { reconstruct, shareBoth, testSession } from './testing.js';
import type { TripleSource } from './triples.js';

const ULP = 2 ** -16;
const real = (bound: number) =>
  fc
    .double({ min: -bound, max: bound, noNaN: true, noDefaultInfinity: true })
    .map((v) => (Object.is(v, -0) ? 0 : v));
const pairOf = (bound: number) =>
  fc
    .integer({ min: 1, max: 8 })
    .chain((n) =>
      fc.tuple(
        fc.array(real(bound), { minLength: n, maxLength: n }),
        fc.array(real(bound), { minLength: n, maxLength: n }),
      ),
    );
const encoded = (v: number) => Math.round(v * 2 ** 16) / 2 ** 16 + 0; // + 0: no -0

describe('ArithParty', () => {
  it('shares, adds and reveals to both, to one party only', async () => {
    const s = testSession();
    const [[a0, a1], [b0, b1]] = await shareBoth(s, Float64Array.of(1.5, -2), Float64Array.of(0.25, 3));
    const z0 = s.p0.add(a0, b0);
    const z1 = s.p1.add(a1, b1);
    const [r0, r1] = await Promise.all([s.p0.reveal(z0), s.p1.reveal(z1)]);
    expect([...r0]).toEqual([1.75, 1]);
    expect([...r1]).toEqual([1.75, 1]);
    const [only0, none1] = await Promise.all([s.p0.reveal(z0, 0), s.p1.reveal(z1, 0)]);
    expect([...(only0 ?? [])]).toEqual([1.75, 1]);
    expect(none1).toBeUndefined();
  });

  it('each share alone looks nothing like the input', async () => {
    const s = testSession();
    const [x0, x1] = await Promise.all([s.p0.share(Float64Array.of(0, 0, 0)), s.p1.input(0, 3)]);
    expect([...x0].some((v) => v < 2n ** 40n)).toBe(false);
    expect([...x1].some((v) => v < 2n ** 40n)).toBe(false);
  });

  it('multiplies matrices by one opening of E and F', async () => {
    const s = testSession();
    const x = Float64Array.of(1, 2, 3, 4, 5, 6); // 2 x 3
    const y = Float64Array.of(0.5, -1, 2, 0, -0.25, 4); // 3 x 2
    const [[x0, x1], [y0, y1]] = await shareBoth(s, x, y);
    const shape = { rows: 2, inner: 3, cols: 2 };
    const before = s.ch[0].stats().messagesSent;
    const [z0, z1] = await Promise.all([s.p0.matmul(x0, y0, shape), s.p1.matmul(x1, y1, shape)]);
    expect(s.ch[0].stats().messagesSent - before).toBe(1);
    const z = reconstruct(z0, z1);
    const expected = [0.5 + 4 - 0.75, -1 + 0 + 12, 2 + 10 - 1.5, -4 + 0 + 24];
    for (let i = 0; i < 4; i++) expect(Math.abs(z[i]! - expected[i]!)).toBeLessThanOrEqual(ULP);
    expect(s.p0.stats().matrixTriples).toBe(1);
  });

  it('computes sums and dot products', async () => {
    const s = testSession();
    const [[x0, x1], [y0, y1]] = await shareBoth(s, Float64Array.of(1, 2, 3), Float64Array.of(0.5, 0.5, -1));
    expect([...reconstruct(s.p0.sum(x0), s.p1.sum(x1))]).toEqual([6]);
    const [d0, d1] = await Promise.all([s.p0.dot(x0, y0), s.p1.dot(x1, y1)]);
    expect(Math.abs(reconstruct(d0, d1)[0]! - -1.5)).toBeLessThanOrEqual(ULP);
  });

  it('uses each triple once, counts them, and wipes them after use', async () => {
    const s = testSession();
    const [[x0, x1], [y0, y1]] = await shareBoth(s, Float64Array.of(1, 2), Float64Array.of(3, 4));
    await Promise.all([s.p0.mul(x0, y0), s.p1.mul(x1, y1)]);
    await Promise.all([s.p0.mul(x0, y0), s.p1.mul(x1, y1)]);
    expect(s.p0.stats()).toMatchObject({ elementwiseTriples: 4, openings: 2 });
    expect(s.p1.stats()).toMatchObject({ elementwiseTriples: 4, openings: 2 });
  });

  it('refuses a triple batch it has used before', async () => {
    const [a] = memoryChannelPair();
    const fixed = { a: new BigUint64Array(1), b: new BigUint64Array(1), c: new BigUint64Array(1) };
    const replaying: TripleSource = { kind: 'dealer', role: 0, elementwise: async () => fixed };
    const p0 = new ArithParty({ ch: a, role: 0, triples: replaying, rng: seededRng(1) });
    const x = BigUint64Array.of(5n);
    const first = p0.mul(x, x); // waits for the peer's opening, after taking the batch
    await expect(p0.mul(x, x)).rejects.toThrow(/fresh triples/);
    void first.catch(() => undefined);
    a.close();
  });

  it('refuses to multiply without a triple source, with a clear error', async () => {
    const s = testSession({ withTriples: false });
    const x = BigUint64Array.of(1n);
    await expect(s.p0.mul(x, x)).rejects.toThrow(/ArithParty\.mul: triples must be a TripleSource/);
    await expect(s.p0.matmul(x, x, { rows: 1, inner: 1, cols: 1 })).rejects.toThrow(
      expect.objectContaining({ code: 'VEIL_INVALID_PARAMETER' }),
    );
    await expect(s.p0.dot(x, x)).rejects.toThrow(/needs Beaver triples/);
    expect(s.p0.add(x, x)).toEqual(BigUint64Array.of(2n)); // local operations need none
  });

  it('turns a message with a wrong tag or length into a ProtocolError', async () => {
    const s = testSession();
    s.ch[1].send('arith.reveal', new Uint8Array(8));
    await expect(s.p0.input(1, 1)).rejects.toThrow(
      expect.objectContaining({ code: 'VEIL_PROTOCOL_VIOLATION' }),
    );
    s.ch[1].send('arith.input', new Uint8Array(12));
    await expect(s.p0.input(1, 2)).rejects.toThrow(/sent 12 bytes in arith.input where 16/);
    const x = BigUint64Array.of(1n, 2n);
    s.ch[1].send('arith.mul.open', ringToBytes(BigUint64Array.of(1n)));
    await expect(s.p0.mul(x, x)).rejects.toThrow(
      expect.objectContaining({ code: 'VEIL_PROTOCOL_VIOLATION' }),
    );
  });

  it('refuses bad arguments with InvalidParameterError', async () => {
    const s = testSession();
    const [a] = memoryChannelPair();
    const bad = (f: () => unknown) =>
      expect(f).toThrow(expect.objectContaining({ code: 'VEIL_INVALID_PARAMETER' }));
    bad(() => new ArithParty({ ch: a, role: 2 as 0 }));
    bad(() => new ArithParty({ ch: a, role: 0, fracBits: 31 }));
    bad(() => new ArithParty({ ch: a, role: 0, fracBits: 1.5 }));
    bad(() => new ArithParty({ ch: a, role: 0, triples: s.triples[1] }));
    bad(() => s.p0.add(new BigUint64Array(2), new BigUint64Array(3)));
    bad(() => s.p0.addPublic(new BigUint64Array(2), Number.NaN));
    bad(() => s.p0.mulPublic(new BigUint64Array(2), Float64Array.of(1)));
    bad(() => s.p0.truncate(new BigUint64Array(2), 64));
    await expect(s.p0.share(Float64Array.of(1, Number.POSITIVE_INFINITY))).rejects.toThrow(/values\[1\]/);
    await expect(s.p0.share(Float64Array.of(40_000))).rejects.toThrow(/magnitude below 2\^15/);
    await expect(s.p0.input(0, 1)).rejects.toThrow(/use share\(\)/);
    const x = new BigUint64Array(6);
    await expect(s.p0.matmul(x, x, { rows: 2, inner: 2, cols: 3 })).rejects.toThrow(/rows \* inner = 4/);
    await expect(s.p0.mul(x, new BigUint64Array(5))).rejects.toThrow(/length 6/);
  });
});

describe('properties', () => {
  test.prop([pairOf(1000)])(
    'reconstruct(x + y) = x + y and x - y exactly (after encoding)',
    async ([a, b]) => {
      const s = testSession();
      const [[x0, x1], [y0, y1]] = await shareBoth(s, Float64Array.from(a), Float64Array.from(b));
      const sum = reconstruct(s.p0.add(x0, y0), s.p1.add(x1, y1));
      const diff = reconstruct(s.p0.sub(x0, y0), s.p1.sub(x1, y1));
      a.forEach((v, i) => {
        expect(sum[i]).toBe(encoded(v) + encoded(b[i]!));
        expect(diff[i]).toBe(encoded(v) - encoded(b[i]!));
      });
    },
  );

  test.prop([pairOf(100), real(100)])(
    'public add and multiply are within 1 ulp of the encoded result',
    ([a], c) => {
      const s = testSession();
      return (async () => {
        const [x0, x1] = await Promise.all([s.p0.share(Float64Array.from(a)), s.p1.input(0, a.length)]);
        const plus = reconstruct(s.p0.addPublic(x0, c), s.p1.addPublic(x1, c));
        const times = reconstruct(s.p0.mulPublic(x0, c), s.p1.mulPublic(x1, c));
        a.forEach((v, i) => {
          expect(plus[i]).toBe(encoded(v) + encoded(c));
          expect(Math.abs(times[i]! - encoded(v) * encoded(c))).toBeLessThanOrEqual(ULP);
        });
      })();
    },
  );

  test.prop([pairOf(100)])(
    'Beaver mul is within 1 ulp of the product of the encoded inputs',
    async ([a, b]) => {
      const s = testSession();
      const [[x0, x1], [y0, y1]] = await shareBoth(s, Float64Array.from(a), Float64Array.from(b));
      const [z0, z1] = await Promise.all([s.p0.mul(x0, y0), s.p1.mul(x1, y1)]);
      const z = reconstruct(z0, z1);
      a.forEach((v, i) => expect(Math.abs(z[i]! - encoded(v) * encoded(b[i]!))).toBeLessThanOrEqual(ULP));
    },
  );

  test.prop([
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
    fc.nat(),
  ])('matmul is within 1 ulp of the product of the encoded matrices', async (rows, inner, cols, seed) => {
    const rng = seededRng(seed);
    const x = Float64Array.from({ length: rows * inner }, () => encoded((rng.uniform() - 0.5) * 20));
    const y = Float64Array.from({ length: inner * cols }, () => encoded((rng.uniform() - 0.5) * 20));
    const s = testSession({ seed: seed % 1000 });
    const [[x0, x1], [y0, y1]] = await shareBoth(s, x, y);
    const shape = { rows, inner, cols };
    const [z0, z1] = await Promise.all([s.p0.matmul(x0, y0, shape), s.p1.matmul(x1, y1, shape)]);
    const z = reconstruct(z0, z1);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        let e = 0;
        for (let r = 0; r < inner; r++) e += x[i * inner + r]! * y[r * cols + j]!;
        expect(Math.abs(z[i * cols + j]! - e)).toBeLessThanOrEqual(ULP);
      }
  });

  test.prop([pairOf(1000), fc.integer({ min: 0, max: 16 })])(
    'truncation by k bits is within 1 ulp of x / 2^k',
    ([a], k) => {
      const s = testSession();
      return (async () => {
        const [x0, x1] = await Promise.all([s.p0.share(Float64Array.from(a)), s.p1.input(0, a.length)]);
        const t = reconstruct(s.p0.truncate(x0, k), s.p1.truncate(x1, k));
        a.forEach((v, i) => expect(Math.abs(t[i]! - encoded(v) / 2 ** k)).toBeLessThanOrEqual(ULP));
      })();
    },
  );
});
