import { describe, expect, it } from 'vitest';
import { Factor, logSumExpInto, projectionIndex } from './factor.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('projectionIndex', () => {
  it('maps each cell of [a, b, c] to its cell of [c, a]', () => {
    // sizes a=2, b=2, c=3; cell (xa, xb, xc) of [c, a] is xc * 2 + xa
    const map = projectionIndex(['a', 'b', 'c'], [2, 2, 3], ['c', 'a']);
    const expected: number[] = [];
    for (let xa = 0; xa < 2; xa++)
      for (let xb = 0; xb < 2; xb++) for (let xc = 0; xc < 3; xc++) expected.push(xc * 2 + xa);
    expect(Array.from(map)).toEqual(expected);
  });
});

describe('Factor', () => {
  // a table over [a (2), b (3)]: cell (xa, xb) = xa * 3 + xb
  const ab = new Factor(['a', 'b'], [2, 3], f64([1, 2, 3, 4, 5, 6]));

  it('sums onto a subset and onto a reordered subset', () => {
    expect(Array.from(ab.sum(['a']).values)).toEqual([6, 15]);
    expect(Array.from(ab.sum(['b']).values)).toEqual([5, 7, 9]);
    expect(Array.from(ab.sum([]).values)).toEqual([21]);
  });

  it('transposes to [b, a]', () => {
    const ba = ab.transpose(['b', 'a']);
    expect(ba.attrs).toEqual(['b', 'a']);
    expect(Array.from(ba.values)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('expands (broadcasts) to a superset', () => {
    const b = new Factor(['b'], [3], f64([10, 20, 30]));
    const out = b.expand(['a', 'b'], [2, 3]);
    expect(Array.from(out.values)).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it('adds and multiplies over the union of attributes', () => {
    const c = new Factor(['c', 'a'], [2, 2], f64([1, 2, 3, 4])); // (xc, xa) → xc * 2 + xa
    const sum = ab.add(c);
    expect(sum.attrs).toEqual(['a', 'b', 'c']);
    // cell (xa, xb, xc) = ab[xa, xb] + c[xc, xa]
    expect(sum.values[0 * 6 + 2 * 2 + 1]).toBe(3 + 3); // xa=0, xb=2, xc=1: ab=3, c[1,0]=3
    expect(sum.values[1 * 6 + 0 * 2 + 0]).toBe(4 + 2); // xa=1, xb=0, xc=0: ab=4, c[0,1]=2
    const product = ab.multiply(new Factor(['b'], [3], f64([1, 0, 2])));
    expect(Array.from(product.values)).toEqual([1, 0, 6, 4, 0, 12]);
  });

  it('marginalises by logsumexp stably, and normalises', () => {
    const big = new Factor(['a', 'b'], [2, 2], f64([1000, 1000, -1000, Number.NEGATIVE_INFINITY]));
    const m = big.logSumExp(['a']);
    expect(m.values[0]).toBeCloseTo(1000 + Math.log(2), 10);
    expect(m.values[1]).toBe(-1000);
    const p = big.normalise().exp().values;
    expect(p[0]).toBeCloseTo(0.5, 12);
    expect(p[1]).toBeCloseTo(0.5, 12);
    expect(p[3]).toBe(0);
  });

  it('returns -Infinity for a logsumexp over only -Infinity', () => {
    const out = new Float64Array(1);
    logSumExpInto(
      f64([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]),
      new Int32Array(2),
      out,
      new Float64Array(1),
    );
    expect(out[0]).toBe(Number.NEGATIVE_INFINITY);
  });

  it('subtracts with log 0 / 0 = log 0', () => {
    const x = new Factor(['a'], [2], f64([Number.NEGATIVE_INFINITY, 3]));
    const y = new Factor(['a'], [2], f64([Number.NEGATIVE_INFINITY, 1]));
    expect(Array.from(x.subtract(y).values)).toEqual([Number.NEGATIVE_INFINITY, 2]);
  });
});
