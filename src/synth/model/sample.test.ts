import { describe, expect, it } from 'vitest';
import { InvalidParameterError, seededRng } from '../../core/index.js';
import { synthDomain } from '../domain.js';
import { estimate } from './estimate.js';
import { projectionIndex } from './factor.js';
import type { GraphicalModel } from './model.js';
import { sampleRows } from './sample.js';
import { chainDomain, chainJoint } from './testing/fixtures.js';

const ROWS = 200_000;

/** Empirical distribution of the sampled rows over `attrs` (row-major layout of that list). */
function empirical(
  columns: Int32Array[],
  attrs: readonly string[],
  domainAttrs: readonly string[],
  sizes: number[],
) {
  const counts = new Float64Array(sizes.reduce((a, b) => a * b, 1));
  const cols = attrs.map((a) => columns[domainAttrs.indexOf(a)]!);
  const rows = columns[0]!.length;
  for (let r = 0; r < rows; r++) {
    let cell = 0;
    for (let k = 0; k < cols.length; k++) cell = cell * sizes[k]! + cols[k]![r]!;
    counts[cell]!++;
  }
  return counts.map((c) => c / rows);
}

describe('sample', () => {
  const joint = chainJoint();
  const measurements = [
    ['a', 'b'],
    ['b', 'c'],
    ['c', 'd'],
  ].map((attrs) => ({
    attrs,
    values: joint.sum(attrs).values.map((p) => p * 5000),
    sigma: 1,
  }));
  const model = estimate(chainDomain, measurements, { iterations: 300 }) as GraphicalModel;
  const columns = model.sample(ROWS, seededRng(20261207));

  it('returns one column of in-range codes per attribute, in domain order', () => {
    expect(columns.length).toBe(4);
    chainDomain.attrs.forEach((a, i) => {
      const col = columns[i]!;
      expect(col.length).toBe(ROWS);
      const size = chainDomain.sizes.get(a)!;
      expect(col.every((x) => x >= 0 && x < size)).toBe(true);
    });
  });

  it("matches the model's marginals within 4-sigma binomial bounds", () => {
    // each cell's frequency over 200,000 rows has std sqrt(p(1 - p) / rows) <= 0.0011; with 52 cells checked at
    // 4 sigma, a correct sampler fails with probability < 0.4% (and the seed is fixed)
    let checked = 0;
    for (const attrs of [
      ['a'],
      ['b'],
      ['c'],
      ['d'],
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['a', 'd'],
      ['d', 'b'],
    ]) {
      const p = model.marginal(attrs);
      const q = empirical(
        columns,
        attrs,
        chainDomain.attrs,
        attrs.map((a) => chainDomain.sizes.get(a)!),
      );
      for (let j = 0; j < p.length; j++) {
        const bound = 4 * Math.sqrt((p[j]! * (1 - p[j]!)) / ROWS) + 1 / ROWS;
        expect(Math.abs(q[j]! - p[j]!)).toBeLessThanOrEqual(bound);
        checked++;
      }
    }
    expect(checked).toBe(2 + 3 + 4 + 2 + 6 + 12 + 8 + 4 + 6);
  });

  it('draws i.i.d. rows within the same binomial bounds', () => {
    const iid = sampleRows(model.domain, model.tree, model.beliefs, ROWS, seededRng(7), 'iid');
    for (const attrs of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['a', 'd'],
    ]) {
      const p = model.marginal(attrs);
      const q = empirical(
        iid,
        attrs,
        chainDomain.attrs,
        attrs.map((a) => chainDomain.sizes.get(a)!),
      );
      for (let j = 0; j < p.length; j++)
        expect(Math.abs(q[j]! - p[j]!)).toBeLessThanOrEqual(
          4 * Math.sqrt((p[j]! * (1 - p[j]!)) / ROWS) + 1 / ROWS,
        );
    }
  });

  it('rounds each group to its expected counts: marginals along the tree within a few rows of the model', () => {
    // 2,000 rows: i.i.d. counts scatter by sqrt(p m) (about 10 rows for p = 0.05); rounded ones by at most one row
    // per group and cell, so every edge marginal is within (cells of its separator + 1) / rows of the model's
    const rows = 2000;
    const maxError = (columns: Int32Array[]) => {
      let worst = 0;
      for (const attrs of [['a'], ['a', 'b'], ['b', 'c'], ['c', 'd']]) {
        const p = model.marginal(attrs);
        const q = empirical(
          columns,
          attrs,
          chainDomain.attrs,
          attrs.map((a) => chainDomain.sizes.get(a)!),
        );
        for (let j = 0; j < p.length; j++) worst = Math.max(worst, Math.abs(q[j]! - p[j]!));
      }
      return worst;
    };
    for (const seed of [1, 2, 3]) {
      const rounded = sampleRows(model.domain, model.tree, model.beliefs, rows, seededRng(seed), 'rounded');
      expect(maxError(rounded)).toBeLessThanOrEqual(8 / rows);
      const iid = sampleRows(model.domain, model.tree, model.beliefs, rows, seededRng(seed), 'iid');
      expect(maxError(iid)).toBeGreaterThan(8 / rows);
    }
  });

  it('draws the joint (not only the edge marginals): the a–d dependence of the chain', () => {
    // a and d are dependent only through b and c; the sample must carry that through the tree
    const p = joint.sum(['a', 'd']).values;
    const q = empirical(columns, ['a', 'd'], chainDomain.attrs, [2, 2]);
    for (let j = 0; j < 4; j++) expect(Math.abs(q[j]! - p[j]!)).toBeLessThan(0.005);
    const independent = joint.sum(['a']).values[0]! * joint.sum(['d']).values[0]!;
    expect(Math.abs(p[0]! - independent)).toBeGreaterThan(0.01); // so an independent draw would fail the check above
  });

  it('is reproducible for a seed and covers unmeasured attributes', () => {
    const domain = synthDomain([
      ['x', 3],
      ['y', 2],
      ['z', 4],
    ]);
    const m = estimate(domain, [
      { attrs: ['x', 'y'], values: Float64Array.from([10, 20, 30, 40, 50, 60]), sigma: 1 },
    ]);
    const one = m.sample(1000, seededRng(5));
    const two = m.sample(1000, seededRng(5));
    expect(one.map((c) => Array.from(c))).toEqual(two.map((c) => Array.from(c)));
    expect(new Set(one[2]).size).toBe(4); // z, never measured, is drawn uniformly over its 4 codes
    expect(m.sample(0, seededRng(1)).map((c) => c.length)).toEqual([0, 0, 0]);
    expect(() => m.sample(-1, seededRng(1))).toThrow(InvalidParameterError);
  });

  it('decodes clique cells in the layout order (a projection check)', () => {
    // the cell of codes (x_a, x_b) over [a, b] is x_a * size_b + x_b: the sampler and the tables agree
    const map = projectionIndex(['a', 'b'], [2, 3], ['b']);
    expect(Array.from(map)).toEqual([0, 1, 2, 0, 1, 2]);
  });
});
