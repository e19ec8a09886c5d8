/**
 * Ancestral sampling from a calibrated junction tree: draw the root clique's cell from its marginal, then for
 * each further clique (parents first) draw its new attributes from its belief conditioned on the separator
 * codes already drawn. Running intersection makes this an exact draw from the model's joint distribution.
 *
 * Two ways to draw (`SampleMethod`):
 * - `iid`: every row independently. Each conditional distribution becomes a Walker/Vose alias table (built in
 *   O(clique cells) in total), so a draw costs one `rng.uniform()` and O(1) work.
 * - `rounded` (the default, as private-pgm's `synthetic_data`): the rows that share a separator cell (all rows
 *   for a root clique) get the clique's new cells in the proportions of the conditional distribution, rounded:
 *   each cell gets floor(p m) of the m rows, the remaining rows go to cells drawn without replacement with
 *   weights the fractional parts, and the multiset is shuffled over the rows. Every cell's count is then within
 *   one of its expectation, so the sampled marginals along the tree are far closer to the model's than i.i.d.
 *   draws (whose counts scatter by sqrt(p m)); a row is still drawn from the model's conditional given its
 *   parents, in distribution over the shuffle. A group smaller than a quarter of its cells is drawn i.i.d.
 *   (rounding would spend O(cells) for rows that mostly fall on fractional parts anyway), so the work stays
 *   O(rows) per clique.
 * Either is post-processing of the fitted model: the choice costs no privacy.
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
  /** The conditional weights per block (unnormalised), for rounded draws. */
  readonly weights: Float64Array;
}

/** How rows are drawn: independently, or with each group's counts rounded to their expectation (see above). */
export type SampleMethod = 'iid' | 'rounded';

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
  method: SampleMethod = 'rounded',
): Int32Array[] {
  const index = new Map(domain.attrs.map((a, i) => [a, i]));
  const samplers = tree.order.map((i) => cliqueSampler(domain, index, tree, beliefs, i));
  const columns = domain.attrs.map(() => new Int32Array(rows));
  if (method === 'iid') {
    for (let r = 0; r < rows; r++)
      for (const s of samplers) write(s, columns, r, drawIid(s, blockOf(s, columns, r), rng));
    return columns;
  }
  for (const s of samplers) drawRounded(s, columns, rows, rng);
  return columns;
}

/** The separator cell (block) of row r, from the codes already drawn. */
function blockOf(s: CliqueSampler, columns: readonly Int32Array[], r: number): number {
  let block = 0;
  for (let k = 0; k < s.separator.length; k++)
    block += columns[s.separator[k]!]![r]! * s.separatorStrides[k]!;
  return block;
}

/** One cell of the block's conditional distribution, by its alias table. */
function drawIid(s: CliqueSampler, block: number, rng: Rng): number {
  const offset = block * s.width;
  const x = rng.uniform() * s.width;
  const cell = Math.floor(x);
  return x - cell < s.probability[offset + cell]! ? cell : s.alias[offset + cell]!;
}

/** Writes the clique's new attributes of row r from its cell index (row-major over the fresh attributes). */
function write(s: CliqueSampler, columns: Int32Array[], r: number, cell: number): void {
  let drawn = cell;
  for (let k = s.fresh.length - 1; k >= 0; k--) {
    const size = s.freshSizes[k]!;
    columns[s.fresh[k]!]![r] = drawn % size;
    drawn = Math.floor(drawn / size);
  }
}

/** The clique's new attributes for every row, rounded per group of rows sharing a separator cell. */
function drawRounded(s: CliqueSampler, columns: Int32Array[], rows: number, rng: Rng): void {
  // rows grouped by block (a counting sort: groups in block order, rows in order within a group)
  const blocks = s.weights.length / s.width;
  const blockOfRow = new Int32Array(rows);
  const start = new Int32Array(blocks + 1);
  for (let r = 0; r < rows; r++) {
    const b = blockOf(s, columns, r);
    blockOfRow[r] = b;
    start[b + 1]!++;
  }
  for (let b = 0; b < blocks; b++) start[b + 1]! += start[b]!;
  const order = new Int32Array(rows);
  const next = start.slice(0, blocks);
  for (let r = 0; r < rows; r++) order[next[blockOfRow[r]!]!++] = r;
  const counts = new Int32Array(s.width);
  for (let b = 0; b < blocks; b++) {
    const m = start[b + 1]! - start[b]!;
    if (m === 0) continue;
    const group = order.subarray(start[b]!, start[b + 1]!);
    if (4 * m < s.width) {
      for (const r of group) write(s, columns, r, drawIid(s, b, rng));
      continue;
    }
    roundedCounts(s.weights, b * s.width, s.width, m, counts, rng);
    // the multiset of cells, shuffled over the group (Fisher–Yates)
    const cells = new Int32Array(m);
    let at = 0;
    for (let k = 0; k < s.width; k++) for (let c = counts[k]!; c > 0; c--) cells[at++] = k;
    for (let i = m - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const t = cells[i]!;
      cells[i] = cells[j]!;
      cells[j] = t;
    }
    for (let i = 0; i < m; i++) write(s, columns, group[i]!, cells[i]!);
  }
}

/**
 * counts[k] = floor(p_k m) plus one for each of the m − sum cells drawn without replacement with weights the
 * fractional parts (Efraimidis–Spirakis keys); p is weights[offset .. offset + width) normalised (uniform when
 * the block has no mass). The counts sum to m.
 */
function roundedCounts(
  weights: Float64Array,
  offset: number,
  width: number,
  m: number,
  counts: Int32Array,
  rng: Rng,
): void {
  let total = 0;
  for (let k = 0; k < width; k++) total += weights[offset + k]!;
  const fraction = new Float64Array(width);
  let assigned = 0;
  for (let k = 0; k < width; k++) {
    const expected = total > 0 ? (weights[offset + k]! / total) * m : m / width;
    const whole = Math.floor(expected);
    counts[k] = whole;
    fraction[k] = expected - whole;
    assigned += whole;
  }
  const extra = m - assigned;
  if (extra <= 0) return;
  // keys log(u) / w: the `extra` largest are a weighted draw without replacement; a zero weight never wins
  const keys: { k: number; key: number }[] = [];
  for (let k = 0; k < width; k++) {
    const w = fraction[k]!;
    if (w > 0) keys.push({ k, key: Math.log(1 - rng.uniform()) / w });
  }
  keys.sort((a, b) => b.key - a.key);
  // floating point may leave fewer positive fractions than rows to place: the rest go by the largest weights
  for (let i = 0; i < extra; i++) {
    if (i < keys.length) counts[keys[i]!.k]!++;
    else counts[largest(weights, offset, width)]!++;
  }
}

function largest(weights: Float64Array, offset: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (weights[offset + k]! > weights[offset + best]!) best = k;
  return best;
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
    weights: belief,
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
