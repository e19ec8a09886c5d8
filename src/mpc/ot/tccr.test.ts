import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { TweakableHash } from './tccr.js';

const KEY = createHash('sha256').update('veil.mpc.ot.tccr.fixed-key.v1').digest().subarray(0, 16);

/** π(π(x) ⊕ (i, k)) ⊕ π(x), one block at a time: the oracle. */
function reference(x: Uint8Array, index: number, k: number): Uint8Array {
  const pi = (block: Uint8Array) => {
    const c = createCipheriv('aes-128-ecb', KEY, null);
    c.setAutoPadding(false);
    return c.update(block);
  };
  const px = pi(x);
  const tweaked = Buffer.from(px);
  tweaked.writeUInt32LE((tweaked.readUInt32LE(0) ^ (index >>> 0)) >>> 0, 0);
  tweaked.writeUInt32LE((tweaked.readUInt32LE(4) ^ Math.floor(index / 2 ** 32)) >>> 0, 4);
  tweaked.writeUInt32LE((tweaked.readUInt32LE(8) ^ k) >>> 0, 8);
  return Uint8Array.from(pi(tweaked), (b, j) => b ^ px[j]!);
}

describe('TweakableHash (TMMO)', () => {
  it.each([
    [2100, 1, 0],
    [700, 3, 2 ** 32 - 5],
    [5, 2, 2 ** 40 + 7],
  ])('matches the block-by-block definition for %i rows × %i blocks from index %i', (n, blocks, first) => {
    const x = new Uint32Array(4 * n);
    seededRng(n).fillBytes(new Uint8Array(x.buffer));
    const mask = Uint32Array.of(0xdeadbeef, 1, 2, 0x80000000);
    const h = new TweakableHash();
    const plain = h.hash(x, n, first, blocks);
    const masked = h.hash(x, n, first, blocks, mask);
    const bytes = new Uint8Array(x.buffer);
    const maskBytes = new Uint8Array(mask.buffer);
    for (const i of [0, 1, n >> 1, n - 2, n - 1].filter((i) => i >= 0))
      for (let k = 0; k < blocks; k++) {
        const row = bytes.subarray(16 * i, 16 * i + 16);
        const at = 16 * (i * blocks + k);
        expect(plain.subarray(at, at + 16)).toEqual(reference(row, first + i, k));
        expect(masked.subarray(at, at + 16)).toEqual(
          reference(
            row.map((b, j) => b ^ maskBytes[j]!),
            first + i,
            k,
          ),
        );
      }
  });

  it('gives different outputs for different tweaks of one input', () => {
    const x = new Uint32Array(8);
    const out = new TweakableHash().hash(x, 2, 0, 1);
    expect(out.subarray(0, 16)).not.toEqual(out.subarray(16, 32));
  });
});
