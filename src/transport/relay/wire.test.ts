import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { ReceiveMessagesResponseSchema, SendMessagesRequestSchema } from '../gen/veil/v1/relay_pb.js';
import { batchWireBytes, stringWireBytes, varintWireBytes } from './wire.js';

const rng = seededRng(20261207);
/** `n` bytes from a seeded generator (tests use no OS randomness). */
function seededBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  rng.fillBytes(out);
  return out;
}

describe('wire sizes of batches', () => {
  it('equal the protobuf encoding (oracle: toBinary)', () => {
    const sizes = [0, 1, 127, 128, 16_383, 16_384, 300_000, 1 << 20];
    const messages = sizes.map((n, i) => ({ tag: i % 2 ? 'ot.ext.é' : '', payload: seededBytes(n) }));
    const session = Buffer.from(seededBytes(16)).toString('hex');
    for (const seq of [0, 1, 127, 128, 2 ** 21, 2 ** 35 + 3]) {
      const request = create(SendMessagesRequestSchema, { session, seq: BigInt(seq), messages });
      expect(batchWireBytes(messages, stringWireBytes(session) + varintWireBytes(seq))).toBe(
        toBinary(SendMessagesRequestSchema, request).length,
      );
    }
    for (const [closed, reason] of [
      [false, ''],
      [true, 'garbler done'],
    ] as const) {
      const reply = create(ReceiveMessagesResponseSchema, { messages, closed, reason });
      expect(batchWireBytes(messages, (closed ? 2 : 0) + stringWireBytes(reason))).toBe(
        toBinary(ReceiveMessagesResponseSchema, reply).length,
      );
    }
  });
});
