import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../_testing.js';
import { classScores, quantileSorted, rocAuc, rocCurve, tprAtFpr } from './scores.js';

describe('rocAuc', () => {
  it('is 1 for a perfect scorer and 0 for a reversed one', () => {
    expect(rocAuc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
  });

  it('is 0.5 for a constant scorer (ties count one half) and about 0.5 for a random one', () => {
    expect(rocAuc([1, 1, 1, 1], [1, 0, 1, 0])).toBe(0.5);
    const rng = seededRng(4);
    const n = 20000;
    const scores = Float64Array.from({ length: n }, () => rng.uniform());
    const labels = Int32Array.from({ length: n }, () => rng.uniformInt(2));
    expect(Math.abs(rocAuc(scores, labels)! - 0.5)).toBeLessThan(0.015);
  });

  it('counts pairs: one of four pairs misordered gives 0.75', () => {
    expect(rocAuc([0.9, 0.4, 0.5, 0.1], [1, 1, 0, 0])).toBe(0.75);
  });

  it('is null with a single class, and refuses lengths that differ', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNull();
    expectInvalidParameter(() => rocAuc([0.1], [1, 0]), 'rocAuc', 'labels');
  });
});

describe('rocCurve and tprAtFpr', () => {
  it('has one vertex per distinct score, and reads the curve linearly between vertices', () => {
    const curve = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 0, 1, 0]);
    expect(curve).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
    expect(tprAtFpr(curve, 0)).toBe(0.5);
    expect(tprAtFpr(curve, 0.25)).toBe(0.75);
    expect(tprAtFpr(curve, 0.9)).toBe(1);
  });
});

describe('classScores', () => {
  it('gives accuracy and the positive class precision, recall and F1', () => {
    const s = classScores([1, 1, 0, 0, 1], [1, 0, 0, 1, 1], 1);
    expect(s.accuracy).toBeCloseTo(0.6, 15);
    expect(s.precision).toBeCloseTo(2 / 3, 15);
    expect(s.recall).toBeCloseTo(2 / 3, 15);
    expect(s.f1).toBeCloseTo(2 / 3, 15);
    expect(classScores([0, 0], [0, 0], 1)).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });
});

describe('quantileSorted', () => {
  it('interpolates between order statistics', () => {
    expect(quantileSorted([0, 1, 2, 3], 0.5)).toBe(1.5);
    expect(quantileSorted([5], 0.9)).toBe(5);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});
