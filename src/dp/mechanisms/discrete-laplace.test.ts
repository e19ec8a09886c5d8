import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { discreteLaplaceMechanism } from './discrete-laplace.js';

const fn = 'discreteLaplaceMechanism';

describe('discreteLaplaceMechanism', () => {
  it('records a discrete-laplace event; epsilon = sensitivity / scale', () => {
    const mech = discreteLaplaceMechanism({ l1Sensitivity: 1, epsilon: 0.5 });
    expect(mech.event).toEqual({ kind: 'discrete-laplace', scale: 2, l1Sensitivity: 1 });
    expect(mech.epsilon).toBe(0.5);
    expect(Object.isFrozen(mech.event)).toBe(true);
  });

  it('adds integer noise to integer values', () => {
    const out = discreteLaplaceMechanism({ l1Sensitivity: 1, scale: 2.5 }).release([10, -3, 0], seededRng(4));
    expect(Array.from(out).every(Number.isSafeInteger)).toBe(true);
  });

  it('refuses non-integer values, bad epsilon and out-of-range scales', () => {
    const mech = discreteLaplaceMechanism({ l1Sensitivity: 1, scale: 1 });
    expectInvalidParameter(() => mech.release([1, 2.5]), fn, 'values[1]');
    expectInvalidParameter(() => mech.release(0.5), fn, 'values');
    expectInvalidParameter(() => discreteLaplaceMechanism({ l1Sensitivity: 1, epsilon: 0 }), fn, 'epsilon');
    expectInvalidParameter(() => discreteLaplaceMechanism({ l1Sensitivity: 1, scale: 2 ** 41 }), fn, 'scale');
    expectInvalidParameter(
      () => discreteLaplaceMechanism({ l1Sensitivity: 0, scale: 1 }),
      fn,
      'l1Sensitivity',
    );
  });

  test.prop([fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 40 })])(
    'returns one integer per input',
    (values) => {
      const out = discreteLaplaceMechanism({ l1Sensitivity: 1, scale: 0.7 }).release(values, seededRng(5));
      expect(out).toHaveLength(values.length);
      expect(Array.from(out).every(Number.isSafeInteger)).toBe(true);
    },
  );
});
