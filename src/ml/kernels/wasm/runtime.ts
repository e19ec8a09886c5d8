/**
 * Veil's WebAssembly SIMD kernels (kernels.as.ts, compiled into kernels.wasm.gen.ts) and the arena they work in.
 *
 * The module runs over one shared WebAssembly memory. Layers allocate their outputs in it with {@link allocF32}
 * (a bump allocator), so a kernel's output is the next kernel's input without a copy; arrays from elsewhere are
 * copied in on use. Growing a shared memory never detaches existing views, so arrays stay valid while the
 * arena grows. The arena is reset by the model at the start of every forward pass ({@link arenaReset}): arrays
 * from an earlier pass must not be used after that, and the per-example gradients check it ({@link arenaGeneration}).
 *
 * The kernels run 5-10x faster than the equivalent JavaScript loops (BENCHMARKS.md); the plain loops in ../*.ts
 * stay as the reference implementations the tests compare against.
 */
import { InternalError } from '../../../core/index.js';
import type { WindowGeometry } from '../conv-geometry.js';
import { KERNELS_WASM_BASE64 } from './kernels.wasm.gen.js';

interface KernelExports {
  batchedTN(u: number, d: number, g: number, batch: number, p: number, k: number, c: number): void;
  batchedTN16(u: number, d: number, g: number, batch: number, p: number, k: number, c: number): void;
  im2col(x: number, u: number, ...geometry: number[]): void;
  col2im(du: number, dx: number, ...geometry: number[]): void;
  maxPoolForward(x: number, y: number, argmax: number, ...geometry: number[]): void;
  maxPoolBackward(dy: number, argmax: number, dx: number, n: number): void;
  tanhForward(x: number, y: number, n: number): void;
  tanhBackward(dy: number, y: number, dx: number, n: number): void;
  addRowSquaredNorms(a: number, out: number, batch: number, width: number): void;
  accumulateWeighted(g: number, w: number, out: number, batch: number, width: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  gemm(a: number, b: number, c: number, m: number, k: number, n: number, accumulate: number): void;
  scaleRows(a: number, w: number, out: number, batch: number, rows: number, width: number): void;
}

/** The subset of the WebAssembly JS API used here (TypeScript's ES lib does not declare it). */
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65536;
/** The arena starts after the first page, which holds the module's static data (264 bytes). */
const BASE = PAGE;
const MAX_PAGES = 65536; // 4 GiB of address space; only touched pages take memory
const memory = new wasm.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
const kernels = new wasm.Instance(new wasm.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64')), {
  env: { memory },
}).exports as unknown as KernelExports;

const arenaBuffers = new WeakSet<ArrayBufferLike>();
let top = BASE;
let generation = 0;

function buffer(): SharedArrayBuffer {
  const b = memory.buffer;
  arenaBuffers.add(b);
  return b;
}

/** Frees every arena array at once (the model calls this at the start of each forward pass). */
export function arenaReset(): void {
  top = BASE;
  generation++;
}

/** Increments at every reset: arrays and gradients from an older generation are stale. */
export function arenaGeneration(): number {
  return generation;
}

/** Bytes currently allocated in the arena (for memory reports). */
export function arenaBytes(): number {
  return top - BASE;
}

function bump(bytes: number): number {
  const offset = top;
  top += Math.ceil(bytes / 16) * 16;
  const have = memory.buffer.byteLength;
  if (top > have) {
    const pages = Math.ceil((top - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new InternalError(
        `ml arena: ${top} bytes exceed the 4 GiB address space; use a smaller physical batch`,
      );
    }
    memory.grow(pages);
  }
  return offset;
}

/** A float32 array of `n` elements in the arena, zeroed unless `zero` is false. */
export function allocF32(n: number, zero = true): Float32Array {
  const offset = bump(n * 4); // before buffer(): growing replaces memory.buffer
  const view = new Float32Array(buffer(), offset, n);
  if (zero) view.fill(0);
  return view;
}

function allocI32(n: number): Int32Array {
  const offset = bump(n * 4);
  return new Int32Array(buffer(), offset, n);
}

/** The byte offset of `a` in the arena, copying it in first when it lives elsewhere. */
function ptr(a: Float32Array | Int32Array): number {
  if (arenaBuffers.has(a.buffer)) return a.byteOffset;
  const copy = a instanceof Float32Array ? allocF32(a.length, false) : allocI32(a.length);
  copy.set(a);
  return copy.byteOffset;
}

function geometryArgs(batch: number, g: WindowGeometry): number[] {
  return [
    batch,
    g.inH,
    g.inW,
    g.channels,
    g.kernelH,
    g.kernelW,
    g.strideH,
    g.strideW,
    g.padTop,
    g.padLeft,
    g.outH,
    g.outW,
  ];
}

/** G [batch, k, c], G_b = U_b^T D_b (see ../per-example.ts batchedProductTN). */
export function wasmBatchedProductTN(
  u: Float32Array,
  d: Float32Array,
  batch: number,
  p: number,
  k: number,
  c: number,
): Float32Array {
  const uo = ptr(u);
  const dOff = ptr(d);
  const g = allocF32(batch * k * c, false);
  // the register-blocked kernel needs at least 16 output columns; narrower products use the simple one
  if (c >= 16) kernels.batchedTN16(uo, dOff, g.byteOffset, batch, p, k, c);
  else kernels.batchedTN(uo, dOff, g.byteOffset, batch, p, k, c);
  return g;
}

/** im2col (see ../im2col.ts). */
export function wasmIm2col(x: Float32Array, batch: number, g: WindowGeometry): Float32Array {
  const xo = ptr(x);
  const u = allocF32(batch * g.outH * g.outW * g.kernelH * g.kernelW * g.channels, false);
  kernels.im2col(xo, u.byteOffset, ...geometryArgs(batch, g));
  return u;
}

/** col2im (see ../im2col.ts). */
export function wasmCol2im(du: Float32Array, batch: number, g: WindowGeometry): Float32Array {
  const duo = ptr(du);
  const dx = allocF32(batch * g.inH * g.inW * g.channels);
  kernels.col2im(duo, dx.byteOffset, ...geometryArgs(batch, g));
  return dx;
}

/** Max pooling with argmax (see ../pool.ts). */
export function wasmMaxPoolForward(
  x: Float32Array,
  batch: number,
  g: WindowGeometry,
): { y: Float32Array; argmax: Int32Array } {
  const n = batch * g.outH * g.outW * g.channels;
  const xo = ptr(x);
  const y = allocF32(n, false);
  const argmax = allocI32(n);
  kernels.maxPoolForward(xo, y.byteOffset, argmax.byteOffset, ...geometryArgs(batch, g));
  return { y, argmax };
}

/** The adjoint of max pooling. */
export function wasmMaxPoolBackward(dy: Float32Array, argmax: Int32Array, inputSize: number): Float32Array {
  const dyo = ptr(dy);
  const ao = ptr(argmax);
  const dx = allocF32(inputSize);
  kernels.maxPoolBackward(dyo, ao, dx.byteOffset, dy.length);
  return dx;
}

/** tanh, element-wise. */
export function wasmTanh(x: Float32Array): Float32Array {
  const xo = ptr(x);
  const y = allocF32(x.length, false);
  kernels.tanhForward(xo, y.byteOffset, x.length);
  return y;
}

/** dy * (1 - y^2). */
export function wasmTanhBackward(dy: Float32Array, y: Float32Array): Float32Array {
  const dyo = ptr(dy);
  const yo = ptr(y);
  const dx = allocF32(dy.length, false);
  kernels.tanhBackward(dyo, yo, dx.byteOffset, dy.length);
  return dx;
}

/** out[b] += ||a[b, :]||^2. */
export function wasmAddRowSquaredNorms(
  a: Float32Array,
  batch: number,
  width: number,
  out: Float64Array,
): void {
  const ao = ptr(a);
  const oo = bump(batch * 8);
  const view = new Float64Array(buffer(), oo, batch);
  view.set(out);
  kernels.addRowSquaredNorms(ao, oo, batch, width);
  out.set(view);
}

/** out += sum_b w[b] g[b, :]. */
export function wasmAccumulateWeighted(
  g: Float32Array,
  batch: number,
  width: number,
  weights: Float32Array | null,
  out: Float32Array,
): void {
  const go = ptr(g);
  const wo = weights ? ptr(weights) : 0;
  const o = allocF32(width, false);
  o.set(out);
  kernels.accumulateWeighted(go, wo, o.byteOffset, batch, width);
  out.set(o);
}

/** 2-D transpose. */
export function wasmTranspose(src: Float32Array, rows: number, cols: number): Float32Array {
  const so = ptr(src);
  const dst = allocF32(src.length, false);
  kernels.transpose(so, dst.byteOffset, rows, cols);
  return dst;
}

/** C (m x n) = A (m x k) B (k x n); see kernels.as.ts for when this beats tfjs-wasm's GEMM. */
export function wasmGemm(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const ao = ptr(a);
  const bo = ptr(b);
  const c = allocF32(m * n, false);
  kernels.gemm(ao, bo, c.byteOffset, m, k, n, 0);
  return c;
}

/** out += A (m x k) B (k x n), into a plain array `out` (copied through the arena). */
export function wasmGemmAccumulate(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array,
): void {
  const ao = ptr(a);
  const bo = ptr(b);
  const c = allocF32(m * n, false);
  c.set(out);
  kernels.gemm(ao, bo, c.byteOffset, m, k, n, 1);
  out.set(c);
}

/** out[b, :] = w[b] a[b, :] (rowsPerExample rows of `width` per example). */
export function wasmScaleRows(
  a: Float32Array,
  weights: Float32Array,
  rowsPerExample: number,
  width: number,
): Float32Array {
  const ao = ptr(a);
  const wo = ptr(weights);
  const out = allocF32(a.length, false);
  kernels.scaleRows(ao, wo, out.byteOffset, weights.length, rowsPerExample, width);
  return out;
}
