/** Each WebAssembly kernel against its plain-JavaScript reference (the oracle), on awkward shapes. */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../core/index.js';
import { windowGeometry } from '../conv-geometry.js';
import { col2im, im2col } from '../im2col.js';
import { accumulateWeighted, addRowSquaredNorms, batchedProductTN, scaleRows } from '../per-example.js';
import { maxPoolBackward, maxPoolForward } from '../pool.js';
import { transpose2d } from '../transpose.js';
import {
  wasmAccumulateWeighted,
  wasmAddRowSquaredNorms,
  wasmBatchedProductTN,
  wasmCol2im,
  wasmGemm,
  wasmGemmAccumulate,
  wasmIm2col,
  wasmMaxPoolBackward,
  wasmMaxPoolForward,
  wasmScaleRows,
  wasmTanh,
  wasmTanhBackward,
  wasmTranspose,
} from './runtime.js';

const rnd = (n: number, seed: number) => {
  const r = seededRng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe('wasm kernels = JavaScript references', () => {
  it('GEMM on odd shapes (row pairs, 16- and 4-column blocks, scalar tails)', () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 5, 7],
      [7, 33, 16],
      [9, 17, 37],
      [64, 64, 52],
      [5, 300, 20],
    ] as const) {
      const a = rnd(m * k, 12);
      const b = rnd(k * n, 13);
      const ref = new Float32Array(m * n);
      for (let i = 0; i < m; i++)
        for (let t = 0; t < k; t++)
          for (let j = 0; j < n; j++) ref[i * n + j]! += a[i * k + t]! * b[t * n + j]!;
      close(wasmGemm(a, b, m, k, n), ref, 1e-5);
      const acc = rnd(m * n, 14);
      const expected = Float32Array.from(acc, (v, i) => v + ref[i]!);
      wasmGemmAccumulate(a, b, m, k, n, acc);
      close(acc, expected, 1e-5);
    }
  });

  it('row scaling', () => {
    const a = rnd(3 * 2 * 7, 15);
    const w = Float32Array.of(2, -1, 0.5);
    close(wasmScaleRows(a, w, 2, 7), scaleRows(a, w, 2, 7), 0);
  });

  it('batched per-example products, with and without a channel count divisible by 4', () => {
    for (const [b, p, k, c] of [
      [3, 7, 5, 8],
      [2, 4, 9, 6],
      [1, 25, 256, 32],
    ] as const) {
      const u = rnd(b * p * k, 1);
      const d = rnd(b * p * c, 2);
      close(wasmBatchedProductTN(u, d, b, p, k, c), batchedProductTN(u, d, b, p, k, c));
    }
  });

  it('im2col and col2im for same/valid padding, strides and channel counts', () => {
    for (const [shape, kernel, stride, padding] of [
      [[28, 28, 1], [8, 8], [2, 2], 'same'],
      [[13, 13, 16], [4, 4], [2, 2], 'valid'],
      [[7, 9, 3], [3, 2], [1, 2], 'same'],
    ] as const) {
      const g = windowGeometry('t', shape, kernel, stride, padding);
      const x = rnd(2 * shape[0] * shape[1] * shape[2], 3);
      const u = im2col(x, 2, g);
      close(wasmIm2col(x, 2, g), u);
      const du = rnd(u.length, 4);
      close(wasmCol2im(du, 2, g), col2im(du, 2, g));
    }
  });

  it('max pooling forward and backward', () => {
    const g = windowGeometry('t', [14, 14, 16], [2, 2], [1, 1], 'valid');
    const x = rnd(3 * 14 * 14 * 16, 5);
    const ref = maxPoolForward(x, 3, g);
    const got = wasmMaxPoolForward(x, 3, g);
    close(got.y, ref.y);
    expect(Array.from(got.argmax)).toEqual(Array.from(ref.argmax));
    const dy = rnd(ref.y.length, 6);
    close(wasmMaxPoolBackward(dy, ref.argmax, x.length), maxPoolBackward(dy, ref.argmax, x.length));
  });

  it('tanh to within 3 ulp of float32, and its backward', () => {
    const x = Float32Array.from([...rnd(1001, 7).map((v) => v * 4), 0, 1e-6, -1e-5, 20, -20, 9.5]);
    close(wasmTanh(x), Float32Array.from(x, Math.tanh), 5e-7);
    const y = Float32Array.from(x, Math.tanh);
    const dy = rnd(x.length, 8);
    close(
      wasmTanhBackward(dy, y),
      Float32Array.from(dy, (v, i) => v * (1 - y[i]! * y[i]!)),
    );
  });

  it('row norms, weighted accumulation and transpose', () => {
    const a = rnd(7 * 2051, 9);
    const n1 = new Float64Array(7).fill(1);
    const n2 = new Float64Array(7).fill(1);
    wasmAddRowSquaredNorms(a, 7, 2051, n1);
    addRowSquaredNorms(a, 7, 2051, n2);
    close(n1, n2, 1e-6);
    const w = rnd(7, 10);
    const o1 = rnd(2051, 11);
    const o2 = Float32Array.from(o1);
    wasmAccumulateWeighted(a, 7, 2051, w, o1);
    accumulateWeighted(a, 7, 2051, w, o2);
    close(o1, o2);
    wasmAccumulateWeighted(a, 7, 2051, null, o1);
    accumulateWeighted(a, 7, 2051, null, o2);
    close(o1, o2);
    close(wasmTranspose(a, 7, 2051), transpose2d(a, 7, 2051), 0);
  });
});
