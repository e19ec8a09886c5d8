/**
 * A malicious server against honest SecAgg clients: it shows one group of clients a survivor list that names a
 * target and another group a list that leaves it out. The first group releases the target's self-mask seed
 * shares, the second its mask-key shares; with `threshold` of each, the server strips both masks from the
 * target's masked input and reads it. Clients refuse any threshold that is not a strict majority of their
 * neighbourhood, which makes two disjoint groups of `threshold` honest holders impossible.
 */
import { describe, expect, it } from 'vitest';
import { csprng, ProtocolError, seededRng } from '../core/index.js';
import {
  agreementKeyPairFromPrivate,
  generateSigningKeyPair,
  type KeyPair,
  reconstructSecret,
  type Share,
} from '../crypto/index.js';
import { SecAggClient } from './client.js';
import { type AdvertiseMessage, applyMask, type ConsistencyMessage, pairSeed } from './common.js';

const LENGTH = 16;
const TARGET = 'c4';

interface Outcome {
  /** Clients that refused to share keys (the attack never starts). */
  readonly refusedShareKeys: readonly string[];
  /** Clients that refused to unmask, by group. */
  readonly refusedUnmask: readonly string[];
  /** Shares of the target's self-mask seed and of its mask key the server collected. */
  readonly selfShares: number;
  readonly keyShares: number;
  /** The target's input as the server rebuilt it, or null when it could not. */
  readonly recovered: Uint32Array | null;
  readonly input: Uint32Array;
}

/**
 * Five clients c0..c4, target c4. Group A is shown the list of all five (c4 survived), group B the list without
 * c4 (c4 dropped after sending its masked input). `groupA` and `groupB` partition c0..c3; the target itself
 * signs list A (it names it) and so belongs to A.
 */
function splitViewAttack(threshold: number, groupA: readonly string[], groupB: readonly string[]): Outcome {
  const session = `split-view/${threshold}/${groupA.join('+')}`;
  const ids = ['c0', 'c1', 'c2', 'c3', 'c4'];
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
        rng: csprng(),
      }),
    ]),
  );
  const data = seededRng('split-view/inputs');
  const inputs = new Map(
    ids.map((id) => [id, Uint32Array.from({ length: LENGTH }, () => data.nextUint32())]),
  );
  const none = {
    refusedUnmask: [],
    selfShares: 0,
    keyShares: 0,
    recovered: null,
    input: inputs.get(TARGET)!,
  };

  // Stage 0 and 1: an honest-looking server relays the roster and the encrypted shares.
  const roster: AdvertiseMessage[] = ids.map((id) => clients.get(id)!.advertise());
  const refusedShareKeys: string[] = [];
  const inbox = new Map<string, { from: string; ciphertext: Uint8Array }[]>(ids.map((id) => [id, []]));
  for (const id of ids) {
    try {
      for (const s of clients.get(id)!.shareKeys(roster).shares)
        inbox.get(s.to)!.push({ from: id, ciphertext: s.ciphertext });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      refusedShareKeys.push(id);
    }
  }
  if (refusedShareKeys.length > 0) return { ...none, refusedShareKeys };

  // Stage 2: the malicious server keeps each masked input apart.
  const masked = new Map(
    ids.map((id) => [id, clients.get(id)!.maskedInput(inbox.get(id)!, inputs.get(id)!)]),
  );

  // Stage 3: two survivor lists.
  const listA = [...ids];
  const listB = ids.filter((id) => id !== TARGET);
  const a = [...groupA, TARGET];
  const sigs: ConsistencyMessage[] = [
    ...a.map((id) => clients.get(id)!.consistency(listA)),
    ...groupB.map((id) => clients.get(id)!.consistency(listB)),
  ];

  // Stage 4: each group unmasks for the list it signed.
  const refusedUnmask: string[] = [];
  const selfShares: Share[] = [];
  const keyShares: Share[] = [];
  for (const [group, list] of [
    [a, listA],
    [groupB, listB],
  ] as const) {
    for (const id of group) {
      try {
        const m = clients.get(id)!.unmask(list, sigs);
        selfShares.push(...m.selfMaskShares.filter((s) => s.of === TARGET).map((s) => s.share));
        keyShares.push(...m.maskKeyShares.filter((s) => s.of === TARGET).map((s) => s.share));
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        refusedUnmask.push(id);
      }
    }
  }
  const outcome = {
    ...none,
    refusedShareKeys,
    refusedUnmask,
    selfShares: selfShares.length,
    keyShares: keyShares.length,
  };
  if (selfShares.length < threshold || keyShares.length < threshold) return outcome;

  // Both secrets: remove the self mask and every pairwise mask from the target's masked input.
  const x = Uint32Array.from(masked.get(TARGET)!.masked);
  applyMask(x, reconstructSecret(selfShares, threshold, 32), -1);
  const maskKey = agreementKeyPairFromPrivate(reconstructSecret(keyShares, threshold, 32)).privateKey;
  for (const v of ids) {
    if (v === TARGET) continue;
    const seed = pairSeed(session, maskKey, roster.find((r) => r.from === v)!.maskKey, TARGET, v);
    applyMask(x, seed, TARGET < v ? -1 : 1); // undo what the target added
  }
  return { ...outcome, recovered: x };
}

describe('a server showing two survivor lists (split view) against 5 honest clients', () => {
  it('t = 2 (not a majority of 5): every client refuses to share keys, so no input can be recovered', () => {
    // Before the majority rule, groups {c0} + target and {c1, c2} each released 2 shares of one of the
    // target's secrets and the server read the target's input bit for bit.
    const r = splitViewAttack(2, ['c0'], ['c1', 'c2', 'c3']);
    expect(r.recovered).toBeNull();
    expect(r.refusedShareKeys).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(r.selfShares + r.keyShares).toBe(0);
  });

  it('a roster of 2 is refused whatever the threshold (the sum of two inputs reveals each to the other)', () => {
    const keys = [generateSigningKeyPair(), generateSigningKeyPair()];
    const peers = new Map([
      ['c0', keys[0]!.publicKey],
      ['c1', keys[1]!.publicKey],
    ]);
    const [c0, c1] = ['c0', 'c1'].map(
      (id, i) =>
        new SecAggClient({
          id,
          session: 's',
          threshold: 2,
          signingKey: keys[i]!.privateKey,
          peers,
          rng: csprng(),
        }),
    );
    expect(() => c0!.shareKeys([c0!.advertise(), c1!.advertise()])).toThrow(
      /refusing to share keys: 2 clients in the neighbourhood, fewer than the minimum 3/,
    );
    expect(SecAggClient.setupProblem({ threshold: 2, rosterSize: 2 })).toMatch(/fewer than the minimum 3/);
  });

  it('t = 2: the refusal names the rule', () => {
    const ids = ['c0', 'c1', 'c2', 'c3', 'c4'];
    const keys = ids.map(() => generateSigningKeyPair());
    const peers = new Map(ids.map((id, i) => [id, keys[i]!.publicKey]));
    const clients = ids.map(
      (id, i) =>
        new SecAggClient({
          id,
          session: 's',
          threshold: 2,
          signingKey: keys[i]!.privateKey,
          peers,
          rng: csprng(),
        }),
    );
    const roster = clients.map((c) => c.advertise());
    const error = (() => {
      try {
        clients[0]!.shareKeys(roster);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toBe(
      "secagg client c0: refusing to share keys: the threshold 2 is not a majority of the 5 clients of the neighbourhood (at least 3 needed, or a server showing two survivor lists could unmask one client's input)",
    );
    expect(SecAggClient.setupProblem({ threshold: 2, rosterSize: 5 })).toMatch(/not a majority of the 5/);
    expect(SecAggClient.setupProblem({ threshold: 3, rosterSize: 5 })).toBeNull();
  });

  it('t = 3: whatever the split of the other four clients, the server never gets both secrets of the target', () => {
    const others = ['c0', 'c1', 'c2', 'c3'];
    for (let bits = 0; bits < 16; bits++) {
      const groupA = others.filter((_, i) => bits & (1 << i));
      const groupB = others.filter((_, i) => !(bits & (1 << i)));
      const r = splitViewAttack(3, groupA, groupB);
      const split = `A = {${groupA}, c4}, B = {${groupB}}`;
      expect(r.refusedShareKeys, split).toEqual([]);
      expect(r.recovered, split).toBeNull();
      // at most one of the two secrets reaches the threshold
      expect(Math.min(r.selfShares, r.keyShares), split).toBeLessThan(3);
    }
    // the split that comes closest: A = {c0, c1, c4} unmasks (3 signatures on its list), B = {c2, c3} has only
    // 2 signatures on its list and refuses, so the server gets the target's self-mask seed and not its mask key
    const r = splitViewAttack(3, ['c0', 'c1'], ['c2', 'c3']);
    expect(r.refusedUnmask).toEqual(['c2', 'c3']);
    expect([r.selfShares, r.keyShares]).toEqual([3, 0]);
  });
});
