/**
 * im2col / col2im for NHWC convolutions: unfold every receptive field into a row so that the convolution is a
 * matrix product, and the per-example weight gradient is a product of each example's rows (ARCHITECTURE
 * decision 3: batched products over unfolded patches, no loop over examples in the algebra).
 *
 * Row (b, oy, ox) of U holds the patch in (ky, kx, c) order, matching the weight matrix [kh * kw * cin, cout]
 * of an HWIO kernel. Out-of-image taps are zeros.
 */
import type { WindowGeometry } from './conv-geometry.js';

/** U [batch * outH * outW, kh * kw * cin] from x [batch, inH, inW, cin]. */
export function im2col(x: Float32Array, batch: number, g: WindowGeometry, out?: Float32Array): Float32Array {
  const {
    inH,
    inW,
    channels: c,
    kernelH: kh,
    kernelW: kw,
    strideH: sh,
    strideW: sw,
    padTop,
    padLeft,
    outH,
    outW,
  } = g;
  const k = kh * kw * c;
  const u = out ?? new Float32Array(batch * outH * outW * k);
  let row = 0;
  for (let b = 0; b < batch; b++) {
    const xBase = b * inH * inW * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, row++) {
        let o = row * k;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padTop + ky;
          if (iy < 0 || iy >= inH) {
            u.fill(0, o, o + kw * c);
            o += kw * c;
            continue;
          }
          const yBase = xBase + iy * inW * c;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padLeft + kx;
            if (ix < 0 || ix >= inW) {
              for (let ch = 0; ch < c; ch++) u[o++] = 0;
            } else {
              const src = yBase + ix * c;
              for (let ch = 0; ch < c; ch++) u[o++] = x[src + ch]!;
            }
          }
        }
      }
    }
  }
  return u;
}

/** dx [batch, inH, inW, cin] = the adjoint of im2col applied to dU (overlapping taps add up). */
export function col2im(du: Float32Array, batch: number, g: WindowGeometry): Float32Array {
  const {
    inH,
    inW,
    channels: c,
    kernelH: kh,
    kernelW: kw,
    strideH: sh,
    strideW: sw,
    padTop,
    padLeft,
    outH,
    outW,
  } = g;
  const k = kh * kw * c;
  const dx = new Float32Array(batch * inH * inW * c);
  let row = 0;
  for (let b = 0; b < batch; b++) {
    const xBase = b * inH * inW * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, row++) {
        let o = row * k;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padTop + ky;
          if (iy < 0 || iy >= inH) {
            o += kw * c;
            continue;
          }
          const yBase = xBase + iy * inW * c;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padLeft + kx;
            if (ix < 0 || ix >= inW) {
              o += c;
            } else {
              const dst = yBase + ix * c;
              for (let ch = 0; ch < c; ch++) dx[dst + ch]! += du[o++]!;
            }
          }
        }
      }
    }
  }
  return dx;
}
