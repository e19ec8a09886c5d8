/**
 * Test support: the circuits of ../shared/circuits (README there: provenance and bit orders) with an
 * independent reference for each (node:crypto for AES-128 and SHA-256, BigInt for the integer circuits), and
 * random inputs for them.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '../../../core/index.js';
import { type Circuit, parseBristol } from '../circuit.js';

/** ../shared/circuits beside the checkout. */
export const CIRCUITS_DIR = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'circuits');

/** One circuit file with its reference function over hex values (the convention of `veil gc run`). */
export interface CircuitCase {
  readonly file: string;
  readonly andGates: number;
  readonly msbFirst: boolean;
  /** Random hex inputs, one per input value. */
  readonly randomInputs: (rng: Rng) => string[];
  /** The expected outputs (hex, one per output value) from an independent implementation. */
  readonly reference: (inputs: readonly string[]) => string[];
}

const hex = (rng: Rng, bytes: number) => {
  const b = new Uint8Array(bytes);
  rng.fillBytes(b);
  return Buffer.from(b).toString('hex');
};
const M64 = (1n << 64n) - 1n;
const u64 = (h: string) => BigInt(`0x${h}`);
const h64 = (v: bigint) => (v & M64).toString(16).padStart(16, '0');
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const bit = (b: boolean) => (b ? '1' : '0');
// mostly random, sometimes an edge value, so sign and carry paths are exercised
const EDGES = [0n, 1n, M64, 1n << 63n, (1n << 63n) - 1n, 2n, M64 - 1n];
const int64 = (rng: Rng) =>
  rng.uniformInt(4) === 0 ? h64(EDGES[rng.uniformInt(EDGES.length)]!) : hex(rng, 8);

const aes = (key: string, block: string) => {
  const c = createCipheriv('aes-128-ecb', Buffer.from(key, 'hex'), null).setAutoPadding(false);
  return c.update(Buffer.from(block, 'hex')).toString('hex');
};

/** One SHA-256 padded block for a message of at most 55 bytes. */
export function sha256Block(message: Buffer): string {
  const block = Buffer.alloc(64);
  message.copy(block);
  block[message.length] = 0x80;
  block.writeBigUInt64BE(BigInt(message.length * 8), 56);
  return block.toString('hex');
}

/** The SHA-256 initial chaining value, H0 ‖ … ‖ H7 big-endian. */
export const SHA256_IV = '6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19';

/** Every circuit of ../shared/circuits with its reference. */
export const CIRCUIT_CASES: readonly CircuitCase[] = [
  {
    file: 'aes_128.txt',
    andGates: 6400,
    msbFirst: false,
    randomInputs: (rng) => [hex(rng, 16), hex(rng, 16)],
    reference: ([key, pt]) => [aes(key!, pt!)],
  },
  {
    file: 'AES-non-expanded.txt',
    andGates: 6800,
    msbFirst: true,
    randomInputs: (rng) => [hex(rng, 16), hex(rng, 16)],
    reference: ([pt, key]) => [aes(key!, pt!)],
  },
  {
    // only the IV chaining value has a node:crypto reference for one block; two-block chaining is tested apart
    file: 'sha256.txt',
    andGates: 22573,
    msbFirst: false,
    randomInputs: (rng) => {
      const m = Buffer.from(hex(rng, rng.uniformInt(56)), 'hex');
      return [sha256Block(m), SHA256_IV];
    },
    reference: ([block]) => {
      const b = Buffer.from(block!, 'hex');
      const length = Number(b.readBigUInt64BE(56)) / 8;
      return [createHash('sha256').update(b.subarray(0, length)).digest('hex')];
    },
  },
  {
    file: 'adder64.txt',
    andGates: 63,
    msbFirst: false,
    randomInputs: (r) => [int64(r), int64(r)],
    reference: ([a, b]) => [h64(u64(a!) + u64(b!))],
  },
  {
    file: 'sub64.txt',
    andGates: 63,
    msbFirst: false,
    randomInputs: (r) => [int64(r), int64(r)],
    reference: ([a, b]) => [h64(u64(a!) - u64(b!))],
  },
  {
    file: 'neg64.txt',
    andGates: 62,
    msbFirst: false,
    randomInputs: (r) => [int64(r)],
    reference: ([a]) => [h64(-u64(a!))],
  },
  {
    file: 'mult64.txt',
    andGates: 4033,
    msbFirst: false,
    randomInputs: (r) => [int64(r), int64(r)],
    reference: ([a, b]) => [h64(u64(a!) * u64(b!))],
  },
  {
    file: 'mult2_64.txt',
    andGates: 8128,
    msbFirst: false,
    randomInputs: (r) => [int64(r), int64(r)],
    reference: ([a, b]) => {
      const p = u64(a!) * u64(b!);
      return [h64(p >> 64n), h64(p)];
    },
  },
  {
    file: 'zero_equal.txt',
    andGates: 63,
    msbFirst: false,
    randomInputs: (r) => [r.uniformInt(3) === 0 ? h64(0n) : int64(r)],
    reference: ([a]) => [bit(u64(a!) === 0n)],
  },
  {
    file: 'compare.txt',
    andGates: 272,
    msbFirst: false,
    randomInputs: (r) => [int64(r), int64(r)],
    reference: ([a, b]) => [bit(s64(u64(a!)) < s64(u64(b!)))],
  },
  {
    file: 'compare_eq.txt',
    andGates: 273,
    msbFirst: false,
    randomInputs: (r) => {
      const a = int64(r);
      return [a, r.uniformInt(4) === 0 ? a : int64(r)];
    },
    reference: ([a, b]) => [bit(s64(u64(a!)) <= s64(u64(b!)))],
  },
];

const parsed = new Map<string, Circuit>();

/** A circuit of ../shared/circuits, parsed once per process. */
export function loadCircuit(file: string): Circuit {
  let c = parsed.get(file);
  if (!c) {
    c = parseBristol(readFileSync(join(CIRCUITS_DIR, file), 'utf8'), file);
    parsed.set(file, c);
  }
  return c;
}
