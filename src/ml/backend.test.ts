/**
 * Cross-check (as noble-hashes checks itself against node:crypto): Veil's WASM GEMM and convolution forward
 * pass against TensorFlow.js' WASM backend on the engine's real shapes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.js';
import { initTfjs, tfjsConv2d, tfjsGemm } from './backend.js';
import { wasmGemm } from './kernels/wasm/runtime.js';
import { Conv2D } from './layers/conv2d.js';
import { Tensor } from './tensor.js';

beforeAll(async () => {
  await initTfjs();
});

const rnd = (n: number, seed: number) => {
  const r = seededRng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};
const maxRel = (a: Float32Array, b: Float32Array) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
};

describe('Veil kernels = TensorFlow.js', () => {
  it.each([
    [256, 784, 256],
    [6400, 256, 32],
    [50176 / 4, 64, 16],
    [256, 32, 10],
  ])('GEMM %d x %d x %d', (m, k, n) => {
    const a = rnd(m * k, 1);
    const b = rnd(k * n, 2);
    expect(maxRel(wasmGemm(a, b, m, k, n), tfjsGemm(a, b, m, k, n))).toBeLessThan(1e-4);
  });

  it('the Papernot CNN convolutions (same and valid padding, stride 2)', () => {
    const rng = seededRng(3);
    for (const [shape, filters, kernel, padding] of [
      [[28, 28, 1], 16, 8, 'same'],
      [[13, 13, 16], 32, 4, 'valid'],
    ] as const) {
      const conv = new Conv2D(
        { filters, kernelSize: [kernel, kernel], strides: [2, 2], padding, useBias: false },
        shape,
        rng,
      );
      const x = rnd(8 * shape[0] * shape[1] * shape[2], 4);
      const ours = conv.forward(new Tensor([8, ...shape], x), false).y.data;
      const theirs = tfjsConv2d(
        x,
        [8, ...shape],
        conv.params[0]!.value,
        [kernel, kernel, shape[2], filters],
        [2, 2],
        padding,
      );
      expect(maxRel(Float32Array.from(ours), theirs)).toBeLessThan(1e-4);
    }
  });
});
