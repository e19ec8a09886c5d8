/**
 * Loads Veil's WebAssembly SIMD kernels (kernels.as.ts, compiled into kernels.wasm.gen.ts) and wraps them for
 * Float32Arrays: each call copies its inputs into the module's memory (from byte 65,536; the first page holds
 * the module's static data), runs, and copies the result out. Copies cost ~1 ns per float; the kernels run
 * 5-10x faster than the equivalent JavaScript loops (BENCHMARKS.md). The plain loops in ../*.ts stay as the
 * reference implementations the tests compare against.
 */
import { InternalError } from '../../../core/index.js';
import type { WindowGeometry } from '../conv-geometry.js';
import { KERNELS_WASM_BASE64 } from './kernels.wasm.gen.js';

interface KernelExports {
  batchedTN(u: number, d: number, g: number, batch: number, p: number, k: number, c: number): void;
  im2col(x: number, u: number, ...geometry: number[]): void;
  col2im(du: number, dx: number, ...geometry: number[]): void;
  maxPoolForward(x: number, y: number, argmax: number, ...geometry: number[]): void;
  maxPoolBackward(dy: number, argmax: number, dx: number, n: number): void;
  tanhForward(x: number, y: number, n: number): void;
  tanhBackward(dy: number, y: number, dx: number, n: number): void;
  addRowSquaredNorms(a: number, out: number, batch: number, width: number): void;
  accumulateWeighted(g: number, w: number, out: number, batch: number, width: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
}

/** The subset of the WebAssembly JS API used here (TypeScript's ES lib does not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const BASE = 65536;
const PAGE = 65536;
const memory = new wasm.Memory({ initial: 16 });
const kernels = new wasm.Instance(new wasm.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64')), {
  env: { memory },
}).exports as unknown as KernelExports;

/** Lays out `sizes` bytes (each rounded to 16) from BASE, grows the memory to fit, returns the offsets. */
function layout(...sizes: number[]): number[] {
  const offsets: number[] = [];
  let end = BASE;
  for (const size of sizes) {
    offsets.push(end);
    end += Math.ceil(size / 16) * 16;
  }
  if (end > 2 ** 32)
    throw new InternalError(
      `wasm kernels: ${end} bytes exceed the 4 GiB address space; use a smaller physical batch`,
    );
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
  return offsets;
}

const f32 = () => new Float32Array(memory.buffer);
const put = (data: Float32Array, offset: number) => f32().set(data, offset >> 2);
const take = (offset: number, length: number) => f32().slice(offset >> 2, (offset >> 2) + length);

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
  const n = batch * k * c;
  const [uo, dOff, go] = layout(u.length * 4, d.length * 4, n * 4) as [number, number, number];
  put(u, uo);
  put(d, dOff);
  kernels.batchedTN(uo, dOff, go, batch, p, k, c);
  return take(go, n);
}

/** im2col (see ../im2col.ts). */
export function wasmIm2col(x: Float32Array, batch: number, g: WindowGeometry): Float32Array {
  const n = batch * g.outH * g.outW * g.kernelH * g.kernelW * g.channels;
  const [xo, uo] = layout(x.length * 4, n * 4) as [number, number];
  put(x, xo);
  kernels.im2col(xo, uo, ...geometryArgs(batch, g));
  return take(uo, n);
}

/** col2im (see ../im2col.ts). */
export function wasmCol2im(du: Float32Array, batch: number, g: WindowGeometry): Float32Array {
  const n = batch * g.inH * g.inW * g.channels;
  const [duo, dxo] = layout(du.length * 4, n * 4) as [number, number];
  put(du, duo);
  f32().fill(0, dxo >> 2, (dxo >> 2) + n);
  kernels.col2im(duo, dxo, ...geometryArgs(batch, g));
  return take(dxo, n);
}

/** Max pooling with argmax (see ../pool.ts). */
export function wasmMaxPoolForward(
  x: Float32Array,
  batch: number,
  g: WindowGeometry,
): { y: Float32Array; argmax: Int32Array } {
  const n = batch * g.outH * g.outW * g.channels;
  const [xo, yo, ao] = layout(x.length * 4, n * 4, n * 4) as [number, number, number];
  put(x, xo);
  kernels.maxPoolForward(xo, yo, ao, ...geometryArgs(batch, g));
  return { y: take(yo, n), argmax: new Int32Array(memory.buffer).slice(ao >> 2, (ao >> 2) + n) };
}

/** The adjoint of max pooling. */
export function wasmMaxPoolBackward(dy: Float32Array, argmax: Int32Array, inputSize: number): Float32Array {
  const [dyo, ao, dxo] = layout(dy.length * 4, argmax.length * 4, inputSize * 4) as [number, number, number];
  put(dy, dyo);
  new Int32Array(memory.buffer).set(argmax, ao >> 2);
  f32().fill(0, dxo >> 2, (dxo >> 2) + inputSize);
  kernels.maxPoolBackward(dyo, ao, dxo, dy.length);
  return take(dxo, inputSize);
}

/** tanh, element-wise. */
export function wasmTanh(x: Float32Array): Float32Array {
  const [xo, yo] = layout(x.length * 4, x.length * 4) as [number, number];
  put(x, xo);
  kernels.tanhForward(xo, yo, x.length);
  return take(yo, x.length);
}

/** dy * (1 - y^2). */
export function wasmTanhBackward(dy: Float32Array, y: Float32Array): Float32Array {
  const [dyo, yo, dxo] = layout(dy.length * 4, y.length * 4, dy.length * 4) as [number, number, number];
  put(dy, dyo);
  put(y, yo);
  kernels.tanhBackward(dyo, yo, dxo, dy.length);
  return take(dxo, dy.length);
}

/** out[b] += ||a[b, :]||^2. */
export function wasmAddRowSquaredNorms(
  a: Float32Array,
  batch: number,
  width: number,
  out: Float64Array,
): void {
  const [ao, oo] = layout(a.length * 4, batch * 8) as [number, number];
  put(a, ao);
  const view = new Float64Array(memory.buffer, oo, batch);
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
  const [go, wo, oo] = layout(g.length * 4, weights ? batch * 4 : 16, width * 4) as [number, number, number];
  put(g, go);
  if (weights) put(weights, wo);
  put(out, oo);
  kernels.accumulateWeighted(go, weights ? wo : 0, oo, batch, width);
  out.set(f32().subarray(oo >> 2, (oo >> 2) + width));
}

/** 2-D transpose. */
export function wasmTranspose(src: Float32Array, rows: number, cols: number): Float32Array {
  const [so, dOff] = layout(src.length * 4, src.length * 4) as [number, number];
  put(src, so);
  kernels.transpose(so, dOff, rows, cols);
  return take(dOff, src.length);
}
