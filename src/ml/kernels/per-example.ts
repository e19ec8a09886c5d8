/**
 * Per-example algebra for DP-SGD (hot code, no validation): squared row norms, row scaling, and the batched
 * product G_b = U_b^T D_b that gives each example's weight gradient of a convolution from its unfolded patches
 * (P rows of U_b, P rows of D_b). The batched product has the same cost as the summed weight gradient U^T D.
 */

/** out[b] += sum_j a[b, j]^2 for a (batch x width). Float64 accumulation. */
export function addRowSquaredNorms(a: Float32Array, batch: number, width: number, out: Float64Array): void {
  for (let b = 0; b < batch; b++) {
    let s = 0;
    const base = b * width;
    for (let j = 0; j < width; j++) {
      const v = a[base + j]!;
      s += v * v;
    }
    out[b]! += s;
  }
}

/** Row sums of squares as a new Float64Array. */
export function rowSquaredNorms(a: Float32Array, batch: number, width: number): Float64Array {
  const out = new Float64Array(batch);
  addRowSquaredNorms(a, batch, width, out);
  return out;
}

/** out[b, :] = w[b] * a[b, :] (rows of `width`, `rowsPerExample` rows per example). */
export function scaleRows(
  a: Float32Array,
  weights: Float32Array,
  rowsPerExample: number,
  width: number,
): Float32Array {
  const out = new Float32Array(a.length);
  const stride = rowsPerExample * width;
  for (let b = 0; b < weights.length; b++) {
    const w = weights[b]!;
    const base = b * stride;
    for (let j = 0; j < stride; j++) out[base + j] = a[base + j]! * w;
  }
  return out;
}

/**
 * G [batch, k, c] with G_b = U_b^T D_b, U_b = rows b*p .. b*p+p-1 of U (p x k), D_b likewise (p x c).
 * The inner loop runs over c, contiguous in both D and G.
 */
export function batchedProductTN(
  u: Float32Array,
  d: Float32Array,
  batch: number,
  p: number,
  k: number,
  c: number,
): Float32Array {
  const g = new Float32Array(batch * k * c);
  for (let b = 0; b < batch; b++) {
    const gBase = b * k * c;
    for (let r = 0; r < p; r++) {
      const uRow = (b * p + r) * k;
      const dRow = (b * p + r) * c;
      for (let i = 0; i < k; i++) {
        const uv = u[uRow + i]!;
        if (uv === 0) continue;
        const gRow = gBase + i * c;
        for (let j = 0; j < c; j++) g[gRow + j]! += uv * d[dRow + j]!;
      }
    }
  }
  return g;
}

/** out += sum_b w[b] * g[b, :] for g (batch x width); w null means all ones. */
export function accumulateWeighted(
  g: Float32Array,
  batch: number,
  width: number,
  weights: Float32Array | null,
  out: Float32Array,
): void {
  for (let b = 0; b < batch; b++) {
    const w = weights ? weights[b]! : 1;
    if (w === 0) continue;
    const base = b * width;
    for (let j = 0; j < width; j++) out[j]! += w * g[base + j]!;
  }
}
