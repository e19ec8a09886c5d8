/**
 * The right edge of the audit log's Merkle tree (RFC 6962): what each append extends in O(log n), and its stored
 * form beside each signed head (a JSON array of hex hashes, one per set bit of the size).
 */
import { HEX32, hex, unhex } from './format.js';
import { nodeHash, subtreeStarts, treeHash } from './merkle.js';

/**
 * The right edge of an RFC 6962 tree: the roots of its perfect subtrees, largest first (one per set bit of the
 * size). Appending merges equal-sized subtrees; the root folds them from the right, which is MTH's split at
 * the largest power of two.
 */
export class Frontier {
  constructor(
    private size: number,
    private readonly nodes: Uint8Array[],
  ) {}

  static empty(): Frontier {
    return new Frontier(0, []);
  }

  append(leaf: Uint8Array): void {
    this.nodes.push(leaf);
    this.size++;
    // after adding, merge while the two rightmost subtrees have equal size: one merge per trailing 1-bit of
    // the old size, i.e. per trailing 0-bit of the new one
    for (let s = this.size; s % 2 === 0; s /= 2) {
      const right = this.nodes.pop()!;
      const left = this.nodes.pop()!;
      this.nodes.push(nodeHash(left, right));
    }
  }

  root(): Uint8Array {
    if (this.nodes.length === 0) return treeHash([]);
    let r = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) r = nodeHash(this.nodes[i]!, r);
    return r;
  }

  toJson(): string {
    return JSON.stringify(this.nodes.map(hex));
  }
}

/** The nodes of a stored frontier: one 32-byte hex hash per set bit of `size`, or null when it is not that. */
export function frontierNodes(size: number, json: string): Uint8Array[] | null {
  let nodes: unknown;
  try {
    nodes = JSON.parse(json);
  } catch {
    return null;
  }
  const wellFormed =
    Array.isArray(nodes) &&
    nodes.length === subtreeStarts(size).length &&
    nodes.every((n) => typeof n === 'string' && HEX32.test(n));
  return wellFormed ? (nodes as string[]).map(unhex) : null;
}
