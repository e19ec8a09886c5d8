import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clearCofactorU, encodeToCurveU, hashToField, mapToCurveElligator2 } from './hash-to-curve.js';

interface Xy {
  readonly x: string;
  readonly y: string;
}
interface Vectors {
  readonly ro: {
    readonly dst: string;
    readonly vectors: readonly { msg: string; P: Xy; u: string[]; Q0: Xy; Q1: Xy }[];
  };
  readonly nu: {
    readonly dst: string;
    readonly vectors: readonly { msg: string; P: Xy; u: string[]; Q: Xy }[];
  };
}

const vectors = JSON.parse(
  readFileSync(new URL('./__vectors__/rfc9380-curve25519.json', import.meta.url), 'utf8'),
) as Vectors;
const hex = (x: bigint) => x.toString(16).padStart(64, '0');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('RFC 9380 curve25519_XMD:SHA-512_ELL2_RO_ (Appendix J.4.1)', () => {
  const dst = utf8(vectors.ro.dst);
  it.each(vectors.ro.vectors.map((v) => [v.msg.slice(0, 16), v] as const))(
    'matches hash_to_field (u0, u1) and map_to_curve (Q0, Q1) for msg %s',
    (_, v) => {
      const [u0, u1] = hashToField(utf8(v.msg), dst, 2) as [bigint, bigint];
      expect([hex(u0), hex(u1)]).toEqual(v.u);
      const q0 = mapToCurveElligator2(u0);
      const q1 = mapToCurveElligator2(u1);
      expect({ x: hex(q0.u), y: hex(q0.v) }).toEqual(v.Q0);
      expect({ x: hex(q1.u), y: hex(q1.v) }).toEqual(v.Q1);
    },
  );
});

describe('RFC 9380 curve25519_XMD:SHA-512_ELL2_NU_ (Appendix J.4.2)', () => {
  const dst = utf8(vectors.nu.dst);
  it.each(vectors.nu.vectors.map((v) => [v.msg.slice(0, 16), v] as const))(
    'matches u, Q and P for msg %s',
    (_, v) => {
      const [u0] = hashToField(utf8(v.msg), dst, 1) as [bigint];
      expect([hex(u0)]).toEqual(v.u);
      const q = mapToCurveElligator2(u0);
      expect({ x: hex(q.u), y: hex(q.v) }).toEqual(v.Q);
      expect(hex(clearCofactorU(q.u))).toBe(v.P.x);
      expect(hex(encodeToCurveU([utf8(v.msg)], dst)[0] as bigint)).toBe(v.Q.x);
    },
  );
});

describe('encodeToCurveU', () => {
  it('gives the u-coordinate of the full map, batch or not', () => {
    const dst = utf8('VEIL-TEST');
    const messages = Array.from({ length: 50 }, (_, i) => utf8(`id-${i}`));
    const batch = encodeToCurveU(messages, dst);
    messages.forEach((m, i) => {
      const [t] = hashToField(m, dst, 1) as [bigint];
      expect(batch[i]).toBe(mapToCurveElligator2(t).u);
    });
  });
});
