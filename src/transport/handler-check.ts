/** The boundary check shared by the gRPC server and the in-memory transport. */
import { InvalidParameterError } from '../core/index.js';
import type { CoordinatorHandler } from './service.js';

const METHODS = ['register', 'getTask', 'submitUpdate', 'submitEvaluation', 'leave', 'submitSecAgg'] as const;

/**
 * Asserts that `handler` has the methods of a {@link CoordinatorHandler}.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER
 */
export function assertCoordinatorHandler(
  fn: string,
  handler: unknown,
): asserts handler is CoordinatorHandler {
  const ok =
    typeof handler === 'object' &&
    handler !== null &&
    METHODS.every((m) => typeof (handler as Record<string, unknown>)[m] === 'function');
  if (!ok) {
    throw new InvalidParameterError({
      fn,
      param: 'handler',
      value: handler,
      allowed: `a CoordinatorHandler (an object with ${METHODS.join(', ')})`,
    });
  }
}
