import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { referenceMatmul, referenceMul } from './reference.js';
import { ringAdd } from './ring.js';
import { dealerTriples } from './triples.js';

const xor = (x: BigUint64Array, y: BigUint64Array) => BigUint64Array.from(x, (v, i) => v ^ y[i]!);
const and = (x: BigUint64Array, y: BigUint64Array) => BigUint64Array.from(x, (v, i) => v & y[i]!);

describe('dealerTriples', () => {
  it('gives each party shares of correct elementwise, matrix and AND triples, marked as from a dealer', async () => {
    const [t0, t1] = dealerTriples({ rng: seededRng(3) });
    expect([t0.kind, t1.kind, t0.role, t1.role]).toEqual(['dealer', 'dealer', 0, 1]);
    const e0 = await t0.elementwise(5);
    const e1 = await t1.elementwise(5);
    expect(ringAdd(e0.c, e1.c)).toEqual(referenceMul(ringAdd(e0.a, e1.a), ringAdd(e0.b, e1.b)));
    const m1 = await t1.matrix!(2, 3, 4); // either party may ask first
    const m0 = await t0.matrix!(2, 3, 4);
    expect(ringAdd(m0.c, m1.c)).toEqual(referenceMatmul(ringAdd(m0.a, m1.a), ringAdd(m0.b, m1.b), 2, 3, 4));
    const b0 = await t0.bits!(4);
    const b1 = await t1.bits!(4);
    expect(xor(b0.c, b1.c)).toEqual(and(xor(b0.a, b1.a), xor(b0.b, b1.b)));
  });

  it('never hands out the same triple twice', async () => {
    const [t0] = dealerTriples({ rng: seededRng(4) });
    const first = await t0.elementwise(8);
    const second = await t0.elementwise(8);
    expect(second.a).not.toEqual(first.a);
    expect(second.a).not.toBe(first.a);
  });

  it('refuses parties that ask for different triples at the same step', async () => {
    const [t0, t1] = dealerTriples({ rng: seededRng(5) });
    await t0.elementwise(3);
    await expect(t1.elementwise(4)).rejects.toThrow(
      expect.objectContaining({
        code: 'VEIL_PROTOCOL_VIOLATION',
        message: expect.stringMatching(/elementwise\(3\)/),
      }),
    );
  });

  it('refuses a bad size', async () => {
    const [t0] = dealerTriples({ rng: seededRng(6) });
    await expect(t0.elementwise(-1)).rejects.toThrow(/TripleSource.elementwise: n must be an integer/);
    await expect(t0.matrix!(1, 1.5, 1)).rejects.toThrow(/inner must be/);
  });
});
