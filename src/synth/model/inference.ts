/**
 * Exact inference on a junction tree: sum-product belief propagation in log space (two passes, leaves to root
 * and back; Koller & Friedman 2009, §10.2), giving each clique's marginal, and marginals over any attribute
 * set by variable elimination over the calibrated beliefs.
 *
 * A {@link BeliefPropagation} plan builds its index maps (clique ↔ separator) once; each `run` then costs
 * O(sum of clique table sizes) time with a handful of `exp`/`log` per cell, and allocates only its outputs.
 */
import { invariant } from '../../core/index.js';
import { cellCount, type SynthDomain } from '../domain.js';
import { Factor, logSumExpAll, logSumExpInto, projectionIndex, sumInto, tableSize } from './factor.js';
import { contains, type JunctionTree } from './junction-tree.js';

/** Calibrated beliefs: each clique's marginal, as log probabilities (each table's exponentials sum to 1). */
export type Beliefs = readonly Factor[];

/** A reusable belief-propagation plan for one junction tree over one domain. */
export class BeliefPropagation {
  readonly tree: JunctionTree;
  private readonly sizes: readonly (readonly number[])[];
  private readonly separatorCells: readonly number[];
  /** For each non-root clique: its cells → its separator's cells, and its parent's cells → the separator's. */
  private readonly toSeparator: readonly Int32Array[];
  private readonly parentToSeparator: readonly Int32Array[];
  private readonly children: readonly (readonly number[])[];

  constructor(domain: SynthDomain, tree: JunctionTree) {
    this.tree = tree;
    this.sizes = tree.cliques.map((c) => c.map((a) => domain.sizes.get(a)!));
    const none = new Int32Array(0);
    this.toSeparator = tree.cliques.map((c, i) =>
      tree.parent[i]! < 0 ? none : projectionIndex(c, this.sizes[i]!, tree.separator[i]!),
    );
    this.parentToSeparator = tree.cliques.map((_, i) => {
      const p = tree.parent[i]!;
      return p < 0 ? none : projectionIndex(tree.cliques[p]!, this.sizes[p]!, tree.separator[i]!);
    });
    this.separatorCells = tree.cliques.map((c, i) =>
      tableSize(tree.separator[i]!.map((a) => this.sizes[i]![c.indexOf(a)]!)),
    );
    const children: number[][] = tree.cliques.map(() => []);
    for (const i of tree.order) if (tree.parent[i]! >= 0) children[tree.parent[i]!]!.push(i);
    this.children = children;
  }

  /**
   * Calibrates the tree for log potentials `potentials` (one table per clique, in the clique's layout) and
   * returns each clique's normalised log marginal.
   */
  run(potentials: readonly Float64Array[]): Beliefs {
    const { tree } = this;
    const n = tree.cliques.length;
    const up: Float64Array[] = new Array(n); // message from clique i to its parent, over the separator
    const acc: Float64Array[] = new Array(n); // potential plus every child's message
    // upward pass: leaves first
    for (let k = n - 1; k >= 0; k--) {
      const i = tree.order[k]!;
      const table = Float64Array.from(potentials[i]!);
      for (const c of this.children[i]!) addGathered(table, up[c]!, this.parentToSeparator[c]!);
      acc[i] = table;
      if (tree.parent[i]! >= 0) {
        const sepCells = this.separatorCells[i]!;
        const msg = new Float64Array(sepCells);
        logSumExpInto(table, this.toSeparator[i]!, msg, new Float64Array(sepCells));
        up[i] = msg;
      }
    }
    // downward pass: root first; acc becomes the belief
    for (const i of tree.order) {
      const p = tree.parent[i]!;
      const belief = acc[i]!;
      if (p >= 0) {
        // message from the parent: its belief minus this clique's upward message, summed onto the separator
        const parentBelief = acc[p]!;
        const map = this.parentToSeparator[i]!;
        const sepCells = up[i]!.length;
        const without = new Float64Array(parentBelief.length);
        const upMsg = up[i]!;
        for (let j = 0; j < without.length; j++) without[j] = parentBelief[j]! - upMsg[map[j]!]!;
        const down = new Float64Array(sepCells);
        logSumExpInto(without, map, down, new Float64Array(sepCells));
        addGathered(belief, down, this.toSeparator[i]!);
      }
    }
    return tree.cliques.map((c, i) => {
      const b = acc[i]!;
      const z = logSumExpAll(b);
      invariant(Number.isFinite(z), () => `beliefPropagation: clique ${c.join(', ')} has no finite mass`);
      for (let j = 0; j < b.length; j++) b[j]! -= z;
      return new Factor(c, this.sizes[i]!, b);
    });
  }
}

/** table[j] += small[map[j]] */
function addGathered(table: Float64Array, small: Float64Array, map: Int32Array): void {
  for (let j = 0; j < table.length; j++) table[j]! += small[map[j]!]!;
}

/**
 * The marginal over `attrs` (in that order) of the distribution with calibrated `beliefs` on `tree`, as
 * probabilities summing to 1.
 *
 * Cost: when one clique holds every attribute, O(that clique's cells). Otherwise it takes the smallest subtree
 * whose cliques cover `attrs`, writes its distribution as root belief times each other clique's conditional
 * (belief / separator belief), and eliminates the attributes not asked for one at a time (greedy, the smallest
 * intermediate table first): time and memory are O(the largest intermediate table), at least the product of
 * the sizes of `attrs`.
 */
export function marginalOf(
  domain: SynthDomain,
  tree: JunctionTree,
  beliefs: Beliefs,
  attrs: readonly string[],
): Float64Array {
  const sizes = attrs.map((a) => domain.sizes.get(a)!);
  let holder = -1;
  tree.cliques.forEach((c, i) => {
    if (contains(c, attrs) && (holder < 0 || c.length < tree.cliques[holder]!.length)) holder = i;
  });
  if (holder >= 0) {
    const b = beliefs[holder]!;
    const out = new Float64Array(tableSize(sizes));
    sumInto(b.exp().values, projectionIndex(b.attrs, b.sizes, attrs), out);
    return out;
  }
  const keep = steinerSubtree(tree, attrs);
  const top = tree.order.find((i) => keep.has(i))!;
  let factors: Factor[] = [];
  for (const i of keep) {
    const b = beliefs[i]!;
    if (i === top) factors.push(b);
    else factors.push(b.subtract(b.logSumExp(tree.separator[i]!)));
  }
  const wanted = new Set(attrs);
  const eliminate = new Set<string>();
  for (const f of factors) for (const a of f.attrs) if (!wanted.has(a)) eliminate.add(a);
  while (eliminate.size > 0) {
    let best = '';
    let bestCells = Number.POSITIVE_INFINITY;
    for (const v of eliminate) {
      const scope = new Set<string>();
      for (const f of factors) if (f.attrs.includes(v)) for (const a of f.attrs) scope.add(a);
      const cells = cellCount(domain, [...scope]);
      if (cells < bestCells) {
        best = v;
        bestCells = cells;
      }
    }
    const touching = factors.filter((f) => f.attrs.includes(best));
    factors = factors.filter((f) => !f.attrs.includes(best));
    let product = touching[0]!;
    for (const f of touching.slice(1)) product = product.add(f);
    factors.push(product.logSumExp(product.attrs.filter((a) => a !== best)));
    eliminate.delete(best);
  }
  let joint = new Factor([], [], new Float64Array(1));
  for (const f of factors) joint = joint.add(f);
  const table = joint.transpose(attrs).normalise().exp().values;
  return table;
}

/** The smallest connected set of cliques covering `attrs`: prune leaves that are not needed. */
function steinerSubtree(tree: JunctionTree, attrs: readonly string[]): Set<number> {
  const required = new Set<number>();
  const uncovered = new Set(attrs);
  // greedily pick cliques covering the most still-uncovered attributes
  while (uncovered.size > 0) {
    let best = -1;
    let bestCount = 0;
    tree.cliques.forEach((c, i) => {
      const count = c.filter((a) => uncovered.has(a)).length;
      if (count > bestCount) {
        best = i;
        bestCount = count;
      }
    });
    invariant(best >= 0, () => `marginal: no clique holds ${[...uncovered].join(', ')}`);
    required.add(best);
    for (const a of tree.cliques[best]!) uncovered.delete(a);
  }
  const degree = tree.cliques.map(() => 0);
  for (const [i, j] of tree.edges) {
    degree[i]!++;
    degree[j]!++;
  }
  const alive = new Set(tree.cliques.map((_, i) => i));
  let pruned = true;
  while (pruned) {
    pruned = false;
    for (const i of alive) {
      if (!required.has(i) && degree[i]! <= 1) {
        alive.delete(i);
        for (const [a, b] of tree.edges) {
          if (a === i && alive.has(b)) degree[b]!--;
          if (b === i && alive.has(a)) degree[a]!--;
        }
        pruned = true;
      }
    }
  }
  return alive;
}

/** Probability-space clique tables of `beliefs` (exp of each). */
export function cliqueProbabilities(beliefs: Beliefs): Float64Array[] {
  return beliefs.map((b) => b.exp().values);
}
