import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { memoryChannelPair } from '../channel.js';
import { greaterThan, lessThanZero, relu, signBit } from './compare.js';
import { ArithParty } from './party.js';
import { reconstruct, reconstructRing, shareBoth, testSession } from './testing.js';
import type { TripleSource } from './triples.js';

const ULP = 2 ** -16;
const LIMIT = 2 ** 15 - ULP;

async function signs(values: number[], seed = 1): Promise<number[]> {
  const s = testSession({ seed });
  const [x0, x1] = await Promise.all([s.p0.share(Float64Array.from(values)), s.p1.input(0, values.length)]);
  const [l0, l1] = await Promise.all([lessThanZero(s.p0, x0), lessThanZero(s.p1, x1)]);
  return [...reconstruct(l0, l1)];
}

describe('lessThanZero', () => {
  it('is exact at 0, +-1 ulp and the largest magnitudes', async () => {
    const values = [0, ULP, -ULP, 1, -1, LIMIT, -LIMIT, 2 * ULP, -2 * ULP, 12345.678, -0.5];
    expect(await signs(values)).toEqual(values.map((v) => (v < 0 ? 1 : 0)));
  });

  it('is exact on raw ring values across the whole signed 64-bit range', async () => {
    const s = testSession({ seed: 3 });
    const raw = [0n, 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 1n << 62n, 3n << 62n];
    const x = BigUint64Array.from(raw);
    // party 0 holds x - r, party 1 holds r, for a fixed r of each kind
    for (const r of [0n, 1n, (1n << 64n) - 1n, 0x9e3779b97f4a7c15n]) {
      const x1 = new BigUint64Array(x.length).fill(r);
      const x0 = BigUint64Array.from(x, (v) => BigInt.asUintN(64, v - r));
      const [b0, b1] = await Promise.all([signBit(s.p0, 't', x0), signBit(s.p1, 't', x1)]);
      expect([...reconstructRing(b0, b1)]).toEqual(raw.map((v) => (v >> 63n) & 1n));
    }
  });

  it('costs 12 words of AND triples, one elementwise triple and 8 openings per batch', async () => {
    const s = testSession();
    const [x0, x1] = await Promise.all([s.p0.share(Float64Array.of(1, -1, 2)), s.p1.input(0, 3)]);
    const before = s.ch[0].stats().bytesSent;
    await Promise.all([lessThanZero(s.p0, x0), lessThanZero(s.p1, x1)]);
    expect(s.p0.stats()).toMatchObject({ bitTripleWords: 36, elementwiseTriples: 3, openings: 8 });
    const tagBytes = 6 * (4 + 'arith.and.open'.length) + 2 * (4 + 'arith.mul.open'.length);
    expect(s.ch[0].stats().bytesSent - before).toBe(3 * 208 + tagBytes);
  });

  it('refuses to run without a source of bit triples', async () => {
    const s = testSession({ withTriples: false });
    await expect(lessThanZero(s.p0, new BigUint64Array(1))).rejects.toThrow(/needs Beaver triples/);
    const [a] = memoryChannelPair();
    const noBits: TripleSource = {
      kind: 'ot',
      role: 0,
      elementwise: async (n) => ({
        a: new BigUint64Array(n),
        b: new BigUint64Array(n),
        c: new BigUint64Array(n),
      }),
    };
    const p = new ArithParty({ ch: a, role: 0, triples: noBits });
    await expect(relu(p, new BigUint64Array(1))).rejects.toThrow(/bit \(AND\) triples/);
  });
});

describe('properties', () => {
  const value = fc.oneof(
    fc.double({ min: -LIMIT, max: LIMIT, noNaN: true }),
    fc.integer({ min: -100, max: 100 }).map((k) => k * ULP),
  );

  test.prop([fc.array(value, { minLength: 1, maxLength: 40 }), fc.nat(1000)])(
    'lessThanZero is exact on random values',
    async (values, seed) => {
      const encodedNegative = values.map((v) => (Math.round(v * 2 ** 16) < 0 ? 1 : 0));
      expect(await signs(values, seed)).toEqual(encodedNegative);
    },
  );

  test.prop([fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 20 })])(
    'greaterThan(x, y) = [x > y] on encoded values',
    async (pairs) => {
      const s = testSession({ seed: 5 });
      const a = Float64Array.from(pairs, ([x]) => x / 2);
      const b = Float64Array.from(pairs, ([, y]) => y / 2);
      const [[x0, x1], [y0, y1]] = await shareBoth(s, a, b);
      const [g0, g1] = await Promise.all([greaterThan(s.p0, x0, y0), greaterThan(s.p1, x1, y1)]);
      const enc = (v: number) => Math.round(v * 2 ** 16);
      expect([...reconstruct(g0, g1)]).toEqual(pairs.map((_, i) => (enc(a[i]!) > enc(b[i]!) ? 1 : 0)));
    },
  );

  test.prop([fc.array(value, { minLength: 1, maxLength: 20 })])(
    'relu is exact: max(x, 0) of the encoded x',
    async (values) => {
      const s = testSession({ seed: 9 });
      const [x0, x1] = await Promise.all([
        s.p0.share(Float64Array.from(values)),
        s.p1.input(0, values.length),
      ]);
      const [r0, r1] = await Promise.all([relu(s.p0, x0), relu(s.p1, x1)]);
      expect([...reconstruct(r0, r1)]).toEqual(
        values.map((v) => Math.max(Math.round(v * 2 ** 16) / 2 ** 16, 0)),
      );
    },
  );
});
