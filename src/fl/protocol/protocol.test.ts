import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { SubmitUpdateRequestSchema } from '../../transport/index.js';
import { decodeDelta, encodeDelta, newDeltaEncoderState } from './delta.js';
import { bytesToFloat32, decodeParameters, encodeParameters, float32ToBytes } from './parameters.js';
import { fromUpdateMessage, toUpdateMessage } from './update.js';

describe('model parameters on the wire', () => {
  it('decode a Node Buffer that is a view into a larger (pooled) buffer', () => {
    // gRPC hands bytes fields over as Buffers into a shared pool; Buffer#slice is a view, not a copy
    const v = Float32Array.from([1.5, -2, 3.25, 7]);
    const pooled = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(float32ToBytes(v)), Buffer.from([1])]);
    const view = pooled.subarray(3, 3 + 16);
    expect([...bytesToFloat32(view)]).toEqual([...v]);
  });

  it('round-trip with their hash, and refuse a wrong length, a flipped bit and non-finite values', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ noNaN: true, noDefaultInfinity: true, minLength: 1, maxLength: 64 }),
        (arr) => {
          const v = Float32Array.from(arr);
          const back = decodeParameters(encodeParameters(v), v.length, 'test');
          expect(back).toEqual(v);
        },
      ),
    );
    const msg = encodeParameters(Float32Array.from([1, 2, 3]));
    expect(() => decodeParameters(msg, 4, 'round 1 model')).toThrow(
      /round 1 model: 3 parameters .* expected 4/,
    );
    const flipped = { ...msg, float32Le: Uint8Array.from(msg.float32Le) };
    flipped.float32Le[0]! ^= 1;
    expect(() => decodeParameters(flipped, 3, 'm')).toThrow(/do not match their SHA-256/);
    expect(() => decodeParameters(encodeParameters(Float32Array.from([1, Number.NaN])), 2, 'm')).toThrow(
      /parameter 1 is not finite/,
    );
    expect(() => decodeParameters(undefined, 2, 'm')).toThrow(/missing/);
  });
});

describe('updates on the wire', () => {
  it('refuse sizes that do not match the model before allocating', () => {
    const dense = toUpdateMessage({ kind: 'dense', delta: new Float32Array(4) });
    expect(() => fromUpdateMessage(dense, 5)).toThrow(/update has 4 parameters, the model has 5/);
    const sparse = toUpdateMessage({
      kind: 'sparse',
      indices: Uint32Array.from([3, 1]),
      values: Float32Array.from([1, 2]),
      length: 5,
    });
    expect(() => fromUpdateMessage(sparse, 5)).toThrow(/out of range or out of order/);
    const q = toUpdateMessage({
      kind: 'quantized',
      bits: 8,
      lower: 0,
      upper: 1,
      levels: new Uint8Array(3),
      length: 5,
    });
    expect(() => fromUpdateMessage(q, 5)).toThrow(/3 bytes of levels, expected 5/);
  });

  it('a 1M-parameter update quantised to 8 bits is under 1.5 MB on the wire, and decodes unbiased', () => {
    const n = 1_000_000;
    const rng = seededRng(1);
    const delta = new Float32Array(n);
    rng.fillNormal(delta);
    const encoded = encodeDelta(
      delta,
      {
        $typeName: 'veil.v1.Compression',
        kind: { case: 'quantization', value: { $typeName: 'veil.v1.Quantization', bits: 8 } },
      },
      newDeltaEncoderState(),
      rng,
    );
    const request = create(SubmitUpdateRequestSchema, {
      round: 1,
      update: toUpdateMessage(encoded),
      numExamples: 1000n,
      trainLoss: 0.5,
    });
    const bytes = toBinary(SubmitUpdateRequestSchema, request).length;
    expect(bytes).toBeLessThan(1.5e6);
    expect(bytes).toBeGreaterThan(n);
    const back = decodeDelta(request.update, n);
    let err = 0;
    for (let i = 0; i < n; i++) err += back[i]! - delta[i]!;
    // the mean error of an unbiased rounding shrinks as 1/sqrt(n): far below one quantisation step
    const step = (delta.reduce((a, b) => Math.max(a, b)) - delta.reduce((a, b) => Math.min(a, b))) / 255;
    expect(Math.abs(err / n)).toBeLessThan(step / 100);
  });
});
