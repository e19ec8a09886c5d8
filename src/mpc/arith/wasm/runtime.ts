/**
 * The Z_2^64 kernels of ring.as.ts (compiled into ring.wasm.gen.ts), wrapped over `BigUint64Array`s.
 *
 * Why WebAssembly: a BigInt operation allocates, so a JavaScript loop over 64-bit ring elements runs at tens of
 * nanoseconds per element; WebAssembly's i64 add/sub/mul wrap around mod 2^64 natively, one instruction each.
 * A 1000 x 1000 ring matrix product (10^9 multiply-adds) takes about a second here instead of hours.
 *
 * The module has its own linear memory (not shared). Each call copies its operands in at offset 64 KiB, runs,
 * and copies the result out; growing the memory detaches earlier views, so views are made after growing and
 * never kept between calls. The module is instantiated on first use (no import-time side effects). Kernels
 * validate nothing: callers check lengths and shapes. The BigInt versions in ../reference.ts are the oracle.
 */
import { InternalError } from '../../../core/index.js';
import { RING_WASM_BASE64 } from './ring.wasm.gen.js';

interface RingExports {
  readonly memory: WasmMemory;
  add(a: number, b: number, out: number, n: number): void;
  sub(a: number, b: number, out: number, n: number): void;
  mul(a: number, b: number, out: number, n: number): void;
  mulScalar(a: number, s: bigint, out: number, n: number): void;
  addScalar(a: number, s: bigint, out: number, n: number): void;
  beaver(c: number, e: number, f: number, a: number, b: number, out: number, n: number, lead: number): void;
  truncate(x: number, out: number, n: number, bits: number, lead: number): void;
  matmul(a: number, b: number, c: number, n: number, k: number, m: number): void;
}

/** The subset of the WebAssembly JS API used here (TypeScript's ES lib does not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

const PAGE = 65536;
/** Operands start after the first page (the module has no static data; the page is left to it). */
const BASE = PAGE;
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - BASE;

let instance: RingExports | undefined;

function ring(): RingExports {
  if (instance === undefined) {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(RING_WASM_BASE64, 'base64'));
    instance = new wasm.Instance(module, { env: { abort: () => undefined } }).exports as RingExports;
  }
  return instance;
}

/** Grows the memory to hold `words` 64-bit words after BASE and returns a view of them (valid until the next call). */
function scratch(words: number): BigUint64Array {
  const k = ring();
  const bytes = words * 8;
  if (bytes > MAX_BYTES) {
    throw new InternalError(`mpc ring kernels: ${bytes} bytes of operands exceed the 4 GiB address space`);
  }
  const have = k.memory.buffer.byteLength;
  if (BASE + bytes > have) k.memory.grow(Math.ceil((BASE + bytes - have) / PAGE));
  return new BigUint64Array(k.memory.buffer, BASE, words);
}

/** Copies `arrays` in one after another; returns the byte offsets of each and of the output area after them. */
function load(arrays: readonly BigUint64Array[], outWords: number): { offsets: number[]; out: number } {
  let total = outWords;
  for (const a of arrays) total += a.length;
  const view = scratch(total);
  const offsets: number[] = [];
  let word = 0;
  for (const a of arrays) {
    view.set(a, word);
    offsets.push(BASE + word * 8);
    word += a.length;
  }
  return { offsets, out: BASE + word * 8 };
}

function result(out: number, words: number): BigUint64Array {
  return new BigUint64Array(ring().memory.buffer, out, words).slice();
}

type Binary = 'add' | 'sub' | 'mul';

function binary(op: Binary, a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  const n = a.length;
  const { offsets, out } = load([a, b], n);
  ring()[op](offsets[0]!, offsets[1]!, out, n);
  return result(out, n);
}

/** a + b mod 2^64, elementwise (equal lengths, unchecked). */
export function wasmAdd(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  return binary('add', a, b);
}

/** a - b mod 2^64, elementwise (equal lengths, unchecked). */
export function wasmSub(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  return binary('sub', a, b);
}

/** a * b mod 2^64, elementwise (equal lengths, unchecked). */
export function wasmMul(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  return binary('mul', a, b);
}

/** a * s mod 2^64 for a ring scalar s (any bigint; taken mod 2^64). */
export function wasmMulScalar(a: BigUint64Array, s: bigint): BigUint64Array {
  const { offsets, out } = load([a], a.length);
  ring().mulScalar(offsets[0]!, BigInt.asIntN(64, s), out, a.length);
  return result(out, a.length);
}

/** a + s mod 2^64 for a ring scalar s (any bigint; taken mod 2^64). */
export function wasmAddScalar(a: BigUint64Array, s: bigint): BigUint64Array {
  const { offsets, out } = load([a], a.length);
  ring().addScalar(offsets[0]!, BigInt.asIntN(64, s), out, a.length);
  return result(out, a.length);
}

/** A party's share c_i + e*b_i + f*a_i (+ e*f when `lead`) of a Beaver product; all of one length. */
export function wasmBeaver(
  c: BigUint64Array,
  e: BigUint64Array,
  f: BigUint64Array,
  a: BigUint64Array,
  b: BigUint64Array,
  lead: boolean,
): BigUint64Array {
  const n = c.length;
  const { offsets, out } = load([c, e, f, a, b], n);
  const [oc, oe, of, oa, ob] = offsets as [number, number, number, number, number];
  ring().beaver(oc, oe, of, oa, ob, out, n, lead ? 1 : 0);
  return result(out, n);
}

/** SecureML local truncation of one party's shares by `bits` (party 0 is `lead`). */
export function wasmTruncate(x: BigUint64Array, bits: number, lead: boolean): BigUint64Array {
  const { offsets, out } = load([x], x.length);
  ring().truncate(offsets[0]!, out, x.length, bits, lead ? 1 : 0);
  return result(out, x.length);
}

/** C (n x m) = A (n x k) * B (k x m) mod 2^64, row-major (lengths unchecked). Cache-blocked, i-k-j order. */
export function wasmMatmul(
  a: BigUint64Array,
  b: BigUint64Array,
  n: number,
  k: number,
  m: number,
): BigUint64Array {
  const { offsets, out } = load([a, b], n * m);
  ring().matmul(offsets[0]!, offsets[1]!, out, n, k, m);
  return result(out, n * m);
}
