import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { memoryChannelPair } from '../channel.js';
import {
  beaverTriples,
  bitTriples,
  OtPair,
  plaintextTimesSharedReceive,
  plaintextTimesSharedSend,
} from './gilboa.js';

const invalid = (param: string) => ({
  code: 'VEIL_INVALID_PARAMETER',
  details: expect.objectContaining({ param }),
});
const mod64 = (x: bigint) => BigInt.asUintN(64, x);

async function pairs(seed: number): Promise<[OtPair, OtPair]> {
  const [x, y] = memoryChannelPair({ peers: ['party 1', 'party 0'] });
  return Promise.all([
    OtPair.setup(x, 0, { rng: seededRng(seed) }),
    OtPair.setup(y, 1, { rng: seededRng(seed + 1) }),
  ]);
}

describe('two-party multiplication from OT', () => {
  let p0: OtPair;
  let p1: OtPair;
  beforeAll(async () => {
    [p0, p1] = await pairs(1);
  });

  it('makes 1,000 Beaver triples with (a0 + a1)(b0 + b1) = c0 + c1 mod 2^64', async () => {
    const [t0, t1] = await Promise.all([
      beaverTriples(p0, 1000, { rng: seededRng(10) }),
      beaverTriples(p1, 1000, { rng: seededRng(11) }),
    ]);
    for (let i = 0; i < 1000; i++)
      expect(mod64(t0.c[i]! + t1.c[i]!)).toBe(mod64((t0.a[i]! + t1.a[i]!) * (t0.b[i]! + t1.b[i]!)));
    expect(t0.a).not.toEqual(t1.a);
  });

  it('makes XOR-shared AND triples with (a0 ⊕ a1)(b0 ⊕ b1) = c0 ⊕ c1', async () => {
    const n = 10_000;
    const [t0, t1] = await Promise.all([bitTriples(p0, n), bitTriples(p1, n)]);
    let ones = 0;
    for (let i = 0; i < n; i++) {
      expect((t0.a[i]! ^ t1.a[i]!) & (t0.b[i]! ^ t1.b[i]!)).toBe(t0.c[i]! ^ t1.c[i]!);
      ones += t0.a[i]! + t0.b[i]!;
    }
    expect(Math.max(...t0.a, ...t0.b, ...t0.c)).toBe(1);
    expect(ones / (2 * n)).toBeGreaterThan(0.45);
    expect(ones / (2 * n)).toBeLessThan(0.55);
  });

  describe('properties', () => {
    test.prop(
      [
        fc.integer({ min: 1, max: 64 }).chain((bits) =>
          fc.tuple(
            fc.constant(bits),
            fc.array(
              fc.tuple(
                fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n }),
                fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
              ),
              {
                maxLength: 30,
              },
            ),
          ),
        ),
      ],
      { numRuns: 20 },
    )('plaintextTimesShared gives shares of x·y mod 2^64', async ([bits, entries]) => {
      const x = BigUint64Array.from(entries.map(([v]) => v));
      const y = BigUint64Array.from(entries.map(([, v]) => v));
      // party 1 knows x in the clear, party 0 holds y; then the other way round
      const [fromSender, fromReceiver] = await Promise.all([
        plaintextTimesSharedSend(p0, y, bits),
        plaintextTimesSharedReceive(p1, x, bits),
      ]);
      const [fromReceiver2, fromSender2] = await Promise.all([
        plaintextTimesSharedReceive(p0, x, bits),
        plaintextTimesSharedSend(p1, y, bits),
      ]);
      const products = entries.map(([a, b]) => mod64(a * b));
      expect([...fromSender].map((v, i) => mod64(v + fromReceiver[i]!))).toEqual(products);
      expect([...fromSender2].map((v, i) => mod64(v + fromReceiver2[i]!))).toEqual(products);
    });
  });

  it('costs one OT per entry for 0/1 features', async () => {
    const x = BigUint64Array.of(0n, 1n, 1n);
    const y = BigUint64Array.of(5n, 2n ** 63n + 7n, 11n);
    const before = p1.receiver.count;
    const [s, r] = await Promise.all([
      plaintextTimesSharedSend(p0, y, 1),
      plaintextTimesSharedReceive(p1, x, 1),
    ]);
    expect(p1.receiver.count - before).toBe(3);
    expect([...s].map((v, i) => mod64(v + r[i]!))).toEqual([0n, 2n ** 63n + 7n, 11n]);
  });

  it('refuses bad arguments, naming the parameter', async () => {
    await expect(OtPair.setup(memoryChannelPair()[0], 2 as 0)).rejects.toMatchObject(invalid('role'));
    await expect(beaverTriples(p0, -1)).rejects.toMatchObject(invalid('n'));
    await expect(bitTriples(p0, 0.5)).rejects.toMatchObject(invalid('n'));
    await expect(plaintextTimesSharedReceive(p0, BigUint64Array.of(1n, 4n), 2)).rejects.toMatchObject(
      invalid('x[1]'),
    );
    await expect(
      plaintextTimesSharedReceive(p0, BigUint64Array.of(2n ** 40n - 1n, 2n ** 40n), 40),
    ).rejects.toMatchObject(invalid('x[1]'));
    await expect(plaintextTimesSharedReceive(p0, BigUint64Array.of(1n), 0)).rejects.toMatchObject(
      invalid('bits'),
    );
    await expect(plaintextTimesSharedSend(p0, [1n] as unknown as BigUint64Array, 8)).rejects.toMatchObject(
      invalid('y'),
    );
  });
});
