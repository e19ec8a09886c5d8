/** Test helper (not exported from the index): asserts a call throws VEIL_INVALID_PARAMETER for `fn: param`. */

import { expect } from 'vitest';
import { InvalidParameterError, type VeilError } from '../../core/index.js';

/**
 * Runs `call` and checks it throws an InvalidParameterError with code VEIL_INVALID_PARAMETER whose message
 * starts with `${fn}: ${param} must be` (STYLE §5 message shape).
 */
export function expectInvalidParameter(
  call: () => unknown,
  fn: string,
  param: string,
): InvalidParameterError {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${fn} should refuse ${param}`).toBeInstanceOf(InvalidParameterError);
  const error = thrown as VeilError;
  expect(error.code).toBe('VEIL_INVALID_PARAMETER');
  expect(error.message.startsWith(`${fn}: ${param} must be `), error.message).toBe(true);
  return thrown as InvalidParameterError;
}
