/**
 * Regression: a channel may hand out a received payload as a Node Buffer that views part of a larger buffer (the
 * relay's client does: protobuf decodes a message's bytes as a subarray of the HTTP/2 frame). Buffer#slice is a
 * view, not a copy, so code that aligned a payload with `bytes.slice().buffer` read the words from the start of
 * the frame instead of the payload: every choice-1 output of correlated, additive and chosen-message OT was wrong.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { type Channel, memoryChannelPair } from '../channel.js';
import { wordsOf } from './checks.js';
import { OtExtensionReceiver } from './extension-receiver.js';
import { OtExtensionSender } from './extension-sender.js';

/** `ch` whose recv gives each payload as a Buffer at byte `offset` of a larger buffer full of other bytes. */
function bufferViews(ch: Channel, offset: number): Channel {
  return {
    peer: ch.peer,
    send: (tag, payload) => ch.send(tag, payload),
    recv: async (tag) => {
      const payload = await ch.recv(tag);
      const frame = Buffer.alloc(offset + payload.length + 64, 0xa5);
      frame.set(payload, offset);
      return frame.subarray(offset, offset + payload.length);
    },
    close: (reason) => ch.close(reason),
    stats: () => ch.stats(),
  };
}

describe('OT extension over a channel that hands out Buffer views', () => {
  it('wordsOf reads the bytes of an unaligned Buffer view, not those at the start of its ArrayBuffer', () => {
    const frame = Buffer.alloc(64, 0xff);
    frame.set([1, 0, 0, 0, 2, 0, 0, 0], 15);
    expect(Array.from(wordsOf(frame.subarray(15, 23)))).toEqual([1, 2]);
  });

  it.each([1, 4, 15])('gives every mode the output of each choice, payloads at offset %i', async (offset) => {
    const [a0, b0] = memoryChannelPair({ peers: ['receiver', 'sender'] });
    const [a, b] = [bufferViews(a0, offset), bufferViews(b0, offset)];
    const [s, r] = await Promise.all([
      OtExtensionSender.setup(a, { rng: seededRng(7) }),
      OtExtensionReceiver.setup(b, { rng: seededRng(8) }),
    ]);
    const n = 200;
    const rng = seededRng(offset);
    const choices = Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);

    const delta = new Uint8Array(16);
    rng.fillBytes(delta);
    const [x0, xc] = await Promise.all([s.sendCorrelated(n, delta), r.receiveCorrelated(choices)]);
    expect(Buffer.from(xc).equals(x0.map((v, k) => v ^ (choices[k >>> 4] ? delta[k & 15]! : 0)))).toBe(true);

    const deltas = new BigUint64Array(n);
    rng.fillBytes(new Uint8Array(deltas.buffer));
    const [sv, rv] = await Promise.all([s.sendAdditive(deltas), r.receiveAdditive(choices)]);
    expect(Array.from(rv)).toEqual(
      Array.from(sv, (v, i) => BigInt.asUintN(64, v + (choices[i] ? deltas[i]! : 0n))),
    );

    const length = 5;
    const m0 = new Uint8Array(n * length);
    const m1 = new Uint8Array(n * length);
    rng.fillBytes(m0);
    rng.fillBytes(m1);
    const [, got] = await Promise.all([s.send(m0, m1, length), r.receive(choices, length)]);
    const want = new Uint8Array(n * length);
    for (let i = 0; i < n; i++)
      want.set((choices[i] ? m1 : m0).subarray(i * length, (i + 1) * length), i * length);
    expect(Buffer.from(got).equals(want)).toBe(true);
  });
});
