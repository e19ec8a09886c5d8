/** A peer that deviates (wrong counts, invalid points, wrong tags, bad hello) meets a ProtocolError. */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.js';
import { type Channel, memoryChannelPair } from '../channel.js';
import { A, legendre, P, toLittleEndian } from './field25519.js';
import { psi } from './psi.js';
import { encodeHello, PSI_SUITE, PSI_VERSION, type PsiHello } from './wire.js';
import { hashAndMultiply, importScalar, multiplyPoints } from './x25519.js';

const peerKey = importScalar(new Uint8Array(32).fill(9));
const hello = (size: number, change: Partial<PsiHello> = {}): PsiHello => ({
  protocol: 'veil.psi',
  version: PSI_VERSION,
  suite: PSI_SUITE,
  role: 'right',
  mode: 'intersection',
  normalise: 'exact',
  size,
  chunk: 65536,
  ...change,
});

/** Runs an honest left party against a scripted right party; returns the left party's error. */
async function against(script: (ch: Channel) => Promise<void>): Promise<unknown> {
  const [a, b] = memoryChannelPair({ peers: ['right', 'left'], timeoutMs: 5000 });
  const honest = psi(a, {
    role: 'left',
    ids: ['a', 'b', 'c'],
    mode: 'intersection',
    normalise: 'exact',
    threads: 1,
  });
  await script(b).catch(() => undefined);
  return honest.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A u-coordinate on the twist of curve25519 (u^3 + A u^2 + u not a square). */
function twistPoint(): Uint8Array {
  for (let u = 2n; ; u++) if (legendre(u * (u * u + A * u + 1n)) === -1) return toLittleEndian(u);
}

const expectViolation = (error: unknown, message: RegExp) => {
  expect(error).toBeInstanceOf(ProtocolError);
  expect((error as ProtocolError).code).toBe('VEIL_PROTOCOL_VIOLATION');
  expect((error as ProtocolError).message).toMatch(message);
};

describe('psi against a deviating peer', () => {
  it('refuses a chunk with fewer points than the peer announced', async () => {
    const error = await against(async (ch) => {
      ch.send('psi.hello', encodeHello(hello(3)));
      ch.send('psi.single', hashAndMultiply(['a', 'z'], peerKey));
    });
    expectViolation(error, /sent 64 bytes as psi\.single chunk 0, where its announced size fixes 3 points/);
  });

  it('refuses doubles of the wrong count', async () => {
    const error = await against(async (ch) => {
      ch.send('psi.hello', encodeHello(hello(1)));
      ch.send('psi.single', hashAndMultiply(['a'], peerKey));
      await ch.recv('psi.hello');
      const singles = await ch.recv('psi.single');
      ch.send('psi.double', (multiplyPoints(singles, peerKey) as Uint8Array).subarray(0, 64));
    });
    expectViolation(error, /sent 64 bytes as psi\.double chunk 0, where its announced size fixes 3 points/);
  });

  it.each([
    ['a point on the twist', twistPoint(), /lies on the twist/],
    ['a non-canonical u (top bit set)', new Uint8Array(32).fill(0xff), /top bit/],
    ['a u-coordinate >= p', toLittleEndian(P + 1n), /not reduced/],
    ['the point u = 0', new Uint8Array(32), /order 1 or 2/],
  ])('refuses %s among the singles', async (_, point, message) => {
    const error = await against(async (ch) => {
      ch.send('psi.hello', encodeHello(hello(2)));
      const singles = new Uint8Array(64);
      singles.set(hashAndMultiply(['a'], peerKey));
      singles.set(point, 32);
      ch.send('psi.single', singles);
    });
    expectViolation(error, message);
    expect((error as Error).message).toMatch(/point 1/);
  });

  it('refuses an invalid point among the doubles', async () => {
    const error = await against(async (ch) => {
      ch.send('psi.hello', encodeHello(hello(0)));
      await ch.recv('psi.hello');
      await ch.recv('psi.single');
      const doubles = new Uint8Array(96);
      doubles.set(twistPoint(), 64);
      doubles.set(hashAndMultiply(['p', 'q'], peerKey));
      ch.send('psi.double', doubles);
    });
    expectViolation(error, /psi\.double \(point 2\): it lies on the twist/);
  });

  it('refuses repeated singles', async () => {
    const error = await against(async (ch) => {
      const one = hashAndMultiply(['a'], peerKey);
      ch.send('psi.hello', encodeHello(hello(2)));
      ch.send('psi.single', new Uint8Array([...one, ...one]));
      await ch.recv('psi.hello');
      ch.send('psi.double', multiplyPoints(await ch.recv('psi.single'), peerKey) as Uint8Array);
    });
    expectViolation(error, /repeat a value/);
  });

  it('refuses a message with the wrong tag', async () => {
    const error = await against(async (ch) => {
      ch.send('psi.hello', encodeHello(hello(1)));
      ch.send('psi.double', hashAndMultiply(['a'], peerKey));
    });
    expectViolation(error, /sent a psi\.double message where psi\.single was expected/);
  });

  it.each([
    ['a hello that is not JSON', new TextEncoder().encode('{not json'), /not UTF-8 JSON/],
    [
      'a hello of another protocol',
      encodeHello({ ...hello(1), protocol: 'x' as 'veil.psi' }),
      /malformed psi\.hello/,
    ],
    ['a hello with a negative size', encodeHello(hello(-1)), /malformed psi\.hello \(size/],
    [
      'a hello of another version',
      encodeHello(hello(1, { version: 2 })),
      /disagree on version: right \(right\) said 2/,
    ],
    ['a hello of another suite', encodeHello(hello(1, { suite: 'P256' })), /disagree on suite/],
  ])('refuses %s', async (_, bytes, message) => {
    const error = await against(async (ch) => {
      ch.send('psi.hello', bytes);
    });
    expectViolation(error, message);
  });
});
