/**
 * RFC 6962 Merkle tree against the reference vectors of Certificate Transparency (google/certificate-transparency
 * merkle tree tests; the same vectors are in transparency-dev/merkle's testonly/constants.go): eight leaves,
 * the root at every size, two audit paths and three consistency proofs. Then every proof of every size verifies,
 * and tampered ones do not (property test).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  consistencyProofFromFrontier,
  inclusionProof,
  leafHash,
  subtreeStarts,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => leafHash(unhex(h)));
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const root = (n: number) => treeHash(LEAVES.slice(0, n));

describe('RFC 6962 Merkle tree: reference vectors', () => {
  it('gives the reference root at every size 0..8', () => {
    for (let n = 0; n <= 8; n++) expect(hex(root(n)), `size ${n}`).toBe(ROOTS[n]);
  });

  it('gives the reference audit paths', () => {
    expect(inclusionProof(0, LEAVES.slice(0, 1))).toEqual([]);
    expect(inclusionProof(0, LEAVES).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(inclusionProof(5, LEAVES).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
  });

  it('gives the reference consistency proofs', () => {
    expect(consistencyProof(1, LEAVES.slice(0, 1))).toEqual([]);
    expect(consistencyProof(1, LEAVES).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(consistencyProof(6, LEAVES).map(hex)).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(consistencyProof(2, LEAVES.slice(0, 5)).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });

  it('verifies every proof of every size up to 8, and refuses them against the wrong root or position', () => {
    for (let n = 1; n <= 8; n++) {
      for (let i = 0; i < n; i++) {
        const p = inclusionProof(i, LEAVES.slice(0, n));
        expect(verifyInclusion(LEAVES[i]!, i, n, p, root(n)), `${i} in ${n}`).toBe(true);
        if (n > 1) expect(verifyInclusion(LEAVES[i]!, (i + 1) % n, n, p, root(n))).toBe(false);
        expect(verifyInclusion(LEAVES[(i + 1) % 8]!, i, n, p, root(n))).toBe(false);
      }
      for (let m = 1; m <= n; m++) {
        const p = consistencyProof(m, LEAVES.slice(0, n));
        expect(verifyConsistency(m, n, p, root(m), root(n)), `${m} -> ${n}`).toBe(true);
        if (m < n) expect(verifyConsistency(m, n, p, root(m), root(n - 1))).toBe(false);
      }
    }
    expect(verifyInclusion(LEAVES[0]!, 3, 3, [], root(3))).toBe(false);
    expect(verifyConsistency(0, 3, [], root(0), root(3))).toBe(false);
  });
});

describe('RFC 6962 Merkle tree: properties', () => {
  test.prop([fc.integer({ min: 1, max: 40 }), fc.nat(), fc.nat(), fc.nat()], { numRuns: 60 })(
    'proofs of random trees verify, and flipping one proof byte breaks them',
    (n, a, b, flip) => {
      const leaves = Array.from({ length: n }, (_, i) => leafHash(new Uint8Array([i, i >> 8, 7])));
      const i = a % n;
      const m = 1 + (b % n);
      const r = treeHash(leaves);
      const ip = inclusionProof(i, leaves);
      expect(verifyInclusion(leaves[i]!, i, n, ip, r)).toBe(true);
      const cp = consistencyProof(m, leaves);
      expect(verifyConsistency(m, n, cp, treeHash(leaves.slice(0, m)), r)).toBe(true);
      if (ip.length > 0) {
        const bad = ip.map((x) => Uint8Array.from(x));
        bad[flip % bad.length]![flip % 32]! ^= 1;
        expect(verifyInclusion(leaves[i]!, i, n, bad, r)).toBe(false);
      }
      if (cp.length > 0) {
        const bad = cp.map((x) => Uint8Array.from(x));
        bad[flip % bad.length]![flip % 32]! ^= 1;
        expect(verifyConsistency(m, n, bad, treeHash(leaves.slice(0, m)), r)).toBe(false);
      }
    },
  );
});

describe('consistency proofs from a frontier', () => {
  /** The right edge of the tree of `leaves`: the roots of its perfect subtrees, largest first. */
  const frontierOf = (leaves: readonly Uint8Array[]) => {
    const starts = subtreeStarts(leaves.length);
    return starts.map((s, i) => treeHash(leaves.slice(s, starts[i + 1] ?? leaves.length)));
  };
  const leaves = Array.from({ length: 40 }, (_, i) => leafHash(new Uint8Array([i, 3])));

  it('equals the proof from all the leaves, for every old and new size up to 40', () => {
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n; m++) {
        const fromFrontier = consistencyProofFromFrontier(
          m,
          frontierOf(leaves.slice(0, m)),
          leaves.slice(m, n),
        );
        expect(fromFrontier.map(hex), `${m} -> ${n}`).toEqual(
          consistencyProof(m, leaves.slice(0, n)).map(hex),
        );
      }
    }
  });

  it('refuses a frontier of the wrong length', () => {
    expect(() => consistencyProofFromFrontier(10, [treeHash(leaves.slice(0, 10))], [])).toThrow(
      /frontier must be 2 subtree roots/,
    );
    expect(subtreeStarts(0)).toEqual([]);
    expect(subtreeStarts(13)).toEqual([0, 8, 12]);
  });
});
