/** Geometry of a 2-D convolution or pooling window over NHWC inputs (TensorFlow conventions). */
import { InvalidParameterError } from '../../core/index.js';

/** Padding: TensorFlow's 'valid' (none) or 'same' (output = ceil(input / stride)). */
export type Padding = 'valid' | 'same';

/** A resolved window geometry. */
export interface WindowGeometry {
  readonly inH: number;
  readonly inW: number;
  readonly channels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly outH: number;
  readonly outW: number;
}

function outSize(
  fn: string,
  input: number,
  kernel: number,
  stride: number,
  padding: Padding,
): { out: number; before: number } {
  if (padding === 'same') {
    const out = Math.ceil(input / stride);
    const total = Math.max((out - 1) * stride + kernel - input, 0);
    return { out, before: Math.floor(total / 2) };
  }
  const out = Math.floor((input - kernel) / stride) + 1;
  if (out < 1) {
    throw new InvalidParameterError({
      fn,
      param: 'kernelSize',
      value: kernel,
      allowed: `at most the input size ${input} with 'valid' padding`,
    });
  }
  return { out, before: 0 };
}

/** Resolves the window geometry for an [H, W, C] input. */
export function windowGeometry(
  fn: string,
  input: readonly number[],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: Padding,
): WindowGeometry {
  const [inH, inW, channels] = input as [number, number, number];
  const h = outSize(fn, inH, kernel[0], stride[0], padding);
  const w = outSize(fn, inW, kernel[1], stride[1], padding);
  return {
    inH,
    inW,
    channels,
    kernelH: kernel[0],
    kernelW: kernel[1],
    strideH: stride[0],
    strideW: stride[1],
    padTop: h.before,
    padLeft: w.before,
    outH: h.out,
    outW: w.out,
  };
}
