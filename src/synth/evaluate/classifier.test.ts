import { describe, expect, it } from 'vitest';
import { type Rng, seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../_testing.js';
import { table } from './_tables.js';
import { logisticRegressionScores } from './classifier.js';

/** Rows over a0 (4 values), a1 (3), label a2 (`classes` values) = a0 mod classes, flipped with probability `noise`. */
function labelled(n: number, classes: number, noise: number, rng: Rng) {
  return table(
    [4, 3, classes],
    Array.from({ length: n }, () => {
      const a0 = rng.uniformInt(4);
      const label = rng.uniform() < noise ? rng.uniformInt(classes) : a0 % classes;
      return [a0, rng.uniformInt(3), label];
    }),
  );
}

describe('logisticRegressionScores', () => {
  it('learns a binary label from one-hot features: accuracy, AUC and F1 of class 1', () => {
    const rng = seededRng(8);
    const train = labelled(800, 2, 0.1, rng);
    const test = labelled(400, 2, 0.1, rng);
    const r = logisticRegressionScores(train, test, seededRng(1), { label: 'a2' });
    expect(r).toMatchObject({
      label: 'a2',
      classes: 2,
      averaging: 'binary',
      features: 7,
      testRows: 400,
      trainRows: 800,
    });
    expect(r.accuracy).toBeGreaterThan(0.9);
    expect(r.auc).toBeGreaterThan(0.9);
    expect(r.f1).toBeGreaterThan(0.85);
  });

  it('is deterministic given the seed', () => {
    const rng = seededRng(9);
    const train = labelled(300, 2, 0.3, rng);
    const test = labelled(100, 2, 0.3, rng);
    const a = logisticRegressionScores(train, test, seededRng(3), { label: 'a2', epochs: 2 });
    expect(logisticRegressionScores(train, test, seededRng(3), { label: 'a2', epochs: 2 })).toEqual(a);
  });

  it('reports macro F1 and one-vs-rest AUC for more than two classes', () => {
    const rng = seededRng(10);
    const train = labelled(900, 4, 0.1, rng);
    const test = labelled(300, 4, 0.1, rng);
    const r = logisticRegressionScores(train, test, seededRng(1), { label: 'a2' });
    expect(r.averaging).toBe('macro');
    expect(r.accuracy).toBeGreaterThan(0.85);
    expect(r.f1).toBeGreaterThan(0.85);
    expect(r.auc).toBeGreaterThan(0.9);
  });

  it('refuses a label outside the domain, a domain of the label alone, and bad options', () => {
    const t = labelled(10, 2, 0, seededRng(1));
    const fn = 'logisticRegressionScores';
    expectInvalidParameter(() => logisticRegressionScores(t, t, seededRng(1), { label: 'zz' }), fn, 'label');
    const alone = table([2], [[0], [1]]);
    expectInvalidParameter(
      () => logisticRegressionScores(alone, alone, seededRng(1), { label: 'a0' }),
      fn,
      'data',
    );
    expectInvalidParameter(
      () => logisticRegressionScores(t, t, seededRng(1), { label: 'a2', epochs: 0 }),
      fn,
      'epochs',
    );
  });
});
