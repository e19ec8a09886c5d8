import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { type Channel, memoryChannelPair } from '../channel.js';
import { OtExtensionReceiver } from './extension-receiver.js';
import { OtExtensionSender } from './extension-sender.js';
import { CHUNK_OTS } from './iknp.js';

const protocolError = { code: 'VEIL_PROTOCOL_VIOLATION' };
const invalid = (param: string) => ({
  code: 'VEIL_INVALID_PARAMETER',
  details: expect.objectContaining({ param }),
});

interface Session {
  readonly a: Channel;
  readonly b: Channel;
  readonly s: OtExtensionSender;
  readonly r: OtExtensionReceiver;
}

async function session(seed = 1): Promise<Session> {
  const [a, b] = memoryChannelPair({ peers: ['receiver', 'sender'] });
  const [s, r] = await Promise.all([
    OtExtensionSender.setup(a, { rng: seededRng(seed) }),
    OtExtensionReceiver.setup(b, { rng: seededRng(seed + 1) }),
  ]);
  return { a, b, s, r };
}

function randomChoices(n: number, seed: number): Uint8Array {
  const rng = seededRng(seed);
  return Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);
}

function randomWords(n: number, seed: number): BigUint64Array {
  const out = new BigUint64Array(n);
  seededRng(seed).fillBytes(new Uint8Array(out.buffer));
  return out;
}

/** One comparison for a large array (toEqual walks elements one by one). */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual).equals(expected), 'bytes differ').toBe(true);
}

async function checkAllModes({ s, r }: Session, choices: Uint8Array, seed: number): Promise<void> {
  const n = choices.length;
  const [{ m0, m1 }, mc] = await Promise.all([s.random(n), r.random(choices)]);
  const chosen = m0.slice();
  for (let i = 0; i < n; i++) if (choices[i]) chosen.set(m1.subarray(16 * i, 16 * i + 16), 16 * i);
  expectBytes(mc, chosen);

  const delta = new Uint8Array(16);
  seededRng(seed).fillBytes(delta);
  const [x0, xc] = await Promise.all([s.sendCorrelated(n, delta), r.receiveCorrelated(choices)]);
  const expected = x0.map((v, k) => v ^ (choices[k >>> 4] ? delta[k & 15]! : 0));
  expectBytes(xc, expected);

  const deltas = randomWords(n, seed);
  const [sv, rv] = await Promise.all([s.sendAdditive(deltas), r.receiveAdditive(choices)]);
  const sums = sv.map((v, i) => BigInt.asUintN(64, v + (choices[i] ? deltas[i]! : 0n)));
  expectBytes(new Uint8Array(rv.buffer), new Uint8Array(sums.buffer));

  const length = 1 + (seed % 40);
  const messages = [new Uint8Array(n * length), new Uint8Array(n * length)] as const;
  seededRng(seed).fillBytes(messages[0]);
  seededRng(seed + 1).fillBytes(messages[1]);
  const [, got] = await Promise.all([s.send(messages[0], messages[1], length), r.receive(choices, length)]);
  const want = new Uint8Array(n * length);
  for (let i = 0; i < n; i++)
    want.set(messages[choices[i]!]!.subarray(i * length, (i + 1) * length), i * length);
  expectBytes(got, want);
}

describe('IKNP OT extension', () => {
  let shared: Session;
  beforeAll(async () => {
    shared = await session();
  });

  describe('properties', () => {
    test.prop([fc.uint8Array({ minLength: 0, maxLength: 300, max: 1 }), fc.nat(1000)], { numRuns: 25 })(
      'every mode gives the receiver the output of its choice, on one session extended many times',
      async (choices, seed) => {
        await checkAllModes(shared, choices, seed);
      },
    );
  });

  it('is correct for 100,000 OTs in every mode', async () => {
    await checkAllModes(shared, randomChoices(100_000, 5), 5);
  });

  it('splits a call of more than 2^20 OTs into chunks, one message each', async () => {
    const { a, b, s, r } = await session(19);
    const n = CHUNK_OTS + 40;
    const choices = randomChoices(n, 19);
    const delta = Uint8Array.from({ length: 16 }, (_, k) => k + 1);
    const [x0, xc] = await Promise.all([s.sendCorrelated(n, delta), r.receiveCorrelated(choices)]);
    expectBytes(
      xc,
      x0.map((v, k) => v ^ (choices[k >>> 4] ? delta[k & 15]! : 0)),
    );
    // one base-OT message each, then two chunks: two U messages and two correction messages
    expect([a.stats().messagesSent, b.stats().messagesSent]).toEqual([3, 3]);
  });

  it('is correct on fresh sessions with the default CSPRNG', async () => {
    for (let k = 0; k < 4; k++) {
      const [a, b] = memoryChannelPair();
      const [s, r] = await Promise.all([OtExtensionSender.setup(a), OtExtensionReceiver.setup(b)]);
      const choices = randomChoices(500, k);
      const [{ m0, m1 }, mc] = await Promise.all([s.random(500), r.random(choices)]);
      const chosen = m0.slice();
      for (let i = 0; i < 500; i++) if (choices[i]) chosen.set(m1.subarray(16 * i, 16 * i + 16), 16 * i);
      expectBytes(mc, chosen);
    }
  });

  it('gives each extension fresh outputs and advances the global index on both sides', async () => {
    const { s, r } = await session(7);
    const choices = randomChoices(64, 1);
    const [first] = await Promise.all([s.random(64), r.random(choices)]);
    const [second] = await Promise.all([s.random(64), r.random(choices)]);
    expect(second.m0).not.toEqual(first.m0);
    expect([s.count, r.count]).toEqual([128, 128]);
  });

  it('sends 16 bytes per OT for U and 16 per correlated-OT correction, nothing for n = 0', async () => {
    const { a, b, s, r } = await session(9);
    const before = [a.stats(), b.stats()];
    await Promise.all([s.sendCorrelated(0, new Uint8Array(16)), r.receiveCorrelated(new Uint8Array(0))]);
    expect([a.stats(), b.stats()]).toEqual(before);
    await Promise.all([
      s.sendCorrelated(1024, new Uint8Array(16)),
      r.receiveCorrelated(new Uint8Array(1024)),
    ]);
    expect(b.stats().bytesSent - before[1]!.bytesSent).toBe(1024 * 16 + 'ot.ext.u'.length + 4);
    expect(a.stats().bytesSent - before[0]!.bytesSent).toBe(1024 * 16 + 'ot.ext.y'.length + 4);
  });

  it('lets a party run its sender between the two steps of an additive receive, once', async () => {
    const [x, y] = memoryChannelPair();
    const [s0, r1] = await Promise.all([
      OtExtensionSender.setup(x, { tag: 't01' }),
      OtExtensionReceiver.setup(y, { tag: 't01' }),
    ]);
    const [r0, s1] = await Promise.all([
      OtExtensionReceiver.setup(x, { tag: 't10' }),
      OtExtensionSender.setup(y, { tag: 't10' }),
    ]);
    const deltas = BigUint64Array.of(5n, 7n);
    const party = async (r: OtExtensionReceiver, s: OtExtensionSender, choices: Uint8Array) => {
      const finish = r.startAdditive(choices);
      const sent = await s.sendAdditive(deltas);
      const received = await finish();
      await expect(finish()).rejects.toMatchObject(invalid('finish'));
      return { sent, received };
    };
    const [p0, p1] = await Promise.all([
      party(r0, s0, Uint8Array.of(1, 0)),
      party(r1, s1, Uint8Array.of(0, 1)),
    ]);
    expect(p1.received.map((v, i) => v - p0.sent[i]!)).toEqual(BigUint64Array.of(0n, 7n));
    expect(p0.received.map((v, i) => v - p1.sent[i]!)).toEqual(BigUint64Array.of(5n, 0n));
  });

  it('refuses bad arguments, naming the parameter', async () => {
    const { s, r } = await session(11);
    await expect(r.random(Uint8Array.of(0, 1, 1, 3))).rejects.toMatchObject(invalid('choices[3]'));
    await expect(r.receiveCorrelated([0, 1] as unknown as Uint8Array)).rejects.toMatchObject(
      invalid('choices'),
    );
    expect(() => r.startAdditive(Uint8Array.of(2))).toThrow(expect.objectContaining(invalid('choices[0]')));
    await expect(r.receive(Uint8Array.of(1), 0)).rejects.toMatchObject(invalid('length'));
    await expect(s.random(-1)).rejects.toMatchObject(invalid('n'));
    await expect(s.sendCorrelated(1.5, new Uint8Array(16))).rejects.toMatchObject(invalid('n'));
    await expect(s.sendCorrelated(4, new Uint8Array(15))).rejects.toMatchObject(invalid('delta'));
    await expect(s.sendAdditive(new Uint32Array(2) as unknown as BigUint64Array)).rejects.toMatchObject(
      invalid('deltas'),
    );
    await expect(s.send(new Uint8Array(8), new Uint8Array(4), 4)).rejects.toMatchObject(invalid('m1'));
    await expect(s.send(new Uint8Array(7), new Uint8Array(7), 4)).rejects.toMatchObject(invalid('m0'));
    await expect(OtExtensionSender.setup(memoryChannelPair()[0], { tag: '' })).rejects.toMatchObject(
      invalid('options.tag'),
    );
    // nothing was sent: the session still works
    const choices = randomChoices(10, 3);
    const [{ m0, m1 }, mc] = await Promise.all([s.random(10), r.random(choices)]);
    expect(mc.subarray(0, 16)).toEqual((choices[0] ? m1 : m0).subarray(0, 16));
  });
});

describe('an OT-extension peer that deviates', () => {
  it('is a ProtocolError for the sender when U has a wrong tag, and the session then refuses use', async () => {
    const { b, s } = await session(13);
    b.send('ot.ext.y', new Uint8Array(16 * 32));
    await expect(s.random(32)).rejects.toMatchObject(protocolError);
    await expect(s.random(32)).rejects.toMatchObject({
      ...protocolError,
      message: expect.stringMatching(/aborted/),
    });
  });

  it('is a ProtocolError for the sender when U has a wrong length', async () => {
    const { b, s } = await session(15);
    b.send('ot.ext.u', new Uint8Array(16 * 32 - 1));
    await expect(s.sendCorrelated(32, new Uint8Array(16))).rejects.toMatchObject(protocolError);
  });

  it('is a ProtocolError for the receiver when the corrections have a wrong length or tag', async () => {
    for (const [tag, bytes] of [
      ['ot.ext.y', new Uint8Array(8 * 40 + 8)],
      ['ot.ext.u', new Uint8Array(8 * 40)],
    ] as const) {
      const { a, r } = await session(17);
      const receiving = r.receiveAdditive(new Uint8Array(40));
      await a.recv('ot.ext.u');
      a.send(tag, bytes);
      await expect(receiving).rejects.toMatchObject(protocolError);
      await expect(r.random(new Uint8Array(1))).rejects.toMatchObject(protocolError);
    }
  });
});
