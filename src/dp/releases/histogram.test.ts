import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { privateHistogram } from './histogram.js';

const fn = 'privateHistogram';

describe('privateHistogram', () => {
  it('has sensitivity 1 whatever the number of bins', () => {
    const hist = privateHistogram({
      binning: { kind: 'uniform', lower: 0, upper: 1, bins: 50 },
      noise: { kind: 'gaussian', rho: 0.5 },
    });
    expect(hist.event).toMatchObject({ kind: 'discrete-gaussian', l2Sensitivity: 1, dimension: 50 });
    const laplace = privateHistogram({
      binning: { kind: 'categorical', categories: 3 },
      noise: { kind: 'laplace', epsilon: 2 },
    });
    expect(laplace.event).toEqual({ kind: 'discrete-laplace', scale: 0.5, l1Sensitivity: 1 });
  });

  it('clamps values into the first and last bins; the last bin includes upper', () => {
    const hist = privateHistogram({
      binning: { kind: 'uniform', lower: 0, upper: 10, bins: 5 },
      noise: { kind: 'laplace', epsilon: 100 },
    });
    expect(hist.binOf(-100)).toBe(0);
    expect(hist.binOf(10)).toBe(4);
    expect(hist.binOf(1e9)).toBe(4);
    expect(hist.binOf(4)).toBe(2);
    const { value } = hist.release([-1, 0, 3, 4, 9.9, 10, 11], seededRng(1));
    expect(Array.from(value)).toEqual([2, 1, 1, 0, 3]); // epsilon 100: noise is 0 w.p. ~1
  });

  test.prop([
    fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { maxLength: 40 }),
    fc.integer({ min: 1, max: 12 }),
  ])('every value lands in exactly one bin within range', (data, bins) => {
    const hist = privateHistogram({
      binning: { kind: 'uniform', lower: -10, upper: 10, bins },
      noise: { kind: 'laplace', epsilon: 1 },
    });
    for (const x of data) {
      const b = hist.binOf(x);
      expect(Number.isInteger(b) && b >= 0 && b < bins).toBe(true);
    }
    expect(hist.release(data, seededRng(2)).value).toHaveLength(bins);
  });

  it('refuses bad binning, out-of-range categories and bad values', () => {
    const noise = { kind: 'laplace', epsilon: 1 } as const;
    expectInvalidParameter(
      () => privateHistogram({ binning: { kind: 'uniform', lower: 0, upper: 1, bins: 0 }, noise }),
      fn,
      'binning.bins',
    );
    expectInvalidParameter(
      () => privateHistogram({ binning: { kind: 'uniform', lower: 1, upper: 0, bins: 2 }, noise }),
      fn,
      'upper',
    );
    expectInvalidParameter(
      () => privateHistogram({ binning: { kind: 'categorical', categories: 0 }, noise }),
      fn,
      'binning.categories',
    );
    expectInvalidParameter(
      () => privateHistogram({ binning: { kind: 'log' } as never, noise }),
      fn,
      'binning.kind',
    );
    const cats = privateHistogram({ binning: { kind: 'categorical', categories: 3 }, noise });
    expectInvalidParameter(() => cats.release([0, 3]), fn, 'values');
    expectInvalidParameter(() => cats.release([Number.NaN]), fn, 'values[0]');
  });
});
