/** Test helpers of the fl algorithms (not exported from any index). */
import { expect } from 'vitest';
import { InvalidParameterError, type Rng, type VeilError } from '../../core/index.js';
import type { ClientUpdate } from './validate-update.js';

/**
 * Runs `call` and checks it throws an InvalidParameterError (VEIL_INVALID_PARAMETER) whose message starts with
 * `${fn}: ${param} must be` (STYLE §5 message shape).
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

/** An update from plain numbers. */
export function update(nodeId: string, delta: ArrayLike<number>, numExamples = 1): ClientUpdate {
  return { nodeId, delta: Float32Array.from(delta), numExamples };
}

/** n honest updates around `centre`: centre + N(0, spread^2) per coordinate. */
export function honestUpdates(n: number, centre: Float32Array, spread: number, rng: Rng): ClientUpdate[] {
  return Array.from({ length: n }, (_, k) => {
    const delta = new Float32Array(centre.length);
    rng.fillNormal(delta, spread);
    for (let i = 0; i < delta.length; i++) delta[i]! += centre[i]!;
    return { nodeId: `honest-${String(k).padStart(2, '0')}`, delta, numExamples: 10 + k };
  });
}

/** Euclidean distance in float64. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** The unweighted mean of the updates' deltas, in float64. */
export function plainMean(updates: readonly ClientUpdate[]): Float64Array {
  const out = new Float64Array(updates[0]!.delta.length);
  for (const u of updates) for (let i = 0; i < out.length; i++) out[i]! += u.delta[i]! / updates.length;
  return out;
}
