import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import { synthDomain } from '../domain.js';
import {
  contains,
  hasRunningIntersection,
  junctionTree,
  modelCells,
  treeFromCliques,
} from './junction-tree.js';

const domain = synthDomain([
  ['a', 2],
  ['b', 3],
  ['c', 4],
  ['d', 2],
  ['e', 5],
  ['f', 2],
  ['g', 3],
]);

describe('junctionTree', () => {
  const measured = [
    ['a', 'b'],
    ['b', 'c'],
    ['c', 'd'],
    ['d', 'a'], // closes a 4-cycle: needs a chord
    ['e', 'c'],
    ['a', 'b', 'c'],
  ];
  const tree = junctionTree(domain, measured);

  it('has the running intersection property', () => {
    expect(hasRunningIntersection(tree)).toBe(true);
    // and directly: the cliques holding each attribute are connected in the tree
    for (const attr of domain.attrs) {
      const holding = new Set(tree.cliques.flatMap((c, i) => (c.includes(attr) ? [i] : [])));
      const start = [...holding][0]!;
      const reached = new Set([start]);
      const stack = [start];
      while (stack.length > 0) {
        const i = stack.pop()!;
        for (const [x, y] of tree.edges) {
          const other = x === i ? y : y === i ? x : -1;
          if (other >= 0 && holding.has(other) && !reached.has(other)) {
            reached.add(other);
            stack.push(other);
          }
        }
      }
      expect(reached.size).toBe(holding.size);
    }
  });

  it('covers every attribute, measured or not, and is one tree', () => {
    expect(new Set(tree.cliques.flat())).toEqual(new Set(domain.attrs));
    expect(tree.edges.length).toBe(tree.cliques.length - 1);
    expect(tree.order.length).toBe(tree.cliques.length);
    // f and g were never measured: singleton cliques
    expect(tree.cliques).toContainEqual(['f']);
    expect(tree.cliques).toContainEqual(['g']);
  });

  it('holds every measured clique inside one of its cliques', () => {
    for (const m of measured) expect(tree.cliques.some((c) => contains(c, m))).toBe(true);
  });

  it('keeps cliques maximal and in domain order', () => {
    for (const c of tree.cliques) {
      const ranks = c.map((a) => domain.attrs.indexOf(a));
      expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
      expect(tree.cliques.filter((d) => d !== c && contains(d, c))).toEqual([]);
    }
  });

  it('refuses a clique table over maxCells, naming the cliques', () => {
    expect(() => junctionTree(domain, measured, 20)).toThrow(InvalidParameterError);
    expect(() => junctionTree(domain, measured, 20)).toThrow(/\[a, b, c.*cells/);
    expect(() => junctionTree(domain, measured, 48)).not.toThrow();
  });

  it('refuses an unknown attribute', () => {
    expect(() => junctionTree(domain, [['a', 'z']])).toThrow(/attributes of the domain/);
  });

  it('detects a tree without running intersection', () => {
    // the three edges of a triangle without the triangle itself: no tree over them has running intersection
    const bad = treeFromCliques([
      ['a', 'b'],
      ['b', 'c'],
      ['a', 'c'],
    ]);
    expect(hasRunningIntersection(bad)).toBe(false);
  });

  it('reports the size of the model a clique set needs', () => {
    // a–b–c chain: cliques [a, b] (6 cells) and [b, c] (12 cells); d, e, f, g singletons (2 + 5 + 2 + 3)
    expect(
      modelCells(domain, [
        ['a', 'b'],
        ['b', 'c'],
      ]),
    ).toEqual({ total: 6 + 12 + 2 + 5 + 2 + 3, largest: 12 });
  });
});
