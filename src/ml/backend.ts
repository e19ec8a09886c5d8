/**
 * The one place Veil touches TensorFlow.js (ARCHITECTURE decision 3): tfjs-core with the WASM backend
 * (XNNPACK, SIMD; single-threaded under Node). Veil uses it for what it does fast here — dense matrix
 * products — and keeps everything else (im2col, pooling, activations, transposes, per-example products) in its
 * own kernels: measured on this machine, tfjs-wasm's GEMM reaches ~30 GFLOP/s while its transposes,
 * transposed/batched products, tanh, max-pool and conv2dTranspose run 10-20x slower than a plain loop would.
 *
 * Call {@link initBackend} once (the CLI and trainers do) before any layer runs.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { InternalError } from '../core/index.js';

/** What the backend runs on. */
export interface BackendInfo {
  readonly backend: string;
  readonly simd: boolean;
  readonly threads: boolean;
}

let ready: Promise<BackendInfo> | null = null;
let initialised = false;

/**
 * Loads the WASM backend (idempotent). The .wasm files ship inside the npm package; nothing is downloaded.
 * @returns which backend runs and whether SIMD/threads are available
 */
export function initBackend(): Promise<BackendInfo> {
  if (!ready) {
    ready = (async () => {
      const require = createRequire(import.meta.url);
      const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
      setWasmPaths(`${dirname(wasmFile)}/`);
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new InternalError('TensorFlow.js WASM backend failed to initialise');
      await tf.ready();
      initialised = true;
      return {
        backend: tf.getBackend(),
        simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
        threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
      };
    })();
  }
  return ready;
}

function requireBackend(): void {
  if (!initialised) throw new InternalError('ml backend used before initBackend() resolved');
}

/**
 * C = A B for row-major A (m x k) and B (k x n), through tfjs-wasm's GEMM. Inputs are copied into the WASM
 * heap and the result copied out (about 1 ns per float; small next to the product for the sizes Veil uses).
 */
export function gemm(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  requireBackend();
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k], 'float32'), tf.tensor2d(b, [k, n], 'float32')));
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/** Number of tensors tfjs holds (a leak check for tests). */
export function backendTensorCount(): number {
  return tf.memory().numTensors;
}
