/**
 * The garbling hash: a tweakable circular correlation-robust hash from fixed-key AES, batched.
 *
 * H(x, t) = π(σ(x) ⊕ t) ⊕ σ(x) ⊕ t, where π is AES-128 under a fixed public key and σ(xL ‖ xR) = (xL ⊕ xR ‖ xL)
 * is a linear orthomorphism (Guo, Katz, Wang & Yu, "Efficient and secure multiparty computation from
 * fixed-key block ciphers", IEEE S&P 2020, §7: the MMO construction with an orthomorphism is a tweakable
 * circular correlation-robust hash in the ideal-permutation model, which is what half-gates needs). The tweak t
 * is the gate's index (2j and 2j+1 for its two halves), so no two hash calls of one circuit share a tweak.
 *
 * Labels are 4 little-endian 32-bit words in an Int32Array. node:crypto's AES (AES-NI) runs over a whole layer
 * of gates per call: one call per gate costs more in call overhead than the AES itself.
 */
import { createCipheriv, createHash } from 'node:crypto';

// Any fixed public key will do (the construction's security is in the ideal-permutation model); these are the
// first 16 bytes of SHA-256("veil garbling key"), fixed so garbler and evaluator agree.
const FIXED_KEY = createHash('sha256').update('veil garbling key').digest().subarray(0, 16);

/** A batch hasher with a reusable buffer of `capacity` blocks. */
export class BatchHash {
  private readonly cipher = createCipheriv('aes-128-ecb', FIXED_KEY, null).setAutoPadding(false);
  /** Input blocks: the caller writes σ(x) ⊕ t here (see {@link writeTweaked}). */
  input: Int32Array;
  /** Output blocks: H(x, t) after {@link run}. */
  output: Int32Array;
  private inBytes: Uint8Array;
  private outBytes: Uint8Array;

  constructor(capacity = 1024) {
    this.input = new Int32Array(capacity * 4);
    this.output = new Int32Array(capacity * 4);
    this.inBytes = new Uint8Array(this.input.buffer);
    this.outBytes = new Uint8Array(this.output.buffer);
  }

  /** Makes room for `blocks` blocks (the contents are lost). */
  reserve(blocks: number): void {
    if (this.input.length >= blocks * 4) return;
    this.input = new Int32Array(blocks * 4);
    this.output = new Int32Array(blocks * 4);
    this.inBytes = new Uint8Array(this.input.buffer);
    this.outBytes = new Uint8Array(this.output.buffer);
  }

  /** Hashes the first `blocks` input blocks into `output`: output = π(input) ⊕ input. */
  run(blocks: number): void {
    const n = blocks * 16;
    this.outBytes.set(this.cipher.update(this.inBytes.subarray(0, n)));
    const input = this.input;
    const output = this.output;
    for (let i = 0; i < blocks * 4; i++) output[i] = output[i]! ^ input[i]!;
  }
}

/**
 * Writes σ(x) ⊕ tweak into block `slot` of `into`, x being the label at word offset `at` of `labels` (xored with
 * `mask`'s 4 words when `withMask`).
 */
export function writeTweaked(
  into: Int32Array,
  slot: number,
  labels: Int32Array,
  at: number,
  tweak: number,
  mask: Int32Array | undefined,
): void {
  let x0 = labels[at]!;
  let x1 = labels[at + 1]!;
  let x2 = labels[at + 2]!;
  let x3 = labels[at + 3]!;
  if (mask) {
    x0 ^= mask[0]!;
    x1 ^= mask[1]!;
    x2 ^= mask[2]!;
    x3 ^= mask[3]!;
  }
  const o = slot * 4;
  // σ(xL ‖ xR) = (xL ⊕ xR ‖ xL) with xL = words 0-1, xR = words 2-3; the tweak goes into the low word
  into[o] = x0 ^ x2 ^ tweak;
  into[o + 1] = x1 ^ x3 ^ ((tweak / 4294967296) | 0);
  into[o + 2] = x0;
  into[o + 3] = x1;
}
