import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import { synthDomain } from '../domain.js';
import { estimate, estimateTotal, measurementLoss } from './estimate.js';
import type { Factor } from './factor.js';
import { GraphicalModel, type MarginalModel, type Measurement } from './model.js';
import { chainDomain, chainJoint } from './testing/fixtures.js';

const N = 10_000;

/** Noise-free measurements (counts N · p) of the chain's edges, in a measurement-chosen attribute order. */
function exactMeasurements(joint: Factor, sets: readonly (readonly string[])[]): Measurement[] {
  return sets.map((attrs) => ({ attrs, values: joint.sum(attrs).values.map((p) => p * N), sigma: 1 }));
}

function maxAbsDiff(x: Float64Array, y: Float64Array): number {
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe('estimate', () => {
  const joint = chainJoint();
  const edges = [
    ['a', 'b'],
    ['c', 'b'], // reversed order on purpose
    ['c', 'd'],
  ];
  const model = estimate(chainDomain, exactMeasurements(joint, edges), { iterations: 300 });

  it('recovers a chain distribution from its exact edge marginals', () => {
    expect(model.total).toBeCloseTo(N, 6);
    for (const attrs of [['a'], ['b'], ['c'], ['d'], ['a', 'b'], ['b', 'c'], ['d', 'c']]) {
      expect(maxAbsDiff(model.marginal(attrs), joint.sum(attrs).values)).toBeLessThan(1e-3);
    }
    // marginals spanning several cliques (variable elimination) and the whole joint
    expect(maxAbsDiff(model.marginal(['d', 'a']), joint.sum(['d', 'a']).values)).toBeLessThan(1e-3);
    expect(maxAbsDiff(model.marginal(['a', 'b', 'c', 'd']), joint.values)).toBeLessThan(1e-3);
  });

  it('sums every marginal to 1', () => {
    for (const attrs of [['a'], ['a', 'd'], ['c', 'a', 'b'], []]) {
      const p = model.marginal(attrs);
      expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    }
  });

  it('decreases the loss as iterations grow, and is deterministic', () => {
    const ms = exactMeasurements(joint, edges);
    const losses = [0, 5, 50].map((iterations) =>
      measurementLoss(estimate(chainDomain, ms, { iterations }), ms),
    );
    expect(losses[1]).toBeLessThan(losses[0]!);
    expect(losses[2]).toBeLessThan(losses[1]!);
    const again = estimate(chainDomain, ms, { iterations: 50 });
    expect(Array.from(again.marginal(['a', 'd']))).toEqual(
      Array.from(estimate(chainDomain, ms, { iterations: 50 }).marginal(['a', 'd'])),
    );
  });

  it('warm-starts from a previous model (same distribution before any iteration)', () => {
    const ms = exactMeasurements(joint, edges);
    // zero iterations from a warm start reproduces the previous model, even with a new measurement
    const warm = estimate(chainDomain, [...ms, ...exactMeasurements(joint, [['a', 'd']])], {
      iterations: 0,
      warmStart: model,
      total: N,
    });
    expect(
      maxAbsDiff(warm.marginal(['a', 'b', 'c', 'd']), model.marginal(['a', 'b', 'c', 'd'])),
    ).toBeLessThan(1e-12);
  });

  it('estimates the total as an inverse-variance weighted mean of the measurement sums', () => {
    const m1: Measurement = { attrs: ['a'], values: Float64Array.from([40, 60]), sigma: 1 }; // sum 100, var 2
    const m2: Measurement = { attrs: ['b'], values: Float64Array.from([50, 50, 100]), sigma: 2 }; // sum 200, var 12
    expect(estimateTotal([m1, m2])).toBeCloseTo((100 / 2 + 200 / 12) / (1 / 2 + 1 / 12), 10);
    expect(estimateTotal([{ attrs: ['a'], values: Float64Array.from([-5, -5]), sigma: 1 }])).toBe(1);
  });

  it('refuses a model whose junction tree exceeds maxCells, naming the cliques', () => {
    const ms = exactMeasurements(joint, [
      ['a', 'b', 'c'],
      ['c', 'd'],
    ]);
    expect(() => estimate(chainDomain, ms, { maxCells: 20 })).toThrow(InvalidParameterError);
    expect(() => estimate(chainDomain, ms, { maxCells: 20 })).toThrow(
      'estimate: maxCells must be at least the largest junction-tree clique table; these cliques exceed it: [a, b, c] (24 cells), got 20',
    );
  });

  it('refuses malformed measurements and options', () => {
    const good: Measurement = { attrs: ['a'], values: Float64Array.from([1, 2]), sigma: 1 };
    expect(() => estimate(chainDomain, [{ ...good, attrs: ['z'] }])).toThrow(/measurements\[0\]\.attrs/);
    expect(() => estimate(chainDomain, [{ ...good, attrs: ['a', 'a'] }])).toThrow(InvalidParameterError);
    expect(() => estimate(chainDomain, [{ ...good, values: Float64Array.from([1]) }])).toThrow(/2 counts/);
    expect(() => estimate(chainDomain, [{ ...good, values: Float64Array.from([1, Number.NaN]) }])).toThrow(
      /values\[1\]/,
    );
    expect(() => estimate(chainDomain, [{ ...good, sigma: 0 }])).toThrow(/sigma/);
    expect(() => estimate(chainDomain, [good], { iterations: -1 })).toThrow(/iterations/);
    expect(() => estimate(chainDomain, [])).toThrow(/options\.total/);
    const other = estimate(synthDomain([['a', 3]]), [], { total: 5, iterations: 0 });
    expect(() => estimate(chainDomain, [good], { warmStart: other })).toThrow(/warmStart/);
  });

  it('gives the uniform model without measurements', () => {
    const uniform = estimate(chainDomain, [], { total: 7 });
    expect(uniform).toBeInstanceOf(GraphicalModel);
    expect(uniform.total).toBe(7);
    expect(Array.from(uniform.marginal(['b']))).toEqual(
      [1 / 3, 1 / 3, 1 / 3].map((x) => expect.closeTo(x, 12)),
    );
  });
});

describe('estimate warm start from any MarginalModel', () => {
  it('uses the previous marginals when the model is not a GraphicalModel', () => {
    const joint = chainJoint();
    const ms = [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
    ].map((attrs) => ({
      attrs,
      values: joint.sum(attrs).values.map((p) => p * 1000),
      sigma: 1,
    }));
    const fitted = estimate(chainDomain, ms, { iterations: 300 });
    const wrapped: MarginalModel = {
      domain: fitted.domain,
      cliques: fitted.cliques,
      total: fitted.total,
      marginal: (attrs) => fitted.marginal(attrs),
      sample: (rows, rng) => fitted.sample(rows, rng),
      toJson: () => fitted.toJson(),
    };
    // the new tree [a, b, c], [a, c, d] differs from the old one; the chain factorises over it
    const extra = { attrs: ['a', 'd'], values: joint.sum(['a', 'd']).values.map((p) => p * 1000), sigma: 1 };
    const warm = estimate(chainDomain, [...ms, extra], { iterations: 0, warmStart: wrapped, total: 1000 });
    const all = ['a', 'b', 'c', 'd'];
    expect(maxAbsDiff(warm.marginal(all), fitted.marginal(all))).toBeLessThan(1e-9);
  });
});

describe('per-cell noise scales (Measurement.scale)', () => {
  const domain = synthDomain([['x', 2]]);
  it('weigh each cell by 1 / (sigma scale)^2 in the loss and the fit', () => {
    // two measurements of x disagree on cell 1; the one that says its cell 1 is 100x noisier loses it
    const trusted: Measurement = { attrs: ['x'], values: Float64Array.from([50, 70]), sigma: 1 };
    const vague: Measurement = {
      attrs: ['x'],
      values: Float64Array.from([50, 10]),
      sigma: 1,
      scale: Float64Array.from([1, 100]),
    };
    const model = estimate(domain, [trusted, vague], { iterations: 2000, total: 120 });
    const p = model.marginal(['x']);
    expect(p[1]! * 120).toBeGreaterThan(69);
    const loss = measurementLoss(model, [vague]);
    const r0 = 120 * p[0]! - 50;
    const r1 = 120 * p[1]! - 10;
    expect(loss).toBeCloseTo(0.5 * r0 * r0 + (0.5 * r1 * r1) / 10_000, 8);
    // the total's estimate weighs each table by the variance of its sum
    expect(estimateTotal([trusted, vague])).toBeCloseTo((120 / 2 + 60 / 10_001) / (1 / 2 + 1 / 10_001), 8);
    expect(() => estimate(domain, [{ ...vague, scale: Float64Array.from([1, 0]) }])).toThrow(
      InvalidParameterError,
    );
    expect(() => estimate(domain, [{ ...vague, scale: Float64Array.from([1]) }])).toThrow(
      InvalidParameterError,
    );
  });
});
