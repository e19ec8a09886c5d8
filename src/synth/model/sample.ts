/**
 * Ancestral sampling from a calibrated junction tree: draw the root clique's cell from its marginal, then for
 * each further clique (parents first) draw its new attributes from its belief conditioned on the separator
 * codes already drawn. Running intersection makes this an exact draw from the model's joint distribution.
 *
 * Each conditional distribution becomes a Walker/Vose alias table (built in O(clique cells) in total), so a
 * draw costs one `rng.uniform()` and O(1) work: O(rows × attributes) after the tables are built.
 */
import type { Rng } from '../../core/index.js';
import type { SynthDomain } from '../domain.js';
import { tableSize } from './factor.js';
import type { Beliefs } from './inference.js';
import type { JunctionTree } from './junction-tree.js';

/** Alias tables for one clique: one block of `width` cells per separator cell. */
interface CliqueSampler {
  readonly separator: readonly number[]; // domain indices of the separator attributes
  readonly separatorStrides: readonly number[];
  readonly fresh: readonly number[]; // domain indices of the attributes this clique draws
  readonly freshSizes: readonly number[];
  readonly width: number;
  readonly probability: Float64Array;
  readonly alias: Int32Array;
}

/**
 * `rows` records drawn from the model with calibrated `beliefs` on `tree`: one Int32Array of codes per
 * attribute, in `domain.attrs` order.
 */
export function sampleRows(
  domain: SynthDomain,
  tree: JunctionTree,
  beliefs: Beliefs,
  rows: number,
  rng: Rng,
): Int32Array[] {
  const index = new Map(domain.attrs.map((a, i) => [a, i]));
  const samplers = tree.order.map((i) => cliqueSampler(domain, index, tree, beliefs, i));
  const columns = domain.attrs.map(() => new Int32Array(rows));
  for (let r = 0; r < rows; r++) {
    for (const s of samplers) {
      let block = 0;
      for (let k = 0; k < s.separator.length; k++)
        block += columns[s.separator[k]!]![r]! * s.separatorStrides[k]!;
      const offset = block * s.width;
      const x = rng.uniform() * s.width;
      const cell = Math.floor(x);
      let drawn = x - cell < s.probability[offset + cell]! ? cell : s.alias[offset + cell]!;
      for (let k = s.fresh.length - 1; k >= 0; k--) {
        const size = s.freshSizes[k]!;
        columns[s.fresh[k]!]![r] = drawn % size;
        drawn = Math.floor(drawn / size);
      }
    }
  }
  return columns;
}

function cliqueSampler(
  domain: SynthDomain,
  index: ReadonlyMap<string, number>,
  tree: JunctionTree,
  beliefs: Beliefs,
  i: number,
): CliqueSampler {
  const separator = tree.separator[i]!;
  const fresh = tree.cliques[i]!.filter((a) => !separator.includes(a));
  const belief = beliefs[i]!.transpose([...separator, ...fresh]).exp().values;
  const sepSizes = separator.map((a) => domain.sizes.get(a)!);
  const freshSizes = fresh.map((a) => domain.sizes.get(a)!);
  const separatorStrides = sepSizes.map((_, k) => tableSize(sepSizes.slice(k + 1)));
  const width = tableSize(freshSizes);
  const blocks = tableSize(sepSizes);
  const probability = new Float64Array(width * blocks);
  const alias = new Int32Array(width * blocks);
  for (let b = 0; b < blocks; b++) buildAlias(belief, b * width, width, probability, alias);
  return {
    separator: separator.map((a) => index.get(a)!),
    separatorStrides,
    fresh: fresh.map((a) => index.get(a)!),
    freshSizes,
    width,
    probability,
    alias,
  };
}

/**
 * Vose's alias method over weights[offset .. offset + width): afterwards cell k is kept with probability
 * probability[offset + k] and otherwise replaced by alias[offset + k]. A block without mass is uniform.
 */
function buildAlias(
  weights: Float64Array,
  offset: number,
  width: number,
  probability: Float64Array,
  alias: Int32Array,
): void {
  let total = 0;
  for (let k = 0; k < width; k++) total += weights[offset + k]!;
  const scaled = new Float64Array(width);
  for (let k = 0; k < width; k++) scaled[k] = total > 0 ? (weights[offset + k]! * width) / total : 1;
  const small: number[] = [];
  const large: number[] = [];
  for (let k = 0; k < width; k++) (scaled[k]! < 1 ? small : large).push(k);
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    probability[offset + s] = scaled[s]!;
    alias[offset + s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  // what is left has probability 1 up to rounding
  for (const k of [...small, ...large]) {
    probability[offset + k] = 1;
    alias[offset + k] = k;
  }
}
