/**
 * Test helpers for the data layer (not exported from the module's index): assertions on Veil errors, and a
 * small synthetic dataset.
 */
import { expect } from 'vitest';
import { ConfigError, InvalidParameterError, type VeilError } from '../../core/index.js';
import { createDataset, type Dataset } from './dataset.js';

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Checks that `call` throws VEIL_INVALID_PARAMETER with the message `fn: param must be ...`. */
export function expectInvalidParameter(
  call: () => unknown,
  fn: string,
  param: string,
): InvalidParameterError {
  const error = thrownBy(call);
  expect(error, `${fn} should refuse ${param}`).toBeInstanceOf(InvalidParameterError);
  expect((error as VeilError).code).toBe('VEIL_INVALID_PARAMETER');
  const message = (error as Error).message;
  expect(message.startsWith(`${fn}: ${param} must be `), message).toBe(true);
  return error as InvalidParameterError;
}

/** Checks that `call` throws VEIL_CONFIG_INVALID with an issue at `path`; returns the error. */
export function expectConfigIssue(call: () => unknown, path: string): ConfigError {
  const error = thrownBy(call);
  expect(error, `should refuse with an issue at ${path}`).toBeInstanceOf(ConfigError);
  const config = error as ConfigError;
  expect(config.code).toBe('VEIL_CONFIG_INVALID');
  expect(
    config.issues.map((i) => i.path),
    config.message,
  ).toContain(path);
  return config;
}

/**
 * A dataset with `perClass[c]` examples of class c (in class order) and two features per example: the example
 * index and the class, so a test can tell where every example went.
 */
export function labelledDataset(perClass: readonly number[]): Dataset {
  const labels: number[] = [];
  perClass.forEach((count, c) => {
    for (let j = 0; j < count; j++) labels.push(c);
  });
  const features = new Float32Array(labels.length * 2);
  labels.forEach((y, i) => {
    features[2 * i] = i;
    features[2 * i + 1] = y;
  });
  return createDataset({
    features,
    labels: Int32Array.from(labels),
    featureShape: [2],
    numClasses: perClass.length,
  });
}
