import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { UpdateSchema } from '../../transport/index.js';
import { expectInvalidParameter } from '../validation/_testing.js';
import { type EncodedUpdate, encodedBytes } from './encoded-bytes.js';
import { quantize } from './quantize.js';
import { TopKCompressor } from './top-k.js';

/** The real protobuf encoding, as the oracle. */
function protobufBytes(u: EncodedUpdate): number {
  const bytes = (a: Float32Array | Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const encoding =
    u.kind === 'dense'
      ? { case: 'dense' as const, value: { float32Le: bytes(u.delta) } }
      : u.kind === 'quantized'
        ? {
            case: 'quantized' as const,
            value: { bits: u.bits, lower: u.lower, upper: u.upper, levels: u.levels },
          }
        : { case: 'sparse' as const, value: { indicesLe: bytes(u.indices), valuesF32Le: bytes(u.values) } };
  const length = u.kind === 'dense' ? u.delta.length : u.length;
  return toBinary(UpdateSchema, create(UpdateSchema, { length: BigInt(length), encoding })).length;
}

describe('encodedBytes', () => {
  const rng = seededRng(1);

  it('matches the protobuf encoding exactly for every encoding and size', () => {
    for (const n of [1, 2, 7, 100, 129, 5000, 20_000]) {
      const delta = new Float32Array(n);
      rng.fillNormal(delta, 1);
      const cases: EncodedUpdate[] = [
        { kind: 'dense', delta },
        ...([2, 4, 8] as const).map((bits) => ({
          kind: 'quantized' as const,
          ...quantize(delta, { bits }, rng),
        })),
        { kind: 'quantized', ...quantize(delta.map(Math.abs), { bits: 4 }, rng) },
        { kind: 'quantized', ...quantize(new Float32Array(n), { bits: 2 }, rng) }, // lower = upper = 0: omitted
        { kind: 'sparse', ...new TopKCompressor(n).compress(delta, 0.1) },
      ];
      for (const c of cases) expect(encodedBytes(c), `${c.kind} n=${n}`).toBe(protobufBytes(c));
    }
  });

  it('encodes a 1M-parameter update at 8 bits in about 1 MB', () => {
    const n = 1_000_000;
    const delta = new Float32Array(n);
    rng.fillNormal(delta, 0.01);
    const q = quantize(delta, { bits: 8 }, rng);
    const size = encodedBytes({ kind: 'quantized', ...q });
    expect(size).toBeGreaterThanOrEqual(n);
    expect(size).toBeLessThan(n + 40);
    expect(size).toBeLessThan(1.5e6);
    expect(encodedBytes({ kind: 'quantized', ...quantize(delta, { bits: 2 }, rng) })).toBeLessThan(
      n / 4 + 40,
    );
    expect(encodedBytes({ kind: 'dense', delta })).toBeGreaterThan(4 * n);
  });

  it('refuses an unknown kind', () => {
    expectInvalidParameter(
      () => encodedBytes({ kind: 'zip' } as unknown as EncodedUpdate),
      'encodedBytes',
      'update.kind',
    );
  });
});
