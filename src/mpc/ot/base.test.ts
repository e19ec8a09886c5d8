import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { memoryChannelPair } from '../channel.js';
import { baseOtReceive, baseOtSend, randomBaseOtReceive, randomBaseOtSend } from './base.js';
import { encodeElement, MODP14_PRIME } from './group.js';

const protocolError = { code: 'VEIL_PROTOCOL_VIOLATION' };
const invalid = (param: string) => ({
  code: 'VEIL_INVALID_PARAMETER',
  details: expect.objectContaining({ param }),
});

describe('random base OT (Chou–Orlandi)', () => {
  it('gives the receiver the key of its choice in each of 128 OTs, and two distinct keys to the sender', async () => {
    const rng = seededRng(1);
    const choices = Uint8Array.from({ length: 128 }, () => rng.nextUint32() & 1);
    const [s, r] = memoryChannelPair();
    const [{ keys0, keys1 }, keys] = await Promise.all([
      randomBaseOtSend(s, 128, { rng: seededRng(2) }),
      randomBaseOtReceive(r, choices, { rng: seededRng(3) }),
    ]);
    keys.forEach((key, i) => {
      expect(key).toHaveLength(32);
      expect(key).toEqual(choices[i] ? keys1[i] : keys0[i]);
      expect(keys0[i]).not.toEqual(keys1[i]);
    });
    expect(s.stats().messagesSent + r.stats().messagesSent).toBe(2);
  });

  it('is correct in 1,024 OTs over 8 sessions (elements with a leading zero byte, 1 in 256, included)', async () => {
    for (let session = 0; session < 8; session++) {
      const choices = Uint8Array.from({ length: 128 }, (_, i) => (i * 7 + session) & 1);
      const [s, r] = memoryChannelPair();
      const [{ keys0, keys1 }, keys] = await Promise.all([
        randomBaseOtSend(s, 128, { rng: seededRng(100 + session) }),
        randomBaseOtReceive(r, choices, { rng: seededRng(200 + session) }),
      ]);
      expect(keys).toEqual(keys.map((_, i) => (choices[i] ? keys1[i] : keys0[i])));
    }
  });

  describe('properties', () => {
    test.prop([fc.uint8Array({ minLength: 1, maxLength: 6, max: 1 }), fc.nat()], { numRuns: 8 })(
      'the receiver gets keys_{c_i}[i]',
      async (choices, seed) => {
        const [s, r] = memoryChannelPair();
        const [{ keys0, keys1 }, keys] = await Promise.all([
          randomBaseOtSend(s, choices.length, { rng: seededRng(seed) }),
          randomBaseOtReceive(r, choices, { rng: seededRng(seed + 1) }),
        ]);
        expect(keys).toEqual(keys.map((_, i) => (choices[i] ? keys1[i] : keys0[i])));
      },
    );
  });

  it('refuses a bad count, choices that are not 0/1 and an empty tag', async () => {
    const [s, r] = memoryChannelPair();
    await expect(randomBaseOtSend(s, 0)).rejects.toMatchObject(invalid('count'));
    await expect(randomBaseOtSend(s, 4097)).rejects.toMatchObject(invalid('count'));
    await expect(randomBaseOtReceive(r, Uint8Array.of(0, 2))).rejects.toMatchObject(invalid('choices[1]'));
    await expect(randomBaseOtReceive(r, new Uint8Array(0))).rejects.toMatchObject(invalid('choices.length'));
    await expect(randomBaseOtSend(s, 1, { tag: '' })).rejects.toMatchObject(invalid('options.tag'));
  });
});

describe('a base-OT peer that deviates', () => {
  const outOfRange = [0n, 1n, MODP14_PRIME - 1n, MODP14_PRIME, 2n ** 2048n - 1n];

  it('is a ProtocolError for the receiver when A has a wrong tag or length', async () => {
    for (const [tag, bytes] of [
      ['ot.base.B', encodeElement(4n)],
      ['ot.base.A', encodeElement(4n).subarray(1)],
      ['ot.base.A', new Uint8Array(257)],
    ] as const) {
      const [s, r] = memoryChannelPair();
      s.send(tag, bytes);
      await expect(randomBaseOtReceive(r, Uint8Array.of(1))).rejects.toMatchObject(protocolError);
    }
  });

  it.each(outOfRange)('is a ProtocolError for the receiver when A = %s is out of range', async (x) => {
    const [s, r] = memoryChannelPair();
    s.send('ot.base.A', encodeElement(x));
    await expect(randomBaseOtReceive(r, Uint8Array.of(1))).rejects.toMatchObject(protocolError);
  });

  it('is a ProtocolError for the sender when B has a wrong tag or length, or an element out of range', async () => {
    const good = encodeElement(4n);
    const cases: [string, Uint8Array][] = [
      ['ot.base.C', new Uint8Array(512)],
      ['ot.base.B', new Uint8Array(511)],
      ...outOfRange.map((x): [string, Uint8Array] => ['ot.base.B', Buffer.concat([good, encodeElement(x)])]),
    ];
    for (const [tag, bytes] of cases) {
      const [s, r] = memoryChannelPair();
      const sending = randomBaseOtSend(s, 2);
      await r.recv('ot.base.A');
      r.send(tag, bytes);
      await expect(sending).rejects.toMatchObject(protocolError);
    }
  });

  it('is a ProtocolError for the chosen-message receiver when the ciphertexts have a wrong length', async () => {
    const [s, r] = memoryChannelPair();
    const receiving = baseOtReceive(r, Uint8Array.of(0, 1), 4);
    const keys = randomBaseOtSend(s, 2);
    await keys;
    s.send('ot.base.C', new Uint8Array(15));
    await expect(receiving).rejects.toMatchObject(protocolError);
  });
});

describe('chosen-message base OT', () => {
  it('delivers m_{c_i}[i] of any length', async () => {
    const m0 = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6), Uint8Array.of(7, 8, 9)];
    const m1 = [Uint8Array.of(9, 9, 9), Uint8Array.of(8, 8, 8), Uint8Array.of(7, 7, 7)];
    const [s, r] = memoryChannelPair();
    const [, got] = await Promise.all([
      baseOtSend(s, m0, m1, { tag: 'x' }),
      baseOtReceive(r, Uint8Array.of(1, 0, 1), 3, { tag: 'x' }),
    ]);
    expect(got).toEqual([m1[0], m0[1], m1[2]]);
  });

  it('refuses messages of unequal counts or lengths', async () => {
    const [s, r] = memoryChannelPair();
    const one = [Uint8Array.of(1)];
    await expect(baseOtSend(s, one, [])).rejects.toMatchObject(invalid('m1'));
    await expect(baseOtSend(s, one, [Uint8Array.of(1, 2)])).rejects.toMatchObject(invalid('m1[0]'));
    await expect(baseOtSend(s, [], [])).rejects.toMatchObject(invalid('m0'));
    await expect(baseOtReceive(r, Uint8Array.of(1), -1)).rejects.toMatchObject(invalid('length'));
  });
});
