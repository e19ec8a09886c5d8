/** Test helpers of the synth engine (not exported from any index). */
import { expect } from 'vitest';
import { InvalidParameterError } from '../core/index.js';

/** Asserts `call` throws VEIL_INVALID_PARAMETER with the message shape `fn: param must be …` (STYLE §5). */
export function expectInvalidParameter(call: () => unknown, fn: string, param: string): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidParameterError);
  expect((thrown as InvalidParameterError).code).toBe('VEIL_INVALID_PARAMETER');
  expect((thrown as InvalidParameterError).message.startsWith(`${fn}: ${param} must be `)).toBe(true);
}
