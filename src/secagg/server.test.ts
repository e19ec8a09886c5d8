/**
 * The SecAgg server against a malicious client: every advertisement and unmask message is checked before the
 * server stores anything from it, so a bad one is refused (ProtocolError), its sender is counted as dropped, and
 * the aggregation of the others completes with their exact sum — never an exception at close() or result().
 */
import { describe, expect, it } from 'vitest';
import { csprng, ProtocolError, seededRng } from '../core/index.js';
import { generateSigningKeyPair, type KeyPair, SHAMIR_PRIME, type Share, sign } from '../crypto/index.js';
import { SecAggClient } from './client.js';
import { type AdvertiseMessage, advertiseBytes, SECRET_CHUNKS, type UnmaskMessage } from './common.js';
import { COMPLETE_GRAPH, type SecAggGraph } from './graph.js';
import { SecAggServer } from './server.js';

const SESSION = 'server-test';

function setup(n: number, threshold: number, length: number, graph: SecAggGraph = COMPLETE_GRAPH) {
  const ids = Array.from({ length: n }, (_, i) => `c${String(i).padStart(3, '0')}`);
  const keys = new Map<string, KeyPair>(ids.map((id) => [id, generateSigningKeyPair()]));
  const publicKeys = new Map(ids.map((id) => [id, keys.get(id)!.publicKey]));
  const rng = csprng();
  const clients = new Map(
    ids.map((id) => [
      id,
      new SecAggClient({
        id,
        session: SESSION,
        threshold,
        signingKey: keys.get(id)!.privateKey,
        peers: publicKeys,
        rng,
        graph,
      }),
    ]),
  );
  const server = new SecAggServer({ session: SESSION, threshold, length, clients: publicKeys, graph });
  const data = seededRng(`inputs/${n}`);
  const inputs = new Map(ids.map((id) => [id, Uint32Array.from({ length }, () => data.uniformInt(2 ** 32))]));
  const sumOf = (survivors: readonly string[]) => {
    const out = new Uint32Array(length);
    for (const id of survivors)
      for (let i = 0; i < length; i++) out[i] = (out[i]! + inputs.get(id)![i]!) >>> 0;
    return out;
  };
  return { ids, keys, clients, server, inputs, sumOf };
}

/**
 * Runs every stage up to the unmask requests (the clients in `dropAtMaskedInput` share their keys, then drop);
 * returns the unmask messages of the others, not yet received.
 */
function upToUnmask(
  n: number,
  threshold: number,
  length: number,
  dropAtMaskedInput: string[] = [],
  graph: SecAggGraph = COMPLETE_GRAPH,
) {
  const s = setup(n, threshold, length, graph);
  for (const id of s.ids) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
  s.server.close();
  const roster = s.server.roster();
  for (const id of s.ids) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
  s.server.close();
  const alive = s.ids.filter((id) => !dropAtMaskedInput.includes(id));
  for (const id of alive)
    s.server.receiveMaskedInput(s.clients.get(id)!.maskedInput(s.server.sharesFor(id), s.inputs.get(id)!));
  s.server.close();
  const survivors = s.server.survivors();
  for (const id of alive) s.server.receiveConsistency(s.clients.get(id)!.consistency(survivors));
  s.server.close();
  const signatures = s.server.consistencySignatures();
  const unmasks = new Map(alive.map((id) => [id, s.clients.get(id)!.unmask(survivors, signatures)]));
  return { ...s, alive, unmasks };
}

type Tamper = (m: UnmaskMessage) => UnmaskMessage;

/** Replaces the self-mask share `c000` holds of `of` (complete graph, 5 clients: c000 holds x = 1). */
const editShare =
  (of: string, edit: (s: Share) => Share): Tamper =>
  (m) => ({
    ...m,
    selfMaskShares: m.selfMaskShares.map((s) => (s.of === of ? { of, share: edit(s.share) } : s)),
  });

describe('SecAggServer.receiveUnmask: shares are checked on receipt', () => {
  const cases: [string, Tamper, RegExp][] = [
    ['x = 0', editShare('c002', (s) => ({ x: 0, y: s.y })), /evaluation point x = 0/],
    ['x = p', editShare('c002', (s) => ({ x: SHAMIR_PRIME, y: s.y })), /evaluation point x = 2147483647/],
    ['x = 2^32 - 1', editShare('c002', (s) => ({ x: 2 ** 32 - 1, y: s.y })), /evaluation point/],
    ['a fractional x', editShare('c002', (s) => ({ x: 1.5, y: s.y })), /evaluation point x = 1.5/],
    // c001 holds x = 2 of every secret: c000 sending x = 2 duplicates another sender's point
    [
      "another holder's x (a duplicate across senders)",
      editShare('c002', (s) => ({ x: 2, y: s.y })),
      /evaluation point x = 2, .*"c000" holds x = 1/,
    ],
    [
      'y one word short',
      editShare('c002', (s) => ({ x: s.x, y: s.y.slice(0, SECRET_CHUNKS - 1) })),
      /11 words/,
    ],
    ['y one word long', editShare('c002', (s) => ({ x: s.x, y: Uint32Array.from([...s.y, 0]) })), /11 words/],
    [
      'a y word >= p',
      editShare('c002', (s) => ({
        x: s.x,
        y: Uint32Array.from(s.y, (v, i) => (i === 3 ? SHAMIR_PRIME : v)),
      })),
      /below p/,
    ],
    [
      'y not a Uint32Array',
      editShare('c002', (s) => ({ x: s.x, y: [...s.y] as unknown as Uint32Array })),
      /11 words/,
    ],
  ];

  it.each(cases)(
    'a share with %s is refused before anything is stored; the sender is dropped and the rest unmask exactly',
    (_, tamper, why) => {
      const r = upToUnmask(5, 3, 16);
      const bad = tamper(r.unmasks.get('c000')!);
      let error: unknown;
      try {
        r.server.receiveUnmask(bad);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as Error).message).toMatch(why);
      expect((error as Error).message).toMatch(/"c000"/);
      // nothing of the refused message was kept: its honest version would still be taken
      for (const id of ['c001', 'c002', 'c003', 'c004']) r.server.receiveUnmask(r.unmasks.get(id)!);
      r.server.close();
      const result = r.server.result();
      expect(result.dropped.unmask).toEqual(['c000']);
      expect(result.survivors).toEqual(r.ids); // c000's masked input is in the sum, unmasked by the others
      expect(result.sum).toEqual(r.sumOf(r.ids));
    },
  );

  it.each([
    ['x = 0', (s: Share) => ({ x: 0, y: s.y })],
    ['x of another holder', (s: Share) => ({ x: s.x + 1, y: s.y })],
    ['a short y', (s: Share) => ({ x: s.x, y: s.y.slice(2) })],
  ])('a mask-key share (of a client dropped after sharing) with %s is refused too', (_, edit) => {
    const r = upToUnmask(5, 3, 8, ['c004']);
    const honest = r.unmasks.get('c000')!;
    expect(honest.maskKeyShares.map((s) => s.of)).toEqual(['c004']);
    const bad: UnmaskMessage = {
      ...honest,
      maskKeyShares: honest.maskKeyShares.map((s) => ({ of: s.of, share: edit(s.share) })),
    };
    expect(() => r.server.receiveUnmask(bad)).toThrow(/mask-key share of "c004"/);
    for (const id of ['c001', 'c002', 'c003']) r.server.receiveUnmask(r.unmasks.get(id)!);
    r.server.close();
    const result = r.server.result();
    expect(result.dropped.unmask).toEqual(['c000']);
    expect(result.sum).toEqual(r.sumOf(r.alive));
  });

  it("SecAgg+ (a sparse graph): each holder's point is its rank in the secret owner's neighbourhood", () => {
    const r = upToUnmask(12, 3, 8, ['c005'], { kind: 'harary', degree: 4 });
    const honest = r.unmasks.get('c000')!;
    // every point c000 uses is checked against its position in each owner's neighbourhood: a shifted one is not
    for (const list of ['selfMaskShares', 'maskKeyShares'] as const) {
      for (const target of honest[list]) {
        const bad: UnmaskMessage = {
          ...honest,
          [list]: honest[list].map((s) =>
            s === target ? { of: s.of, share: { x: (s.share.x % 5) + 1, y: s.share.y } } : s,
          ),
        };
        expect(() => r.server.receiveUnmask(bad)).toThrow(/evaluation point/);
      }
    }
    for (const id of r.alive) r.server.receiveUnmask(r.unmasks.get(id)!);
    r.server.close();
    const result = r.server.result();
    expect(result.dropped.unmask).toEqual([]);
    expect(result.sum).toEqual(r.sumOf(r.alive));
  });

  it('a refused message leaves no share behind: the same sender may still send a valid one', () => {
    const r = upToUnmask(5, 3, 8);
    const bad = editShare('c002', (s) => ({ x: 0, y: s.y }))(r.unmasks.get('c000')!);
    expect(() => r.server.receiveUnmask(bad)).toThrow(ProtocolError);
    for (const id of r.ids) r.server.receiveUnmask(r.unmasks.get(id)!);
    r.server.close();
    const result = r.server.result();
    expect(result.dropped.unmask).toEqual([]);
    expect(result.sum).toEqual(r.sumOf(r.ids));
  });

  it('with just the threshold of honest unmasks left, close() and result() still succeed', () => {
    const r = upToUnmask(5, 3, 8);
    for (const id of ['c000', 'c001']) {
      const bad = editShare(id === 'c000' ? 'c003' : 'c004', (s) => ({ x: s.x, y: s.y.slice(1) }))(
        r.unmasks.get(id)!,
      );
      expect(() => r.server.receiveUnmask({ ...bad, from: id })).toThrow(ProtocolError);
    }
    for (const id of ['c002', 'c003', 'c004']) r.server.receiveUnmask(r.unmasks.get(id)!);
    r.server.close();
    expect(r.server.result().sum).toEqual(r.sumOf(r.ids));
  });

  it('documented limit: a well-formed share with a wrong y is not detectable (no throw, a wrong sum)', () => {
    // Shamir shares carry no proof: a share at the right point with values in [0, p) passes every check and
    // rebuilds a wrong secret. The server must not throw; the sum it returns is garbage.
    const r = upToUnmask(5, 5, 8);
    const bad = editShare('c002', (s) => ({
      x: s.x,
      y: Uint32Array.from(s.y, (v) => (v + 1) % SHAMIR_PRIME),
    }))(r.unmasks.get('c000')!);
    r.server.receiveUnmask(bad);
    for (const id of ['c001', 'c002', 'c003', 'c004']) r.server.receiveUnmask(r.unmasks.get(id)!);
    r.server.close();
    expect(r.server.result().sum).not.toEqual(r.sumOf(r.ids));
  });
});

describe('SecAggServer.receiveAdvertise: X25519 keys are checked', () => {
  /** c000's advertisement with a key replaced, signed again with c000's own key (a malicious c000). */
  function resigned(
    s: ReturnType<typeof setup>,
    edit: (m: AdvertiseMessage) => Omit<AdvertiseMessage, 'signature'>,
  ): AdvertiseMessage {
    const honest = s.clients.get('c000')!.advertise();
    const m = edit(honest);
    return { ...m, signature: sign(s.keys.get('c000')!.privateKey, advertiseBytes(SESSION, m)) };
  }
  const order8 = Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex');

  it.each([
    ['a small-order mask key (0)', (m: AdvertiseMessage) => ({ ...m, maskKey: new Uint8Array(32) })],
    [
      'a small-order mask key (order 8)',
      (m: AdvertiseMessage) => ({ ...m, maskKey: new Uint8Array(order8) }),
    ],
    [
      'a small-order encryption key (p - 1)',
      (m: AdvertiseMessage) => ({
        ...m,
        encryptionKey: new Uint8Array(Buffer.from(`ec${'ff'.repeat(30)}7f`, 'hex')),
      }),
    ],
    ['a 31-byte mask key', (m: AdvertiseMessage) => ({ ...m, maskKey: m.maskKey.slice(1) })],
    ['a 33-byte encryption key', (m: AdvertiseMessage) => ({ ...m, encryptionKey: new Uint8Array(33) })],
  ])(
    '%s, even properly signed, is refused: the sender is not in the roster and the rest aggregate',
    (_, edit) => {
      const s = setup(4, 3, 8);
      expect(() => s.server.receiveAdvertise(resigned(s, edit))).toThrow(/"c000" .*X25519/);
      for (const id of ['c001', 'c002', 'c003']) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
      s.server.close();
      const roster = s.server.roster();
      expect(roster.map((a) => a.from)).toEqual(['c001', 'c002', 'c003']);
      const alive = ['c001', 'c002', 'c003'];
      for (const id of alive) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
      s.server.close();
      for (const id of alive)
        s.server.receiveMaskedInput(
          s.clients.get(id)!.maskedInput(s.server.sharesFor(id), s.inputs.get(id)!),
        );
      s.server.close();
      for (const id of alive)
        s.server.receiveConsistency(s.clients.get(id)!.consistency(s.server.survivors()));
      s.server.close();
      const signatures = s.server.consistencySignatures();
      for (const id of alive)
        s.server.receiveUnmask(s.clients.get(id)!.unmask(s.server.survivors(), signatures));
      s.server.close();
      const result = s.server.result();
      expect(result.dropped.advertise).toEqual(['c000']);
      expect(result.sum).toEqual(s.sumOf(alive));
    },
  );
});
