import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { rationalFromNumber, seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { laplaceMechanism } from './laplace.js';

const fn = 'laplaceMechanism';

describe('laplaceMechanism', () => {
  it('records a laplace event with the scale and sensitivity', () => {
    const mech = laplaceMechanism({ l1Sensitivity: 2, scale: 4 });
    expect(mech.event).toEqual({ kind: 'laplace', scale: 4, l1Sensitivity: 2 });
    expect(mech.epsilon).toBe(0.5);
    expect(mech.name).toBe('laplace');
    expect(Object.isFrozen(mech)).toBe(true);
  });

  it('derives scale = sensitivity / epsilon from epsilon', () => {
    const mech = laplaceMechanism({ l1Sensitivity: 1, epsilon: 0.5 });
    expect(mech.scale).toBe(2);
    expect(mech.epsilon).toBe(0.5);
  });

  test.prop([
    fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
    fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
  ])(
    'never exceeds the requested epsilon: sensitivity / scale <= epsilon exactly',
    (l1Sensitivity, epsilon) => {
      const { scale } = laplaceMechanism({ l1Sensitivity, epsilon });
      const s = rationalFromNumber(scale);
      const d = rationalFromNumber(l1Sensitivity);
      const e = rationalFromNumber(epsilon);
      // d / s <= e  <=>  d.num * s.den * e.den <= e.num * d.den * s.num
      expect(d.num * s.den * e.den <= e.num * d.den * s.num).toBe(true);
    },
  );

  it('refuses epsilon <= 0, scale <= 0 and a sensitivity <= 0', () => {
    expectInvalidParameter(() => laplaceMechanism({ l1Sensitivity: 1, epsilon: 0 }), fn, 'epsilon');
    expectInvalidParameter(() => laplaceMechanism({ l1Sensitivity: 1, epsilon: -1 }), fn, 'epsilon');
    expectInvalidParameter(() => laplaceMechanism({ l1Sensitivity: 1, scale: 0 }), fn, 'scale');
    expectInvalidParameter(() => laplaceMechanism({ l1Sensitivity: 0, scale: 1 }), fn, 'l1Sensitivity');
    expectInvalidParameter(
      () => laplaceMechanism({ l1Sensitivity: Number.NaN, scale: 1 }),
      fn,
      'l1Sensitivity',
    );
  });

  it('refuses both or neither of scale and epsilon', () => {
    const both = { l1Sensitivity: 1, scale: 1, epsilon: 1 } as unknown as Parameters<
      typeof laplaceMechanism
    >[0];
    const neither = { l1Sensitivity: 1 } as unknown as Parameters<typeof laplaceMechanism>[0];
    expectInvalidParameter(() => laplaceMechanism(both), fn, 'scale');
    expectInvalidParameter(() => laplaceMechanism(neither), fn, 'scale');
  });

  it('refuses a missing options object', () => {
    expectInvalidParameter(
      () => laplaceMechanism(undefined as unknown as Parameters<typeof laplaceMechanism>[0]),
      fn,
      'options',
    );
  });

  it('adds noise without mutating the input and accepts a single number', () => {
    const mech = laplaceMechanism({ l1Sensitivity: 1, scale: 1 });
    const input = Float64Array.of(1, 2, 3);
    const out = mech.release(input, seededRng(1));
    expect(input).toEqual(Float64Array.of(1, 2, 3));
    expect(out).toBeInstanceOf(Float64Array);
    expect(out).not.toEqual(input);
    expect(mech.release(5, seededRng(1))).toHaveLength(1);
  });

  it('refuses non-finite values, empty input and a non-Rng rng before drawing noise', () => {
    const mech = laplaceMechanism({ l1Sensitivity: 1, scale: 1 });
    expectInvalidParameter(() => mech.release([1, Number.NaN]), fn, 'values[1]');
    expectInvalidParameter(() => mech.release([]), fn, 'values');
    expectInvalidParameter(() => mech.release(Number.POSITIVE_INFINITY), fn, 'values');
    expectInvalidParameter(() => mech.release([1], {} as never), fn, 'rng');
  });

  test.prop([fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 })])(
    'returns one output per input',
    (values) => {
      expect(laplaceMechanism({ l1Sensitivity: 1, scale: 1 }).release(values, seededRng(2))).toHaveLength(
        values.length,
      );
    },
  );
});
