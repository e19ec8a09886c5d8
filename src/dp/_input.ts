/**
 * Boundary conversion shared by the mechanisms (internal): query answers to `Float64Array`, the default rng,
 * and the release envelope. Each throws InvalidParameterError naming the public function and parameter.
 */
import type { PrivacyEvent } from '../accounting/index.js';
import { assertFinite, assertFiniteArray, csprng, InvalidParameterError, type Rng } from '../core/index.js';
import { SEEDED_RELEASE_EVENT } from './_events.js';
import type { NumericInput, Release } from './mechanism.js';

/** Copies a number or array of finite numbers into a new Float64Array. @throws {InvalidParameterError} */
export function toFiniteVector(fn: string, param: string, input: NumericInput): Float64Array {
  if (typeof input === 'number') {
    assertFinite(fn, param, input);
    return Float64Array.of(input);
  }
  assertFiniteArray(fn, param, input);
  return Float64Array.from(input);
}

/** Like {@link toFiniteVector} but every entry must be a safe integer. @throws {InvalidParameterError} */
export function toIntegerVector(fn: string, param: string, input: NumericInput): Float64Array {
  const out = toFiniteVector(fn, param, input);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isSafeInteger(out[i])) {
      const name = typeof input === 'number' ? param : `${param}[${i}]`;
      throw new InvalidParameterError({ fn, param: name, value: out[i], allowed: 'a safe integer' });
    }
  }
  return out;
}

/** Checks an array of finite numbers that may be empty (data sets). @throws {InvalidParameterError} */
export function toDataVector(fn: string, param: string, input: ArrayLike<number>): Float64Array {
  const ok = Array.isArray(input) || (ArrayBuffer.isView(input) && !(input instanceof DataView));
  if (!ok)
    throw new InvalidParameterError({ fn, param, value: input, allowed: 'an array of finite numbers' });
  const out = Float64Array.from(input);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      throw new InvalidParameterError({
        fn,
        param: `${param}[${i}]`,
        value: input[i],
        allowed: 'a finite number',
      });
    }
  }
  return out;
}

/** The given rng, or a fresh CSPRNG. @throws {InvalidParameterError} when `rng` is not an Rng. */
export function resolveRng(fn: string, rng: Rng | undefined): Rng {
  if (rng === undefined) return csprng();
  if (
    typeof rng !== 'object' ||
    rng === null ||
    typeof rng.nextUint32 !== 'function' ||
    typeof rng.isPrivate !== 'boolean'
  ) {
    throw new InvalidParameterError({
      fn,
      param: 'rng',
      value: rng,
      allowed: 'an Rng from veil/core (csprng() or seededRng())',
    });
  }
  return rng;
}

/** The frozen release envelope; a seeded rng turns the event into `non-private`. */
export function makeRelease<T>(value: T, event: PrivacyEvent, rng: Rng): Release<T> {
  const isPrivate = rng.isPrivate === true;
  return Object.freeze({ value, event: isPrivate ? event : SEEDED_RELEASE_EVENT, private: isPrivate });
}

/** Rejects an options argument that is not an object. @throws {InvalidParameterError} */
export function assertOptions(fn: string, options: unknown): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidParameterError({ fn, param: 'options', value: options, allowed: 'an options object' });
  }
}
