import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { discreteGaussianMechanism } from './discrete-gaussian.js';

const fn = 'discreteGaussianMechanism';

describe('discreteGaussianMechanism', () => {
  it('records a discrete-gaussian event with its dimension', () => {
    const mech = discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 3.7, dimension: 3 });
    expect(mech.event).toEqual({ kind: 'discrete-gaussian', sigma: 3.7, l2Sensitivity: 1, dimension: 3 });
    expect(Object.isFrozen(mech)).toBe(true);
  });

  it('adds integer noise to an integer vector of the declared dimension', () => {
    const out = discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 10, dimension: 2 }).release(
      [5, 6],
      seededRng(6),
    );
    expect(out).toHaveLength(2);
    expect(Array.from(out).every(Number.isSafeInteger)).toBe(true);
  });

  it('refuses a length other than the declared dimension', () => {
    const mech = discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 1, dimension: 2 });
    expectInvalidParameter(() => mech.release([1, 2, 3]), fn, 'values.length');
  });

  it('refuses bad sigma, sensitivity, dimension and non-integer values', () => {
    expectInvalidParameter(() => discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 0 }), fn, 'sigma');
    expectInvalidParameter(
      () => discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 2 ** 50 }),
      fn,
      'sigma',
    );
    expectInvalidParameter(
      () => discreteGaussianMechanism({ l2Sensitivity: 0, sigma: 1 }),
      fn,
      'l2Sensitivity',
    );
    expectInvalidParameter(
      () => discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 1, dimension: 0 }),
      fn,
      'dimension',
    );
    expectInvalidParameter(
      () => discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 1, dimension: 1.5 }),
      fn,
      'dimension',
    );
    expectInvalidParameter(
      () => discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 1 }).release([0.5]),
      fn,
      'values[0]',
    );
  });
});
