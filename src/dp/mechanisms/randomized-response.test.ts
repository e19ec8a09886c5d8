import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { randomizedResponse } from './randomized-response.js';

const fn = 'randomizedResponse';

describe('randomizedResponse', () => {
  it('keeps the truth with probability e^eps / (e^eps + k - 1)', () => {
    const binary = randomizedResponse({ epsilon: Math.log(3) });
    expect(binary.keepProbability).toBeCloseTo(0.75, 14);
    expect(binary.otherProbability).toBeCloseTo(0.25, 14);
    const kary = randomizedResponse({ epsilon: 1, categories: 5 });
    expect(kary.keepProbability).toBeCloseTo(Math.E / (Math.E + 4), 14);
    expect(kary.keepProbability / kary.otherProbability).toBeCloseTo(Math.E, 12);
    expect(kary.event).toEqual({ kind: 'pure-dp', epsilon: 1, mechanism: 'randomized-response' });
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 60 })])(
    'returns one category in [0, k) per input',
    (values) => {
      const out = randomizedResponse({ epsilon: 0.5, categories: 7 }).release(values, seededRng(12));
      expect(out).toHaveLength(values.length);
      for (const v of out) expect(Number.isInteger(v) && v >= 0 && v < 7).toBe(true);
    },
  );

  it('estimates frequencies without bias on a large sample', () => {
    const rr = randomizedResponse({ epsilon: 1, categories: 3 });
    const truth = new Float64Array(60_000).map((_, i) => (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));
    const estimates = rr.estimateFrequencies(rr.release(truth, seededRng(13)));
    expect(estimates[0]).toBeCloseTo(0.6, 1);
    expect(estimates[1]).toBeCloseTo(0.3, 1);
    expect(estimates[2]).toBeCloseTo(0.1, 1);
    expect(estimates.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it('refuses values outside [0, k), bad epsilon and bad categories', () => {
    const rr = randomizedResponse({ epsilon: 1 });
    expectInvalidParameter(() => rr.release([0, 2]), fn, 'values[1]');
    expectInvalidParameter(() => rr.release([0.5]), fn, 'values[0]');
    expectInvalidParameter(() => rr.release([]), fn, 'values');
    expectInvalidParameter(() => rr.estimateFrequencies([3]), fn, 'reports[0]');
    expectInvalidParameter(() => randomizedResponse({ epsilon: 0 }), fn, 'epsilon');
    expectInvalidParameter(() => randomizedResponse({ epsilon: 701 }), fn, 'epsilon');
    expectInvalidParameter(() => randomizedResponse({ epsilon: 1, categories: 1 }), fn, 'categories');
    expectInvalidParameter(() => randomizedResponse({ epsilon: 1, categories: 2.5 }), fn, 'categories');
  });
});
