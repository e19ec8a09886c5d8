/**
 * Boundary checks for public functions (STYLE.md §5, level two). Each helper takes the function's and the
 * parameter's name so that the error says exactly what was wrong and what is allowed. Inner code and kernels
 * do not call these per element.
 */
import { InternalError, InvalidParameterError } from './errors.js';

function fail(fn: string, param: string, value: unknown, allowed: string): never {
  throw new InvalidParameterError({ fn, param, value, allowed });
}

/** Asserts a finite number. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function assertFinite(fn: string, param: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(fn, param, value, 'a finite number');
}

/** Asserts a finite number > 0. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function assertPositive(fn: string, param: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(fn, param, value, 'a finite number > 0');
  }
}

/** Asserts a finite number >= 0. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function assertNonNegative(fn: string, param: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(fn, param, value, 'a finite number >= 0');
  }
}

/** Asserts a number in the open interval (0, 1), e.g. delta. @throws {InvalidParameterError} */
export function assertOpenUnit(fn: string, param: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) fail(fn, param, value, 'a number in (0, 1)');
}

/** Asserts a probability in (0, 1], e.g. a sampling rate. @throws {InvalidParameterError} */
export function assertRate(fn: string, param: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) fail(fn, param, value, 'a number in (0, 1]');
}

/** Asserts a probability in [0, 1]. @throws {InvalidParameterError} */
export function assertProbability(fn: string, param: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(fn, param, value, 'a number in [0, 1]');
}

/** Asserts a safe integer in [min, max]. @throws {InvalidParameterError} */
export function assertInteger(
  fn: string,
  param: string,
  value: unknown,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? min === Number.MIN_SAFE_INTEGER
          ? 'an integer'
          : `an integer >= ${min}`
        : `an integer in [${min}, ${max}]`;
    fail(fn, param, value, range);
  }
}

/** Asserts `lower < upper`, both finite. @throws {InvalidParameterError} */
export function assertBounds(fn: string, lower: unknown, upper: unknown): asserts lower is number {
  assertFinite(fn, 'lower', lower);
  assertFinite(fn, 'upper', upper);
  if (!((lower as number) < (upper as number))) {
    fail(fn, 'upper', upper, `a finite number > lower (${lower})`);
  }
}

/** Asserts one of a fixed set of string values. @throws {InvalidParameterError} */
export function assertOneOf<T extends string>(
  fn: string,
  param: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(fn, param, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
}

/** Asserts a non-empty array or typed array of finite numbers. @throws {InvalidParameterError} */
export function assertFiniteArray(
  fn: string,
  param: string,
  value: unknown,
): asserts value is ArrayLike<number> {
  const ok = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
  if (!ok) fail(fn, param, value, 'an array of finite numbers');
  const arr = value as ArrayLike<unknown>;
  if (arr.length === 0) fail(fn, param, value, 'a non-empty array of finite numbers');
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      fail(fn, `${param}[${i}]`, x, 'a finite number');
    }
  }
}

/**
 * Internal invariant with a lazy message (tfjs style): free on the hot path, throws VEIL_INTERNAL when broken.
 */
export function invariant(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new InternalError(message());
}
