import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { cellCount, synthDomain } from '../domain.js';
import { Factor } from './factor.js';
import { BeliefPropagation, marginalOf } from './inference.js';
import { junctionTree } from './junction-tree.js';

const domain = synthDomain([
  ['a', 2],
  ['b', 3],
  ['c', 2],
  ['d', 4],
  ['e', 3],
  ['f', 2],
]);
// a loop a–b–c–d–a (triangulated), a branch d–e, and f alone
const tree = junctionTree(domain, [
  ['a', 'b'],
  ['b', 'c'],
  ['c', 'd'],
  ['d', 'a'],
  ['d', 'e'],
]);

/** Random log potentials for the tree, and the exact joint over every attribute by brute force. */
function randomModel(seed: number) {
  const rng = seededRng(seed);
  const potentials = tree.cliques.map((c) => {
    const t = new Float64Array(cellCount(domain, c));
    for (let j = 0; j < t.length; j++) t[j] = 3 * rng.normal();
    return t;
  });
  let joint = new Factor([], [], new Float64Array(1));
  tree.cliques.forEach((c, i) => {
    joint = joint.add(
      new Factor(
        c,
        c.map((a) => domain.sizes.get(a)!),
        potentials[i],
      ),
    );
  });
  return { potentials, joint: joint.transpose(domain.attrs).normalise().exp() };
}

function maxAbsDiff(x: Float64Array, y: Float64Array): number {
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe('belief propagation', () => {
  it('gives every clique its exact marginal (brute-force oracle)', () => {
    expect(tree.cliques.length).toBeGreaterThan(2);
    for (const seed of [1, 2, 3]) {
      const { potentials, joint } = randomModel(seed);
      const beliefs = new BeliefPropagation(domain, tree).run(potentials);
      beliefs.forEach((b, i) => {
        expect(b.attrs).toEqual(tree.cliques[i]);
        expect(maxAbsDiff(b.exp().values, joint.sum(b.attrs).values)).toBeLessThan(1e-12);
      });
    }
  });

  it('gives exact marginals over attributes no clique holds (variable elimination)', () => {
    const { potentials, joint } = randomModel(4);
    const beliefs = new BeliefPropagation(domain, tree).run(potentials);
    for (const attrs of [['e', 'a'], ['b', 'd', 'f'], ['f', 'e', 'c', 'b'], domain.attrs, ['c']]) {
      expect(maxAbsDiff(marginalOf(domain, tree, beliefs, attrs), joint.sum(attrs).values)).toBeLessThan(
        1e-12,
      );
    }
  });
});
