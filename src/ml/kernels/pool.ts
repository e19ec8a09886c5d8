/** Max and average pooling over NHWC windows, with the adjoints the backward passes need. */
import type { WindowGeometry } from './conv-geometry.js';

/** Max pooling: y [batch, outH, outW, c] and, per output, the flat input index of its maximum. */
export function maxPoolForward(
  x: Float32Array,
  batch: number,
  g: WindowGeometry,
): { y: Float32Array; argmax: Int32Array } {
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
  const y = new Float32Array(batch * outH * outW * c);
  const argmax = new Int32Array(y.length);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xBase = b * inH * inW * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ch = 0; ch < c; ch++, o++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestIndex = -1;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              const idx = xBase + (iy * inW + ix) * c + ch;
              const v = x[idx]!;
              if (v > best) {
                best = v;
                bestIndex = idx;
              }
            }
          }
          y[o] = best;
          argmax[o] = bestIndex;
        }
      }
    }
  }
  return { y, argmax };
}

/** The adjoint of max pooling: each output gradient goes to its window's maximum. */
export function maxPoolBackward(dy: Float32Array, argmax: Int32Array, inputSize: number): Float32Array {
  const dx = new Float32Array(inputSize);
  for (let o = 0; o < dy.length; o++) dx[argmax[o]!]! += dy[o]!;
  return dx;
}

/** Average pooling over the in-image taps of each window (TensorFlow's convention for 'same' padding). */
export function avgPoolForward(x: Float32Array, batch: number, g: WindowGeometry): Float32Array {
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
  const y = new Float32Array(batch * outH * outW * c);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xBase = b * inH * inW * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ch = 0; ch < c; ch++, o++) {
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              sum += x[xBase + (iy * inW + ix) * c + ch]!;
              count++;
            }
          }
          y[o] = sum / count;
        }
      }
    }
  }
  return y;
}

/** The adjoint of average pooling. */
export function avgPoolBackward(dy: Float32Array, batch: number, g: WindowGeometry): Float32Array {
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
  const dx = new Float32Array(batch * inH * inW * c);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xBase = b * inH * inW * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let count = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padTop + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padLeft + kx;
            if (ix >= 0 && ix < inW) count++;
          }
        }
        for (let ch = 0; ch < c; ch++, o++) {
          const share = dy[o]! / count;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              dx[xBase + (iy * inW + ix) * c + ch]! += share;
            }
          }
        }
      }
    }
  }
  return dx;
}
