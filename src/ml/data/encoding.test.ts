import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  isNonFiniteNumberCell,
  oneHot,
  parseDecimal,
  scaleFeatures,
  scaleToBounds,
  scaleValue,
  standardise,
} from './encoding.js';
import { expectInvalidParameter, labelledDataset } from './testing.js';

describe('parseDecimal', () => {
  it('accepts decimal numbers only', () => {
    expect(['3', '-0.5', '.5', '1e-3', '+2', '7.'].map(parseDecimal)).toEqual([3, -0.5, 0.5, 0.001, 2, 7]);
    for (const cell of ['', 'NaN', 'Infinity', '0x10', '1e999', '1,5', 'abc', ' ']) {
      expect(parseDecimal(cell), cell).toBeNaN();
    }
    expect(['NaN', '-inf', 'Infinity', '1e999'].every(isNonFiniteNumberCell)).toBe(true);
    expect(['', 'abc', '3'].some(isNonFiniteNumberCell)).toBe(false);
  });
});

describe('oneHot', () => {
  it('puts a 1 at each code', () => {
    expect(Array.from(oneHot([2, 0], { size: 3 }))).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('refuses a code outside the declared size', () => {
    expectInvalidParameter(() => oneHot([0, 3], { size: 3 }), 'oneHot', 'codes[1]');
    expectInvalidParameter(() => oneHot([0], { size: 0 }), 'oneHot', 'size');
  });
});

describe('scaling with declared bounds', () => {
  it('clips then scales to [0, 1] or [-1, 1]', () => {
    expect(Array.from(scaleToBounds([0, 10, 15, 20, 99], { min: 10, max: 20 }))).toEqual([0, 0, 0.5, 1, 1]);
    expect(Array.from(scaleToBounds([10, 15, 20], { min: 10, max: 20, scaling: 'symmetric' }))).toEqual([
      -1, 0, 1,
    ]);
  });

  it("with 'none', keeps a value inside the bounds and clips one outside, with no affine map", () => {
    // Arrange
    const bounds = { min: -1.5, max: 7.75 } as const;
    // Act
    const out = scaleToBounds([-3, -1.5, 0.25, 2, 7.75, 9], { ...bounds, scaling: 'none' });
    // Assert
    expect(Array.from(out)).toEqual([-1.5, -1.5, 0.25, 2, 7.75, 7.75]);
    expect(scaleValue(3.3, -1.5, 7.75, 'none')).toBe(3.3);
  });

  it('refuses bad bounds, scalings and values', () => {
    expectInvalidParameter(() => scaleToBounds([1], { min: 2, max: 2 }), 'scaleToBounds', 'options.max');
    expectInvalidParameter(
      () => scaleToBounds([1], { min: 0, max: 2, scaling: 'z' as 'unit' }),
      'scaleToBounds',
      'scaling',
    );
    expectInvalidParameter(
      () => scaleToBounds([1, Number.NaN], { min: 0, max: 2 }),
      'scaleToBounds',
      'values[1]',
    );
  });

  it('standardises with a declared mean and std, optionally clipped', () => {
    expect(Array.from(standardise([40, 60, 100], { mean: 50, std: 10 }))).toEqual([-1, 1, 5]);
    expect(Array.from(standardise([40, 60, 100], { mean: 50, std: 10, clip: 3 }))).toEqual([-1, 1, 3]);
    expectInvalidParameter(() => standardise([1], { mean: 0, std: 0 }), 'standardise', 'std');
  });

  it('scales every feature of a dataset', () => {
    const ds = labelledDataset([2, 2]); // features: index 0..3, class 0..1
    const scaled = scaleFeatures(ds, {
      bounds: [
        { min: 0, max: 3 },
        { min: 0, max: 1 },
      ],
    });
    expect(Array.from(scaled.features)).toEqual([0, 0, 1 / 3, 0, 2 / 3, 1, 1, 1].map(Math.fround));
    const same = scaleFeatures(ds, { bounds: { min: 0, max: 1 } });
    expect(same.features[6]).toBe(1); // index 3 clipped to 1
    expectInvalidParameter(
      () => scaleFeatures(ds, { bounds: [{ min: 0, max: 1 }] }),
      'scaleFeatures',
      'bounds.length',
    );
    expectInvalidParameter(
      () =>
        scaleFeatures(ds, {
          bounds: [
            { min: 0, max: 1 },
            { min: 1, max: 0 },
          ],
        }),
      'scaleFeatures',
      'bounds[1].max',
    );
  });

  describe('properties', () => {
    test.prop([
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }),
      fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
      fc.double({ noNaN: true, min: 1e-6, max: 1e6 }),
    ])('maps every value into [0, 1] and the bounds onto the ends', (x, min, range) => {
      const max = min + range;
      fc.pre(max > min);
      const y = scaleValue(x, min, max, 'unit');
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(1);
      expect(scaleValue(min, min, max, 'unit')).toBe(0);
      expect(scaleValue(max, min, max, 'unit')).toBe(1);
      expect(scaleValue(x, min, max, 'symmetric')).toBeCloseTo(2 * y - 1, 12);
    });

    test.prop([
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }),
      fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
      fc.double({ noNaN: true, min: 1e-6, max: 1e6 }),
    ])("'none' stays within the declared bounds and is the identity inside them", (x, min, range) => {
      const max = min + range;
      fc.pre(max > min);
      const y = scaleValue(x, min, max, 'none');
      expect(y).toBeGreaterThanOrEqual(min);
      expect(y).toBeLessThanOrEqual(max);
      if (x >= min && x <= max) expect(y).toBe(x);
    });
  });
});
