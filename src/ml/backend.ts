/**
 * TensorFlow.js' WASM backend (tfjs-core + @tensorflow/tfjs-backend-wasm, XNNPACK) as an independent oracle
 * for Veil's own WebAssembly SIMD kernels — the only file that imports @tensorflow/* (ARCHITECTURE decision 3,
 * amended in docs/architecture.md: measured here, Veil's kernels run the engine's products 1.3-9x faster than
 * tfjs-wasm once tfjs' copies are counted, so tfjs stays in the test suite, not on the training path).
 * Test-only: nothing in the library imports this file.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

let ready: Promise<void> | null = null;

/** Loads tfjs' WASM backend once. */
export function initTfjs(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js WASM backend failed to initialise');
    await tf.ready();
  })();
  return ready;
}

/** C = A B for row-major A (m x k) and B (k x n), computed by tfjs-wasm's GEMM. */
export function tfjsGemm(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k], 'float32'), tf.tensor2d(b, [k, n], 'float32')));
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/** tfjs' conv2d (NHWC input, HWIO kernel, TensorFlow padding). */
export function tfjsConv2d(
  x: Float32Array,
  xShape: [number, number, number, number],
  w: Float32Array,
  wShape: [number, number, number, number],
  strides: [number, number],
  padding: 'valid' | 'same',
): Float32Array {
  const out = tf.tidy(() => tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(w, wShape), strides, padding));
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}
