/**
 * The Merkle tree of RFC 6962 §2.1 (Certificate Transparency), as the audit log will use it: leaf and node
 * hashes with domain separation (0x00 / 0x01 prefixes), the tree hash MTH, audit paths and consistency proofs
 * (§2.1.1, §2.1.2), and their verification (the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2). Written here
 * because it is small, and the npm packages for it either are not RFC 6962 (no domain separation, duplicated
 * odd leaves) or pull in a whole CT client.
 */
import { createHash } from 'node:crypto';
import { InvalidParameterError } from '../../core/index.js';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** MTH of one entry: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF, data);
}

/** An inner node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE, left, right);
}

/** The largest power of two smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes (the empty tree's hash is SHA-256 of the empty string). */
export function treeHash(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  const k = split(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

function checkIndex(fn: string, param: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidParameterError({ fn, param, value, allowed: `an integer in [0, ${max}]` });
  }
}

/** The audit path of leaf `index` in the tree of `leaves` (RFC 6962 §2.1.1). */
export function inclusionProof(index: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  checkIndex('inclusionProof', 'index', index, leaves.length - 1);
  const path = (m: number, d: readonly Uint8Array[]): Uint8Array[] => {
    if (d.length <= 1) return [];
    const k = split(d.length);
    return m < k
      ? [...path(m, d.slice(0, k)), treeHash(d.slice(k))]
      : [...path(m - k, d.slice(k)), treeHash(d.slice(0, k))];
  };
  return path(index, leaves);
}

/** The consistency proof from the tree of the first `oldSize` leaves to the tree of all (RFC 6962 §2.1.2). */
export function consistencyProof(oldSize: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  checkIndex('consistencyProof', 'oldSize', oldSize, leaves.length);
  if (oldSize === 0) return [];
  const sub = (m: number, d: readonly Uint8Array[], complete: boolean): Uint8Array[] => {
    if (m === d.length) return complete ? [] : [treeHash(d)];
    const k = split(d.length);
    return m <= k
      ? [...sub(m, d.slice(0, k), complete), treeHash(d.slice(k))]
      : [...sub(m - k, d.slice(k), false), treeHash(d.slice(0, k))];
  };
  return sub(oldSize, leaves, true);
}

/**
 * The same proof as {@link consistencyProof}, from the right edge of the old tree (`frontier`: the roots of its
 * perfect subtrees, largest first, one per set bit of `oldSize`) and the leaves added since, without the old
 * leaves. Every node of the proof lies wholly in the old tree, where it is one of the frontier's subtrees or a run
 * of them up to the old size, or wholly among the added leaves; so the writer proves the step from a head it kept
 * to a new one in O(added + log n).
 */
export function consistencyProofFromFrontier(
  oldSize: number,
  frontier: readonly Uint8Array[],
  added: readonly Uint8Array[],
): Uint8Array[] {
  const fn = 'consistencyProofFromFrontier';
  checkIndex(fn, 'oldSize', oldSize, Number.MAX_SAFE_INTEGER);
  const starts = subtreeStarts(oldSize);
  if (frontier.length !== starts.length) {
    throw new InvalidParameterError({
      fn,
      param: 'frontier',
      value: frontier.length,
      allowed: `${starts.length} subtree roots (one per set bit of ${oldSize})`,
    });
  }
  if (oldSize === 0) return [];
  const mth = (lo: number, hi: number): Uint8Array => {
    if (lo >= oldSize) return treeHash(added.slice(lo - oldSize, hi - oldSize));
    // [lo, hi) is a run of the frontier's subtrees ending at the old size, or one of them: fold from the right
    const first = starts.indexOf(lo);
    let last = first;
    while (last + 1 < starts.length && starts[last + 1]! < hi) last++;
    let r = frontier[last]!;
    for (let i = last - 1; i >= first; i--) r = nodeHash(frontier[i]!, r);
    return r;
  };
  const sub = (m: number, lo: number, hi: number, complete: boolean): Uint8Array[] => {
    if (m === hi - lo) return complete ? [] : [mth(lo, hi)];
    const k = split(hi - lo);
    return m <= k
      ? [...sub(m, lo, lo + k, complete), mth(lo + k, hi)]
      : [...sub(m - k, lo + k, hi, false), mth(lo, lo + k)];
  };
  return sub(oldSize, 0, oldSize + added.length, true);
}

/** Where the perfect subtrees of a tree of `size` leaves start, largest first (one per set bit of the size). */
export function subtreeStarts(size: number): number[] {
  const starts: number[] = [];
  let offset = 0;
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (Math.floor(size / bit) % 2 === 1) {
      starts.push(offset);
      offset += bit;
    }
  }
  return starts;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` leaves with root `root` (RFC 9162). */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** Whether `proof` shows the tree of `oldSize` leaves (root `oldRoot`) is a prefix of that of `newSize` (RFC 9162). */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize)
    return false;
  if (oldSize === newSize) return proof.length === 0 && equal(oldRoot, newRoot);
  const path = (oldSize & (oldSize - 1)) === 0 ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
}
