/**
 * Veil's tensor: a shape and a row-major Float32Array, nothing more. Layers own their algebra (forward,
 * backward, per-example products); the heavy products go through backend.ts.
 */
import { InternalError, InvalidParameterError } from '../core/index.js';

/** A dense float32 tensor. The first dimension is the batch wherever a batch exists. */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;

  constructor(shape: readonly number[], data?: Float32Array) {
    const size = shapeSize(shape);
    if (data && data.length !== size) {
      throw new InternalError(
        `Tensor: data length ${data.length} does not match shape [${shape.join(', ')}]`,
      );
    }
    this.shape = Object.freeze([...shape]);
    this.data = data ?? new Float32Array(size);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Batch size (first dimension). */
  get batch(): number {
    return this.shape[0] ?? 1;
  }

  /** Elements per example (product of the non-batch dimensions). */
  get perExample(): number {
    return this.shape.length <= 1 ? 1 : this.size / this.batch;
  }

  /** The same data with another shape of equal size (no copy). */
  reshape(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new InternalError(
        `reshape: [${this.shape.join(', ')}] to [${shape.join(', ')}] changes the size`,
      );
    }
    return new Tensor(shape, this.data);
  }
}

/** Product of the dimensions. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks a per-example shape given by a user (positive integers). */
export function checkShape(fn: string, param: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidParameterError({
      fn,
      param,
      value: shape,
      allowed: 'a non-empty array of positive integers',
    });
  }
}
