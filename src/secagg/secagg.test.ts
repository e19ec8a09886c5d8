import { describe, expect, it } from 'vitest';
import { csprng, ProtocolError, seededRng } from '../core/index.js';
import { generateSigningKeyPair, type KeyPair } from '../crypto/index.js';
import { SecAggClient } from './client.js';
import {
  COMPLETE_GRAPH,
  isConnected,
  neighbourhoods,
  type SecAggGraph,
  secAggPlusParameters,
} from './graph.js';
import { SecAggServer } from './server.js';

type Stage = 'advertise' | 'share-keys' | 'masked-input' | 'consistency' | 'unmask';

function setup(
  n: number,
  threshold: number,
  length: number,
  session = 'round-1',
  graph: SecAggGraph = COMPLETE_GRAPH,
  rng = csprng(),
) {
  const ids = Array.from({ length: n }, (_, i) => `c${String(i).padStart(3, '0')}`);
  const keys = new Map<string, KeyPair>(ids.map((id) => [id, generateSigningKeyPair()]));
  const publicKeys = new Map(ids.map((id) => [id, keys.get(id)!.publicKey]));
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
        graph,
      }),
    ]),
  );
  const server = new SecAggServer({ session, threshold, length, clients: publicKeys, graph });
  const data = seededRng(`inputs/${n}`);
  const inputs = new Map(ids.map((id) => [id, Uint32Array.from({ length }, () => data.uniformInt(2 ** 32))]));
  return { ids, keys, publicKeys, clients, server, inputs };
}

/** Runs the protocol; clients in drop[stage] stop before answering that stage. */
function run(
  n: number,
  threshold: number,
  length: number,
  drop: Partial<Record<Stage, string[]>> = {},
  graph: SecAggGraph = COMPLETE_GRAPH,
) {
  const s = setup(n, threshold, length, 'round-1', graph);
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
    expect(() => c.unmask(['c000', 'c001', 'c002'], sigs)).toThrow(/differs from the one this client signed/);
    // the real list: c003's self-mask share only; a second request is out of stage
    const m = c.unmask(survivors, sigs);
    expect(m.maskKeyShares).toEqual([]);
    expect(m.selfMaskShares.map((x) => x.of).sort()).toEqual(survivors);
    expect(() => c.unmask(['c000', 'c001', 'c002'], sigs)).toThrow(/unmask requested during done/);
  });

  it('a server showing two survivor lists to two groups gets neither group to unmask (t > n/2)', () => {
    const s = setup(6, 4, 4);
    for (const id of s.ids) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
    s.server.close();
    const roster = s.server.roster();
    for (const id of s.ids) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
    s.server.close();
    for (const id of s.ids)
      s.server.receiveMaskedInput(s.clients.get(id)!.maskedInput(s.server.sharesFor(id), s.inputs.get(id)!));
    s.server.close();
    // target c005: group A is told it survived (would release its self-mask share), group B that it dropped
    // (would release its mask key): together the server would strip both masks from its input
    const listA = [...s.ids];
    const listB = s.ids.slice(0, 5);
    const groupA = ['c000', 'c001', 'c002'];
    const groupB = ['c003', 'c004'];
    const sigsA = groupA.map((id) => s.clients.get(id)!.consistency(listA));
    const sigsB = groupB.map((id) => s.clients.get(id)!.consistency(listB));
    for (const id of groupA)
      expect(() => s.clients.get(id)!.unmask(listA, [...sigsA, ...sigsB])).toThrow(
        /fewer than the threshold 4/,
      );
    for (const id of groupB)
      expect(() => s.clients.get(id)!.unmask(listB, [...sigsA, ...sigsB])).toThrow(
        /fewer than the threshold 4/,
      );
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

describe('a single masked input', () => {
  it('is indistinguishable from uniform: chi-square over its bytes for a constant input (alpha = 1e-4)', () => {
    // Fixed seed so the test is deterministic; a broken mask (zero, short, reused) fails it by a wide margin.
    const m = 50_000;
    const s = setup(3, 2, m, 'uniformity', COMPLETE_GRAPH, seededRng(7));
    for (const id of s.ids) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
    s.server.close();
    const roster = s.server.roster();
    for (const id of s.ids) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
    s.server.close();
    const input = new Uint32Array(m).fill(0x01020304);
    const masked = s.clients.get('c000')!.maskedInput(s.server.sharesFor('c000'), input).masked;
    const bytes = new Uint8Array(masked.buffer, masked.byteOffset, masked.byteLength);
    const counts = new Float64Array(256);
    for (const b of bytes) counts[b]! += 1;
    const expected = bytes.length / 256;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    // Wilson-Hilferty upper 1e-4 point of chi-square with 255 degrees of freedom (z = 3.719): 347.7
    const df = 255;
    const critical = df * (1 - 2 / (9 * df) + 3.719 * Math.sqrt(2 / (9 * df))) ** 3;
    expect(critical).toBeCloseTo(347.7, 0);
    expect(chi2).toBeLessThan(critical);
    // and the word-level mean is that of a uniform word (sd of the mean of m uniforms: 2^32 / sqrt(12 m))
    const mean = masked.reduce((a, w) => a + w, 0) / m;
    expect(Math.abs(mean - 2 ** 31) / (2 ** 32 / Math.sqrt(12 * m))).toBeLessThan(3.9);
    // the unmasked input fails the same test
    const raw = new Uint8Array(input.buffer);
    const rawCounts = new Float64Array(256);
    for (const b of raw) rawCounts[b]! += 1;
    expect(rawCounts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0)).toBeGreaterThan(critical);
  });
});

describe('SecAgg+ (random k-regular graph)', () => {
  it('builds the same k-regular, symmetric graph on both sides, a new one per session', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `n${i}`);
    const g = neighbourhoods('s1', ids, { kind: 'harary', degree: 6 });
    for (const id of ids) {
      expect(g.get(id)).toHaveLength(6);
      expect(g.get(id)).not.toContain(id);
      for (const v of g.get(id)!) expect(g.get(v)).toContain(id);
    }
    expect(neighbourhoods('s1', [...ids].reverse(), { kind: 'harary', degree: 6 })).toEqual(g);
    expect(neighbourhoods('s2', ids, { kind: 'harary', degree: 6 })).not.toEqual(g);
    expect(isConnected(ids, g)).toBe(true);
    // degree >= n - 1 is the complete graph
    expect(neighbourhoods('s1', ids.slice(0, 5), { kind: 'harary', degree: 6 }).get('n0')).toHaveLength(4);
  });

  it('draws every ring equally often: n = 8, k = 2 over 30,000 sessions gives all 2,520 Harary graphs', () => {
    // H(8, 2) is a Hamiltonian cycle: 7!/2 = 2,520 of them. The old shuffle (w1 * 2^32 + w2 past 2^53, then
    // modulo) reached only a few hundred, most of them far too often.
    const ids = Array.from({ length: 8 }, (_, i) => `n${i}`);
    const sessions = 30_000;
    const counts = new Map<string, number>();
    for (let s = 0; s < sessions; s++) {
      const g = neighbourhoods(`uniform/${s}`, ids, { kind: 'harary', degree: 2 });
      const key = ids.map((id) => `${id}:${g.get(id)!.join(',')}`).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(2520);
    // chi-square over the 2,520 rings against uniform, below its upper 1e-4 point (Wilson-Hilferty, z = 3.719)
    const expected = sessions / 2520;
    const chi2 = [...counts.values()].reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
    const df = 2519;
    expect(chi2).toBeLessThan(df * (1 - 2 / (9 * df) + 3.719 * Math.sqrt(2 / (9 * df))) ** 3);
  });

  it('only picks thresholds that are a strict majority of the neighbourhood, and its bounds are for that t', () => {
    const chosen: { n: number; p: ReturnType<typeof secAggPlusParameters> }[] = [];
    for (const n of [5, 10, 40, 100, 1000, 10_000]) {
      for (const [dropout, corrupt] of [
        [0.1, 0.05],
        [0.2, 0.05],
        [0.1, 0.1],
        [0.3, 0.1],
      ] as const) {
        const p = secAggPlusParameters(n, { dropout, corrupt });
        const m = p.graph.kind === 'harary' ? p.graph.degree + 1 : n;
        expect(2 * p.threshold, `n = ${n}, dropout ${dropout}, corrupt ${corrupt}`).toBeGreaterThan(m);
        expect(p.threshold).toBeLessThanOrEqual(m);
        if (p.graph.kind === 'harary') expect(p.abortBound).toBeLessThanOrEqual(1e-6);
        chosen.push({ n, p });
      }
    }
    // and the clients accept every choice
    for (const { n, p } of chosen)
      expect(SecAggClient.setupProblem({ threshold: p.threshold, rosterSize: n, graph: p.graph })).toBeNull();
    // the defaults at n = 1,000: k = 34, t = 18 of 35 (it was 28 and 13 of 29, below half)
    expect(secAggPlusParameters(1000)).toMatchObject({
      graph: { kind: 'harary', degree: 34 },
      threshold: 18,
    });
  });

  it('clients refuse a threshold that is not a majority of their Harary neighbourhood', () => {
    // degree 4: neighbourhoods of 5, so t = 2 is refused and t = 3 accepted
    const graph: SecAggGraph = { kind: 'harary', degree: 4 };
    const s = setup(12, 2, 8, 'round-1', graph);
    const roster = s.ids.map((id) => s.clients.get(id)!.advertise());
    expect(() => s.clients.get('c000')!.shareKeys(roster)).toThrow(
      /the threshold 2 is not a majority of the 5 clients of the neighbourhood/,
    );
    expect(SecAggClient.setupProblem({ threshold: 2, rosterSize: 12, graph })).toMatch(
      /not a majority of the 5/,
    );
    expect(SecAggClient.setupProblem({ threshold: 3, rosterSize: 12, graph })).toBeNull();
    expect(SecAggClient.setupProblem({ threshold: 6, rosterSize: 12, graph })).toMatch(
      /exceeds the 5 clients/,
    );
    expect(
      SecAggClient.setupProblem({ threshold: 3, rosterSize: 12, graph: { kind: 'harary', degree: 3 } }),
    ).toMatch(/graph/);
    expect(SecAggClient.setupProblem({ threshold: 1, rosterSize: 3 })).toMatch(/threshold/);
  });

  it('picks k = O(log n) and a threshold with both failure bounds below the target', () => {
    const ks: number[] = [];
    for (const n of [100, 1000, 10_000]) {
      const p = secAggPlusParameters(n, { dropout: 0.1, corrupt: 0.05, failure: 1e-6 });
      expect(p.graph.kind).toBe('harary');
      const k = p.graph.kind === 'harary' ? p.graph.degree : n;
      ks.push(k);
      expect(p.abortBound).toBeLessThanOrEqual(1e-6);
      expect(p.exposureBound).toBeLessThanOrEqual(1e-6);
      expect(p.threshold).toBeGreaterThan(1);
      expect(p.threshold).toBeLessThanOrEqual(k + 1);
    }
    // ten times more clients adds a roughly constant number of neighbours (logarithmic growth)
    expect(ks[2]! - ks[1]!).toBeLessThanOrEqual(ks[1]! - ks[0]! + 6);
    expect(ks[2]!).toBeLessThan(150);
    // a handful of clients fall back to the complete graph
    expect(secAggPlusParameters(8).graph.kind).toBe('complete');
    expect(() => secAggPlusParameters(100, { dropout: 0.6 })).toThrow(/dropout/);
  });

  it('n = 100, k from the parameter rule: the sum with drops at every stage', () => {
    const p = secAggPlusParameters(100, { dropout: 0.1, corrupt: 0.05, failure: 1e-3 });
    const ids = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `c${String(from + i).padStart(3, '0')}`);
    const r = run(
      100,
      p.threshold,
      32,
      {
        advertise: ids(0, 2),
        'share-keys': ids(10, 2),
        'masked-input': ids(20, 2),
        consistency: ids(30, 2),
        unmask: ids(40, 2),
      },
      p.graph,
    );
    expect(r.result.survivors).toHaveLength(94);
    expect(r.result.sum).toEqual(r.expected);
  });

  it('each client shares with its k neighbours only', () => {
    const graph: SecAggGraph = { kind: 'harary', degree: 4 };
    const s = setup(12, 3, 8, 'round-1', graph);
    for (const id of s.ids) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
    s.server.close();
    const roster = s.server.roster();
    const m = s.clients.get('c000')!.shareKeys(roster);
    expect(m.shares.map((x) => x.to).sort()).toEqual([...s.server.neighboursOf('c000')].sort());
    expect(m.shares).toHaveLength(4);
  });

  it('honest clients refuse to unmask survivors that split into components (partial sums would leak)', () => {
    // degree 2 is a ring: removing two non-adjacent clients splits it
    const graph: SecAggGraph = { kind: 'harary', degree: 2 };
    const s = setup(8, 2, 4, 'round-1', graph);
    for (const id of s.ids) s.server.receiveAdvertise(s.clients.get(id)!.advertise());
    s.server.close();
    const roster = s.server.roster();
    for (const id of s.ids) s.server.receiveShareKeys(s.clients.get(id)!.shareKeys(roster));
    s.server.close();
    const g = neighbourhoods('round-1', s.ids, graph);
    // walk the ring from c000 and drop the clients at positions 2 and 5
    const ring = ['c000'];
    while (ring.length < 8) ring.push(g.get(ring.at(-1)!)!.find((v) => !ring.includes(v))!);
    const gone = new Set([ring[2]!, ring[5]!]);
    const alive = s.ids.filter((id) => !gone.has(id));
    for (const id of alive)
      s.server.receiveMaskedInput(s.clients.get(id)!.maskedInput(s.server.sharesFor(id), s.inputs.get(id)!));
    s.server.close();
    const survivors = s.server.survivors();
    expect(isConnected(survivors, g)).toBe(false);
    const sigs = alive.map((id) => s.clients.get(id)!.consistency(survivors));
    for (const sig of sigs) s.server.receiveConsistency(sig);
    s.server.close();
    expect(() => s.clients.get(ring[0]!)!.unmask(survivors, sigs)).toThrow(/do not form a connected graph/);
  });
});
