/**
 * Argument checks of the public protocol functions of src/mpc/arith (STYLE.md §5, level two): each names the
 * function, the parameter, the value and what is allowed. Kernels and inner loops check nothing.
 */
import { InvalidParameterError } from '../../core/index.js';
import { encodeFixed } from './fixed-point.js';
import type { RingShares } from './ring.js';

/** The largest vector length the protocols accept (2^28 elements: 2 GiB of ring elements). */
export const MAX_LENGTH = 2 ** 28;

/** Asserts an integer count in [0, 2^28]. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkCount(fn: string, param: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_LENGTH) {
    throw new InvalidParameterError({ fn, param, value: n, allowed: 'an integer in [0, 2^28]' });
  }
}

/** Asserts shares (a BigUint64Array). @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkShares(fn: string, param: string, x: unknown): asserts x is RingShares {
  if (!(x instanceof BigUint64Array)) {
    throw new InvalidParameterError({ fn, param, value: x, allowed: 'shares (a BigUint64Array)' });
  }
}

/** Asserts two share vectors of equal length. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkPair(fn: string, x: unknown, y: unknown): asserts x is RingShares {
  checkShares(fn, 'x', x);
  checkShares(fn, 'y', y);
  if (x.length !== y.length) {
    throw new InvalidParameterError({
      fn,
      param: 'y',
      value: `length ${y.length}`,
      allowed: `length ${x.length} (as x)`,
    });
  }
}

/**
 * Encodes a public operand: one real for all `n` elements, or a Float64Array of length n.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a non-finite, too large or mis-sized operand
 */
export function encodePublic(
  fn: string,
  c: number | Float64Array,
  n: number,
  fracBits: number,
): BigUint64Array {
  if (typeof c === 'number') {
    if (!Number.isFinite(c))
      throw new InvalidParameterError({ fn, param: 'c', value: c, allowed: 'a finite number' });
    return encodeFixed(new Float64Array(n).fill(c), { fracBits });
  }
  if (!(c instanceof Float64Array) || c.length !== n) {
    throw new InvalidParameterError({
      fn,
      param: 'c',
      value: c,
      allowed: `a number or a Float64Array of length ${n}`,
    });
  }
  return encodeFixed(c, { fracBits });
}
