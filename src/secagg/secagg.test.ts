import { describe, expect, it } from 'vitest';
import { csprng, ProtocolError, seededRng } from '../core/index.js';
import { generateSigningKeyPair, type KeyPair } from '../crypto/index.js';
import { SecAggClient } from './client.js';
import { SecAggServer } from './server.js';

type Stage = 'advertise' | 'share-keys' | 'masked-input' | 'consistency' | 'unmask';

function setup(n: number, threshold: number, length: number, session = 'round-1') {
  const ids = Array.from({ length: n }, (_, i) => `c${String(i).padStart(3, '0')}`);
  const keys = new Map<string, KeyPair>(ids.map((id) => [id, generateSigningKeyPair()]));
  const publicKeys = new Map(ids.map((id) => [id, keys.get(id)!.publicKey]));
  const rng = csprng();
  const clients = new Map(
    ids.map((id) => [
      id,
      new SecAggClient({
        id,
        session,
        threshold,
        signingKey: keys.get(id)!.privateKey,
        peers: publicKeys,
        rng,
      }),
    ]),
  );
  const server = new SecAggServer({ session, threshold, length, clients: publicKeys });
  const data = seededRng(`inputs/${n}`);
  const inputs = new Map(ids.map((id) => [id, Uint32Array.from({ length }, () => data.uniformInt(2 ** 32))]));
  return { ids, keys, publicKeys, clients, server, inputs };
}

/** Runs the protocol; clients in drop[stage] stop before answering that stage. */
function run(n: number, threshold: number, length: number, drop: Partial<Record<Stage, string[]>> = {}) {
  const s = setup(n, threshold, length);
  const gone = new Set<string>();
  const alive = (stage: Stage) => {
    for (const id of drop[stage] ?? []) gone.add(id);
    return s.ids.filter((id) => !gone.has(id));
  };
  for (const id of alive('advertise')) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
  s.server.close();
  const roster = s.server.roster();
  for (const id of alive('share-keys')) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
  s.server.close();
  for (const id of alive('masked-input'))
    s.server.receiveMaskedInput(s.clients.get(id)!.maskedInput(s.server.sharesFor(id), s.inputs.get(id)!));
  s.server.close();
  const survivors = s.server.survivors();
  for (const id of alive('consistency'))
    s.server.receiveConsistency(s.clients.get(id)!.consistency(survivors));
  s.server.close();
  const signatures = s.server.consistencySignatures();
  for (const id of alive('unmask')) s.server.receiveUnmask(s.clients.get(id)!.unmask(survivors, signatures));
  s.server.close();
  const result = s.server.result();
  const expected = new Uint32Array(length);
  for (const id of result.survivors)
    for (let i = 0; i < length; i++) expected[i] = (expected[i]! + s.inputs.get(id)![i]!) >>> 0;
  return { ...s, result, expected };
}

describe('SecAgg', () => {
  it.each([3, 10, 100])('n = %i, nobody drops: the server learns exactly the sum', (n) => {
    const t = Math.floor(n / 2) + 1;
    const r = run(n, t, n === 100 ? 50 : 200);
    expect(r.result.survivors).toHaveLength(n);
    expect(r.result.sum).toEqual(r.expected);
  });

  it.each([
    ['advertise', 3],
    ['share-keys', 3],
    ['masked-input', 3],
    ['consistency', 2],
    ['unmask', 3],
  ] as const)(
    "n = 10, t = 6: clients dropping at %s (%i of them) still give the survivors' sum",
    (stage, k) => {
      const r = run(10, 6, 64, { [stage]: ['c001', 'c004', 'c007'].slice(0, k) });
      expect(r.result.sum).toEqual(r.expected);
      const inputDropped = stage === 'advertise' || stage === 'share-keys' || stage === 'masked-input';
      expect(r.result.survivors).toHaveLength(inputDropped ? 10 - k : 10);
      expect(r.result.dropped[stage]).toEqual(['c001', 'c004', 'c007'].slice(0, k));
    },
  );

  it('n = 100, t = 51: drops at every stage, up to n - t in all', () => {
    const ids = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `c${String(from + i).padStart(3, '0')}`);
    const r = run(100, 51, 20, {
      advertise: ids(0, 10),
      'share-keys': ids(10, 10),
      'masked-input': ids(20, 10),
      consistency: ids(30, 9),
      unmask: ids(39, 10),
    });
    expect(r.result.survivors).toHaveLength(70);
    expect(r.result.sum).toEqual(r.expected);
  });

  it('fewer than t survivors aborts the round with a clear error and unmasks nothing', () => {
    const s = setup(5, 4, 8);
    for (const id of s.ids) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
    s.server.close();
    const roster = s.server.roster();
    for (const id of s.ids) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
    s.server.close();
    for (const id of s.ids.slice(0, 3))
      s.server.receiveMaskedInput(s.clients.get(id)!.maskedInput(s.server.sharesFor(id), s.inputs.get(id)!));
    expect(() => s.server.close()).toThrow(
      /masked-input: 3 clients answered, fewer than the threshold 4; the round is aborted/,
    );
    expect(() => s.server.result()).toThrow(ProtocolError);
    // and an honest client refuses to unmask a survivor list below the threshold
    const c = s.clients.get(s.ids[0]!)!;
    expect(() => c.consistency(s.ids.slice(0, 3))).toThrow(/fewer than the threshold 4/);
  });

  it('honest clients never release both shares of one client', () => {
    const s = setup(4, 3, 4);
    for (const id of s.ids) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
    s.server.close();
    const roster = s.server.roster();
    for (const id of s.ids) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
    s.server.close();
    for (const id of s.ids)
      s.server.receiveMaskedInput(s.clients.get(id)!.maskedInput(s.server.sharesFor(id), s.inputs.get(id)!));
    s.server.close();
    const survivors = s.server.survivors();
    const sigs = s.ids.map((id) => s.clients.get(id)!.consistency(survivors));
    // a cheating server asks c000 to unmask with c003 named as dropped (so it would get c003's mask key, having
    // already its masked input): the list is not the one the clients signed, so c000 refuses
    const c = s.clients.get('c000')!;
    expect(() => c.unmask(['c000', 'c001', 'c002'], sigs)).toThrow(/valid signatures on the survivor list/);
    // the real list: c003's self-mask share only; a second request is out of stage
    const m = c.unmask(survivors, sigs);
    expect(m.maskKeyShares).toEqual([]);
    expect(m.selfMaskShares.map((x) => x.of).sort()).toEqual(survivors);
    expect(() => c.unmask(['c000', 'c001', 'c002'], sigs)).toThrow(/unmask requested during done/);
  });

  it('refuses forged and replayed messages, and messages out of stage', () => {
    const s = setup(4, 3, 4);
    const c0 = s.clients.get('c000')!;
    const ad = c0.advertise();
    s.server.receiveAdvertise(ad);
    expect(() => s.server.receiveAdvertise(ad)).toThrow(/second advertise message from "c000" \(replay\?\)/);
    const forged = { ...s.clients.get('c001')!.advertise(), maskKey: ad.maskKey };
    expect(() => s.server.receiveAdvertise(forged)).toThrow(/not signed by its key/);
    expect(() => s.server.receiveAdvertise({ ...ad, from: 'stranger' })).toThrow(
      /not a client of this stage/,
    );
    // an advertisement from another session (replayed into this one) does not verify
    const other = setup(4, 3, 4, 'round-2');
    expect(() => s.server.receiveAdvertise(other.clients.get('c002')!.advertise())).toThrow(/not signed/);
    expect(() => s.server.receiveMaskedInput({ from: 'c000', masked: new Uint32Array(4) })).toThrow(
      /masked-input message from "c000" arrived during advertise/,
    );
    expect(() => c0.advertise()).toThrow(/advertise requested during share-keys/);
    // a client refuses a roster entry whose signature does not verify
    expect(() => c0.shareKeys([ad, forged, s.clients.get('c003')!.advertise()])).toThrow(
      /not signed by its key/,
    );
  });
});
