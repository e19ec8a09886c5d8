/**
 * 2-D transpose in blocks of 32 x 32 (cache-friendly). Hand-written because tfjs-wasm's Transpose kernel runs
 * at ~60 M floats/s here, several times slower than this loop.
 */

/** out (cols x rows) = src (rows x cols) transposed. */
export function transpose2d(
  src: Float32Array,
  rows: number,
  cols: number,
  out = new Float32Array(rows * cols),
): Float32Array {
  const block = 32;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c0 = 0; c0 < cols; c0 += block) {
      const c1 = Math.min(cols, c0 + block);
      for (let r = r0; r < r1; r++) {
        const rowBase = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[rowBase + c]!;
      }
    }
  }
  return out;
}
