import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.js';
import { synthDomain } from './domain.js';
import { marginalCounts } from './marginals.js';

const domain = synthDomain([
  ['a', 2],
  ['b', 3],
  ['c', 4],
]);

function randomData(rows: number, seed: number) {
  const rng = seededRng(seed);
  const columns = domain.attrs.map((a) =>
    Int32Array.from({ length: rows }, () => rng.uniformInt(domain.sizes.get(a)!)),
  );
  return { domain, columns };
}

/** The obvious oracle: a loop per row with the layout formula. */
function slowCounts(data: ReturnType<typeof randomData>, attrs: string[]): Float64Array {
  const sizes = attrs.map((a) => domain.sizes.get(a)!);
  const out = new Float64Array(sizes.reduce((p, s) => p * s, 1));
  for (let r = 0; r < data.columns[0]!.length; r++) {
    let cell = 0;
    attrs.forEach((a, k) => {
      cell = cell * sizes[k]! + data.columns[domain.attrs.indexOf(a)]![r]!;
    });
    out[cell]!++;
  }
  return out;
}

describe('marginalCounts', () => {
  it('matches the layout on a hand example', () => {
    const data = {
      domain,
      columns: [Int32Array.of(0, 1, 1), Int32Array.of(2, 0, 2), Int32Array.of(3, 3, 1)],
    };
    const ab = marginalCounts(data, ['a', 'b']);
    expect([...ab]).toEqual([0, 0, 1, 1, 0, 1]);
    const ba = marginalCounts(data, ['b', 'a']);
    expect([...ba]).toEqual([0, 1, 0, 0, 1, 1]);
    const abc = marginalCounts(data, ['a', 'b', 'c']);
    expect(abc[(0 * 3 + 2) * 4 + 3]).toBe(1);
    expect(abc[(1 * 3 + 0) * 4 + 3]).toBe(1);
    expect(abc[(1 * 3 + 2) * 4 + 1]).toBe(1);
    expect([...marginalCounts(data, [])]).toEqual([3]);
  });

  it('agrees with a per-row loop for 1, 2 and 3 attributes in any order', () => {
    const data = randomData(500, 7);
    for (const attrs of [['c'], ['b', 'a'], ['c', 'a', 'b'], ['a', 'b', 'c']]) {
      const counts = marginalCounts(data, attrs);
      expect(counts).toEqual(slowCounts(data, attrs));
      expect(counts.reduce((s, x) => s + x, 0)).toBe(500);
    }
  });

  it('refuses unknown and repeated attributes', () => {
    const data = randomData(5, 1);
    expect(() => marginalCounts(data, ['a', 'a'])).toThrow(/distinct/);
    expect(() => marginalCounts(data, ['z'])).toThrow(/domain's attributes/);
  });
});
