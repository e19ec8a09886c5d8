// Veil's WebAssembly SIMD kernels, written in AssemblyScript (compiled by scripts/build-kernels.mjs into
// kernels.wasm.gen.ts; CI checks the two are in sync). Hand-written because tfjs-wasm offers no fast batched
// small products, im2col, pooling or tanh here; plain JavaScript runs these loops 5-10x slower.
// All pointers are byte offsets into this module's linear memory; arrays are f32 unless noted. No validation:
// the TypeScript wrappers in runtime.ts check shapes.

// G[b, i, j] = sum_r U[b, r, i] * D[b, r, j] (per-example weight gradients of a convolution from its patches)
export function batchedTN(u: usize, d: usize, g: usize, batch: i32, p: i32, k: i32, c: i32): void {
  const c4 = c & ~3;
  memory.fill(g, 0, (<usize>batch * <usize>k * <usize>c) << 2);
  for (let b = 0; b < batch; b++) {
    const gB = g + ((<usize>b * <usize>k * <usize>c) << 2);
    for (let r = 0; r < p; r++) {
      const uRow = u + ((<usize>(b * p + r) * <usize>k) << 2);
      const dRow = d + ((<usize>(b * p + r) * <usize>c) << 2);
      for (let i = 0; i < k; i++) {
        const s = load<f32>(uRow + (<usize>i << 2));
        if (s == 0) continue;
        const uv = f32x4.splat(s);
        const gRow = gB + ((<usize>i * <usize>c) << 2);
        let j = 0;
        for (; j < c4; j += 4) {
          const off = <usize>j << 2;
          v128.store(gRow + off, f32x4.add(v128.load(gRow + off), f32x4.mul(uv, v128.load(dRow + off))));
        }
        for (; j < c; j++) {
          const off = <usize>j << 2;
          store<f32>(gRow + off, load<f32>(gRow + off) + s * load<f32>(dRow + off));
        }
      }
    }
  }
}

// U[(b, oy, ox), (ky, kx, ch)] = x[b, oy*sh - pt + ky, ox*sw - pl + kx, ch] or 0 outside the image.
// Within a patch row the in-image taps are contiguous in x: zero-fill the left/right margins, copy the middle.
export function im2col(
  x: usize, u: usize, batch: i32, inH: i32, inW: i32, c: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, outH: i32, outW: i32,
): void {
  const rowFloats = kw * c;
  let o = u;
  for (let b = 0; b < batch; b++) {
    const xB = x + ((<usize>b * <usize>inH * <usize>inW * <usize>c) << 2);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * sw - pl;
        const kx0 = max(0, -ix0);
        const kx1 = min(kw, inW - ix0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= inH || kx1 <= kx0) {
            zero(o, rowFloats);
          } else {
            if (kx0 > 0) zero(o, kx0 * c);
            copy(o + (<usize>(kx0 * c) << 2), xB + ((<usize>(iy * inW + ix0 + kx0) * <usize>c) << 2), (kx1 - kx0) * c);
            if (kx1 < kw) zero(o + (<usize>(kx1 * c) << 2), (kw - kx1) * c);
          }
          o += <usize>rowFloats << 2;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function zero(dst: usize, n: i32): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

// @ts-ignore: decorator
@inline function copy(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// dx += adjoint of im2col applied to dU (dx must be zeroed by the caller)
export function col2im(
  du: usize, dx: usize, batch: i32, inH: i32, inW: i32, c: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, outH: i32, outW: i32,
): void {
  const c4 = c & ~3;
  let o = du;
  for (let b = 0; b < batch; b++) {
    const xB = dx + ((<usize>b * <usize>inH * <usize>inW * <usize>c) << 2);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= inH) {
            o += (<usize>kw * <usize>c) << 2;
            continue;
          }
          const yRow = xB + ((<usize>iy * <usize>inW * <usize>c) << 2);
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx;
            if (ix >= 0 && ix < inW) {
              const dst = yRow + ((<usize>ix * <usize>c) << 2);
              let ch = 0;
              for (; ch < c4; ch += 4) {
                const off = <usize>ch << 2;
                v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(o + off)));
              }
              for (; ch < c; ch++) {
                const off = <usize>ch << 2;
                store<f32>(dst + off, load<f32>(dst + off) + load<f32>(o + off));
              }
            }
            o += <usize>c << 2;
          }
        }
      }
    }
  }
}

// y = max over each window; argmax (i32) = flat input index of the maximum (the first one on ties).
// Channels are processed four at a time: compare, then select values and indices with the mask.
export function maxPoolForward(
  x: usize, y: usize, argmax: usize, batch: i32, inH: i32, inW: i32, c: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, outH: i32, outW: i32,
): void {
  const c4 = c & ~3;
  const lanes = i32x4(0, 1, 2, 3);
  let o: usize = 0;
  for (let b = 0; b < batch; b++) {
    const xBase = b * inH * inW * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let ch = 0;
        for (; ch < c4; ch += 4) {
          let best = f32x4.splat(-Infinity);
          let bestIndex = i32x4.splat(-1);
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= inW) continue;
              const idx = xBase + (iy * inW + ix) * c + ch;
              const v = v128.load(x + (<usize>idx << 2));
              const mask = f32x4.gt(v, best);
              best = v128.bitselect(v, best, mask);
              bestIndex = v128.bitselect(i32x4.add(i32x4.splat(idx), lanes), bestIndex, mask);
            }
          }
          v128.store(y + ((o + <usize>ch) << 2), best);
          v128.store(argmax + ((o + <usize>ch) << 2), bestIndex);
        }
        for (; ch < c; ch++) {
          let best: f32 = -Infinity;
          let bestIndex: i32 = -1;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= inW) continue;
              const idx = xBase + (iy * inW + ix) * c + ch;
              const v = load<f32>(x + (<usize>idx << 2));
              if (v > best) {
                best = v;
                bestIndex = idx;
              }
            }
          }
          store<f32>(y + ((o + <usize>ch) << 2), best);
          store<i32>(argmax + ((o + <usize>ch) << 2), bestIndex);
        }
        o += <usize>c;
      }
    }
  }
}

// dx[argmax[o]] += dy[o] (dx zeroed by the caller)
export function maxPoolBackward(dy: usize, argmax: usize, dx: usize, n: i32): void {
  for (let o = 0; o < n; o++) {
    const idx = load<i32>(argmax + (<usize>o << 2));
    const dst = dx + (<usize>idx << 2);
    store<f32>(dst, load<f32>(dst) + load<f32>(dy + (<usize>o << 2)));
  }
}

// y = tanh(x), four at a time: x P(x^2) / Q(x^2) on x clamped to +-7.905 (where float32 tanh is +-1), the
// rational minimax approximation Eigen uses for float tanh (max relative error 3e-7, ~2.5 ulp, measured against
// Math.tanh on [-10, 10]); y = x for |x| < 4e-4.
export function tanhForward(x: usize, y: usize, n: i32): void {
  const clamp = f32x4.splat(7.90531110763549805);
  const tiny = f32x4.splat(0.0004);
  const a13 = f32x4.splat(-2.76076847742355e-16), a11 = f32x4.splat(2.00018790482477e-13);
  const a9 = f32x4.splat(-8.60467152213735e-11), a7 = f32x4.splat(5.12229709037114e-8);
  const a5 = f32x4.splat(1.48572235717979e-5), a3 = f32x4.splat(6.37261928875436e-4);
  const a1 = f32x4.splat(4.89352455891786e-3);
  const b6 = f32x4.splat(1.19825839466702e-6), b4 = f32x4.splat(1.18534705686654e-4);
  const b2 = f32x4.splat(2.268434632439e-3), b0 = f32x4.splat(4.89352518554385e-3);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    const v = v128.load(x + off);
    const c = f32x4.max(f32x4.neg(clamp), f32x4.min(clamp, v));
    const x2 = f32x4.mul(c, c);
    let p = f32x4.add(f32x4.mul(a13, x2), a11);
    p = f32x4.add(f32x4.mul(p, x2), a9);
    p = f32x4.add(f32x4.mul(p, x2), a7);
    p = f32x4.add(f32x4.mul(p, x2), a5);
    p = f32x4.add(f32x4.mul(p, x2), a3);
    p = f32x4.add(f32x4.mul(p, x2), a1);
    p = f32x4.mul(p, c);
    let q = f32x4.add(f32x4.mul(b6, x2), b4);
    q = f32x4.add(f32x4.mul(q, x2), b2);
    q = f32x4.add(f32x4.mul(q, x2), b0);
    const t = f32x4.div(p, q);
    v128.store(y + off, v128.bitselect(v, t, f32x4.lt(f32x4.abs(v), tiny)));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    let t: f32;
    if (v > 9) t = 1;
    else if (v < -9) t = -1;
    else if (Mathf.abs(v) < 0.0004) t = v;
    else {
      const e = Mathf.exp(2 * v);
      t = (e - 1) / (e + 1);
    }
    store<f32>(y + (<usize>i << 2), t);
  }
}

// dx = dy * (1 - y^2)
export function tanhBackward(dy: usize, y: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    const yv = v128.load(y + off);
    v128.store(dx + off, f32x4.mul(v128.load(dy + off), f32x4.sub(one, f32x4.mul(yv, yv))));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const yv = load<f32>(y + off);
    store<f32>(dx + off, load<f32>(dy + off) * (1 - yv * yv));
  }
}

// out[b] (f64) += sum_j a[b, j]^2
export function addRowSquaredNorms(a: usize, out: usize, batch: i32, width: i32): void {
  const w4 = width & ~3;
  for (let b = 0; b < batch; b++) {
    const row = a + ((<usize>b * <usize>width) << 2);
    let acc = f32x4.splat(0);
    let j = 0;
    // f32 lanes over blocks of 1024, folded into f64, keep the rounding error small for long rows
    let total: f64 = 0;
    for (; j < w4; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
      if ((j & 1023) == 1020) {
        total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
        acc = f32x4.splat(0);
      }
    }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    for (; j < width; j++) {
      const v = <f64>load<f32>(row + (<usize>j << 2));
      total += v * v;
    }
    const dst = out + (<usize>b << 3);
    store<f64>(dst, load<f64>(dst) + total);
  }
}

// out[j] += sum_b w[b] * g[b, j]   (w == 0 pointer: all ones)
export function accumulateWeighted(g: usize, w: usize, out: usize, batch: i32, width: i32): void {
  const w4 = width & ~3;
  for (let b = 0; b < batch; b++) {
    const s: f32 = w == 0 ? 1 : load<f32>(w + (<usize>b << 2));
    if (s == 0) continue;
    const sv = f32x4.splat(s);
    const row = g + ((<usize>b * <usize>width) << 2);
    let j = 0;
    for (; j < w4; j += 4) {
      const off = <usize>j << 2;
      v128.store(out + off, f32x4.add(v128.load(out + off), f32x4.mul(sv, v128.load(row + off))));
    }
    for (; j < width; j++) {
      const off = <usize>j << 2;
      store<f32>(out + off, load<f32>(out + off) + s * load<f32>(row + off));
    }
  }
}

// dst (cols x rows) = src (rows x cols) transposed, in 16 x 16 blocks
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = min(rows, r0 + 16);
    for (let c0 = 0; c0 < cols; c0 += 16) {
      const c1 = min(cols, c0 + 16);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          store<f32>(dst + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(src + ((<usize>r * <usize>cols + <usize>c) << 2)));
        }
      }
    }
  }
}

// C (m x n) = A (m x k) B (k x n), row-major. Columns in blocks of 16 (four f32x4 accumulators) and rows in
// pairs, so each loaded block of B serves two rows. Fast for the narrow products of small convolutions
// (n = 16 or 32), where tfjs-wasm's GEMM drops to a third of its speed.
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, acc: i32): void {
  const n16 = n & ~15;
  for (let j = 0; j < n16; j += 16) {
    const bCol = b + (<usize>j << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const a0 = a + ((<usize>i * <usize>k) << 2);
      const a1 = a0 + (<usize>k << 2);
      const c0 = c + ((<usize>i * <usize>n + <usize>j) << 2);
      const c1 = c0 + (<usize>n << 2);
      let p0 = f32x4.splat(0), p1 = f32x4.splat(0), p2 = f32x4.splat(0), p3 = f32x4.splat(0);
      let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0);
      if (acc) {
        p0 = v128.load(c0); p1 = v128.load(c0, 16); p2 = v128.load(c0, 32); p3 = v128.load(c0, 48);
        q0 = v128.load(c1); q1 = v128.load(c1, 16); q2 = v128.load(c1, 32); q3 = v128.load(c1, 48);
      }
      for (let t = 0; t < k; t++) {
        const row = bCol + ((<usize>t * <usize>n) << 2);
        const b0 = v128.load(row), b1 = v128.load(row, 16), b2 = v128.load(row, 32), b3 = v128.load(row, 48);
        const s = f32x4.splat(load<f32>(a0 + (<usize>t << 2)));
        const r = f32x4.splat(load<f32>(a1 + (<usize>t << 2)));
        p0 = f32x4.add(p0, f32x4.mul(s, b0)); p1 = f32x4.add(p1, f32x4.mul(s, b1));
        p2 = f32x4.add(p2, f32x4.mul(s, b2)); p3 = f32x4.add(p3, f32x4.mul(s, b3));
        q0 = f32x4.add(q0, f32x4.mul(r, b0)); q1 = f32x4.add(q1, f32x4.mul(r, b1));
        q2 = f32x4.add(q2, f32x4.mul(r, b2)); q3 = f32x4.add(q3, f32x4.mul(r, b3));
      }
      v128.store(c0, p0); v128.store(c0, p1, 16); v128.store(c0, p2, 32); v128.store(c0, p3, 48);
      v128.store(c1, q0); v128.store(c1, q1, 16); v128.store(c1, q2, 32); v128.store(c1, q3, 48);
    }
    for (; i < m; i++) {
      const a0 = a + ((<usize>i * <usize>k) << 2);
      const c0 = c + ((<usize>i * <usize>n + <usize>j) << 2);
      let p0 = f32x4.splat(0), p1 = f32x4.splat(0), p2 = f32x4.splat(0), p3 = f32x4.splat(0);
      if (acc) {
        p0 = v128.load(c0); p1 = v128.load(c0, 16); p2 = v128.load(c0, 32); p3 = v128.load(c0, 48);
      }
      for (let t = 0; t < k; t++) {
        const row = bCol + ((<usize>t * <usize>n) << 2);
        const s = f32x4.splat(load<f32>(a0 + (<usize>t << 2)));
        p0 = f32x4.add(p0, f32x4.mul(s, v128.load(row))); p1 = f32x4.add(p1, f32x4.mul(s, v128.load(row, 16)));
        p2 = f32x4.add(p2, f32x4.mul(s, v128.load(row, 32))); p3 = f32x4.add(p3, f32x4.mul(s, v128.load(row, 48)));
      }
      v128.store(c0, p0); v128.store(c0, p1, 16); v128.store(c0, p2, 32); v128.store(c0, p3, 48);
    }
  }
  // remaining columns: blocks of 4, then one at a time
  const n4 = n & ~3;
  for (let j = n16; j < n4; j += 4) {
    const bCol = b + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      const a0 = a + ((<usize>i * <usize>k) << 2);
      let p0 = acc ? v128.load(c + ((<usize>i * <usize>n + <usize>j) << 2)) : f32x4.splat(0);
      for (let t = 0; t < k; t++) {
        p0 = f32x4.add(p0, f32x4.mul(f32x4.splat(load<f32>(a0 + (<usize>t << 2))), v128.load(bCol + ((<usize>t * <usize>n) << 2))));
      }
      v128.store(c + ((<usize>i * <usize>n + <usize>j) << 2), p0);
    }
  }
  for (let j = n4; j < n; j++) {
    for (let i = 0; i < m; i++) {
      const a0 = a + ((<usize>i * <usize>k) << 2);
      let s: f32 = acc ? load<f32>(c + ((<usize>i * <usize>n + <usize>j) << 2)) : 0;
      for (let t = 0; t < k; t++) s += load<f32>(a0 + (<usize>t << 2)) * load<f32>(b + ((<usize>t * <usize>n + <usize>j) << 2));
      store<f32>(c + ((<usize>i * <usize>n + <usize>j) << 2), s);
    }
  }
}

// out[b, :] = w[b] * a[b, :] for rows of `width`, `rows` rows per example
export function scaleRows(a: usize, w: usize, out: usize, batch: i32, rows: i32, width: i32): void {
  const stride = rows * width;
  const s4 = stride & ~3;
  for (let b = 0; b < batch; b++) {
    const s = load<f32>(w + (<usize>b << 2));
    const sv = f32x4.splat(s);
    const base = <usize>b * <usize>stride;
    let j = 0;
    for (; j < s4; j += 4) {
      const off = (base + <usize>j) << 2;
      v128.store(out + off, f32x4.mul(sv, v128.load(a + off)));
    }
    for (; j < stride; j++) {
      const off = (base + <usize>j) << 2;
      store<f32>(out + off, s * load<f32>(a + off));
    }
  }
}

// G[b] (k x c) = U_b^T D_b with U_b (p x k), D_b (p x c): the per-example weight gradients of a convolution, blocked
// like gemm (pairs of output rows, 16 output columns in registers, the reduction over the p patch rows inside).
export function batchedTN16(u: usize, d: usize, g: usize, batch: i32, p: i32, k: i32, c: i32): void {
  const c16 = c & ~15;
  for (let b = 0; b < batch; b++) {
    const uB = u + ((<usize>b * <usize>p * <usize>k) << 2);
    const dB = d + ((<usize>b * <usize>p * <usize>c) << 2);
    const gB = g + ((<usize>b * <usize>k * <usize>c) << 2);
    for (let j = 0; j < c16; j += 16) {
      const dCol = dB + (<usize>j << 2);
      let i = 0;
      for (; i + 2 <= k; i += 2) {
        let p0 = f32x4.splat(0), p1 = f32x4.splat(0), p2 = f32x4.splat(0), p3 = f32x4.splat(0);
        let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0);
        for (let r = 0; r < p; r++) {
          const row = dCol + ((<usize>r * <usize>c) << 2);
          const b0 = v128.load(row), b1 = v128.load(row, 16), b2 = v128.load(row, 32), b3 = v128.load(row, 48);
          const ur = uB + ((<usize>r * <usize>k + <usize>i) << 2);
          const s = f32x4.splat(load<f32>(ur));
          const t = f32x4.splat(load<f32>(ur, 4));
          p0 = f32x4.add(p0, f32x4.mul(s, b0)); p1 = f32x4.add(p1, f32x4.mul(s, b1));
          p2 = f32x4.add(p2, f32x4.mul(s, b2)); p3 = f32x4.add(p3, f32x4.mul(s, b3));
          q0 = f32x4.add(q0, f32x4.mul(t, b0)); q1 = f32x4.add(q1, f32x4.mul(t, b1));
          q2 = f32x4.add(q2, f32x4.mul(t, b2)); q3 = f32x4.add(q3, f32x4.mul(t, b3));
        }
        const g0 = gB + ((<usize>i * <usize>c + <usize>j) << 2);
        const g1 = g0 + (<usize>c << 2);
        v128.store(g0, p0); v128.store(g0, p1, 16); v128.store(g0, p2, 32); v128.store(g0, p3, 48);
        v128.store(g1, q0); v128.store(g1, q1, 16); v128.store(g1, q2, 32); v128.store(g1, q3, 48);
      }
      for (; i < k; i++) {
        let p0 = f32x4.splat(0), p1 = f32x4.splat(0), p2 = f32x4.splat(0), p3 = f32x4.splat(0);
        for (let r = 0; r < p; r++) {
          const row = dCol + ((<usize>r * <usize>c) << 2);
          const s = f32x4.splat(load<f32>(uB + ((<usize>r * <usize>k + <usize>i) << 2)));
          p0 = f32x4.add(p0, f32x4.mul(s, v128.load(row))); p1 = f32x4.add(p1, f32x4.mul(s, v128.load(row, 16)));
          p2 = f32x4.add(p2, f32x4.mul(s, v128.load(row, 32))); p3 = f32x4.add(p3, f32x4.mul(s, v128.load(row, 48)));
        }
        const g0 = gB + ((<usize>i * <usize>c + <usize>j) << 2);
        v128.store(g0, p0); v128.store(g0, p1, 16); v128.store(g0, p2, 32); v128.store(g0, p3, 48);
      }
    }
    // remaining columns (c % 16) one at a time
    for (let j = c16; j < c; j++) {
      for (let i = 0; i < k; i++) {
        let s: f32 = 0;
        for (let r = 0; r < p; r++) {
          s += load<f32>(uB + ((<usize>r * <usize>k + <usize>i) << 2)) * load<f32>(dB + ((<usize>r * <usize>c + <usize>j) << 2));
        }
        store<f32>(gB + ((<usize>i * <usize>c + <usize>j) << 2), s);
      }
    }
  }
}
