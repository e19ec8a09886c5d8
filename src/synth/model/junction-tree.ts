/**
 * The junction tree of a graphical model built from the attribute sets it must represent (McKenna, Sheldon &
 * Miklau 2019, §4; the textbook construction of Koller & Friedman 2009, ch. 10):
 *
 * 1. the interaction graph: a vertex per domain attribute, an edge between two attributes that share a clique;
 * 2. a greedy elimination order that each time eliminates the vertex whose new clique (it and its neighbours)
 *    has the fewest CELLS (the product of the domain sizes, not the number of attributes), ties broken by the
 *    fill-in it adds, then by domain order, so the result is deterministic;
 * 3. the maximal cliques of the triangulated graph it induces;
 * 4. a maximum spanning tree over those cliques, weighted by separator size (Kruskal, deterministic ties),
 *    which for the cliques of a chordal graph has the running intersection property.
 *
 * Attributes no clique mentions are isolated vertices and become singleton cliques, so the tree covers the
 * whole domain. Unconnected parts are joined with empty separators, making one tree.
 */
import { InvalidParameterError } from '../../core/index.js';
import { cellCount, type SynthDomain } from '../domain.js';

/** A junction tree: cliques (attributes in domain order), tree edges, and a rooted traversal order. */
export interface JunctionTree {
  /** The maximal cliques, each in domain attribute order. */
  readonly cliques: readonly (readonly string[])[];
  /** Tree edges as pairs of clique indices. */
  readonly edges: readonly (readonly [number, number])[];
  /** Clique indices root first, each after its parent (breadth-first from clique 0). */
  readonly order: readonly number[];
  /** The parent of each clique (-1 for the root). */
  readonly parent: readonly number[];
  /** The separator between each clique and its parent, in domain order (empty for the root). */
  readonly separator: readonly (readonly string[])[];
}

/**
 * Builds the junction tree for `cliques` over `domain`.
 * @param domain the attributes and their sizes
 * @param cliques the attribute sets the model must hold jointly (e.g. every measured marginal)
 * @param maxCells when given, refuse a tree whose largest clique table exceeds this many cells
 * @throws {InvalidParameterError} an unknown attribute, or a clique table over `maxCells`
 */
export function junctionTree(
  domain: SynthDomain,
  cliques: readonly (readonly string[])[],
  maxCells?: number,
): JunctionTree {
  const rank = new Map(domain.attrs.map((a, i) => [a, i]));
  const neighbours = new Map<string, Set<string>>(domain.attrs.map((a) => [a, new Set<string>()]));
  for (const clique of cliques) {
    for (const a of clique) {
      if (!rank.has(a)) {
        throw new InvalidParameterError({
          fn: 'junctionTree',
          param: 'cliques',
          value: a,
          allowed: `attributes of the domain (${domain.attrs.join(', ')})`,
        });
      }
      for (const b of clique) if (a !== b) neighbours.get(a)!.add(b);
    }
  }
  const maximal = eliminationCliques(domain, neighbours, rank);
  const sorted = maximal.map((c) => [...c].sort((x, y) => rank.get(x)! - rank.get(y)!));
  if (maxCells !== undefined) {
    const tooBig = sorted.filter((c) => cellCount(domain, c) > maxCells);
    if (tooBig.length > 0) {
      const names = tooBig.map((c) => `[${c.join(', ')}] (${cellCount(domain, c)} cells)`).join('; ');
      throw new InvalidParameterError({
        fn: 'estimate',
        param: 'maxCells',
        value: maxCells,
        allowed: `at least the largest junction-tree clique table; these cliques exceed it: ${names}`,
      });
    }
  }
  return treeFromCliques(sorted);
}

/** Greedy weighted min-size elimination; returns the maximal cliques of the induced triangulation. */
function eliminationCliques(
  domain: SynthDomain,
  neighbours: Map<string, Set<string>>,
  rank: ReadonlyMap<string, number>,
): string[][] {
  const graph = new Map<string, Set<string>>([...neighbours].map(([a, n]) => [a, new Set(n)]));
  const cliques: string[][] = [];
  while (graph.size > 0) {
    let best: string | undefined;
    let bestCells = Number.POSITIVE_INFINITY;
    let bestFill = Number.POSITIVE_INFINITY;
    for (const [v, adj] of graph) {
      const cells = cellCount(domain, [v, ...adj]);
      const fill = fillIn(graph, adj);
      const better =
        cells < bestCells ||
        (cells === bestCells && fill < bestFill) ||
        (cells === bestCells && fill === bestFill && rank.get(v)! < rank.get(best!)!);
      if (better) {
        best = v;
        bestCells = cells;
        bestFill = fill;
      }
    }
    const v = best!;
    const adj = [...graph.get(v)!];
    cliques.push([v, ...adj]);
    for (const a of adj) {
      const na = graph.get(a)!;
      na.delete(v);
      for (const b of adj) if (a !== b) na.add(b);
    }
    graph.delete(v);
  }
  // keep only cliques not contained in another (the first of equal ones)
  return cliques.filter(
    (c, i) =>
      !cliques.some(
        (d, j) => j !== i && d.length >= c.length && contains(d, c) && (d.length > c.length || j < i),
      ),
  );
}

function fillIn(graph: ReadonlyMap<string, Set<string>>, adj: ReadonlySet<string>): number {
  const list = [...adj];
  let missing = 0;
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) if (!graph.get(list[i]!)!.has(list[j]!)) missing++;
  }
  return missing;
}

/** Whether every attribute of `inner` is in `outer`. */
export function contains(outer: readonly string[], inner: readonly string[]): boolean {
  return inner.every((a) => outer.includes(a));
}

/**
 * The maximum spanning tree over `cliques` weighted by separator size (then clique index, for determinism),
 * rooted at clique 0. Its running intersection property holds when the cliques are those of a chordal graph;
 * {@link hasRunningIntersection} checks it.
 */
export function treeFromCliques(cliques: readonly (readonly string[])[]): JunctionTree {
  const candidates: [number, number, number][] = [];
  for (let i = 0; i < cliques.length; i++) {
    for (let j = i + 1; j < cliques.length; j++) {
      const weight = cliques[i]!.filter((a) => cliques[j]!.includes(a)).length;
      candidates.push([weight, i, j]);
    }
  }
  candidates.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
  const root = cliques.map((_, i) => i);
  const find = (i: number): number => {
    while (root[i] !== i) {
      root[i] = root[root[i]!]!;
      i = root[i]!;
    }
    return i;
  };
  const edges: [number, number][] = [];
  for (const [, i, j] of candidates) {
    const ri = find(i);
    const rj = find(j);
    if (ri !== rj) {
      root[ri] = rj;
      edges.push([i, j]);
    }
  }
  const adjacency = cliques.map(() => [] as number[]);
  for (const [i, j] of edges) {
    adjacency[i]!.push(j);
    adjacency[j]!.push(i);
  }
  const parent = cliques.map(() => -1);
  const order: number[] = [];
  if (cliques.length > 0) {
    const seen = new Set([0]);
    order.push(0);
    for (let k = 0; k < order.length; k++) {
      for (const n of adjacency[order[k]!]!) {
        if (!seen.has(n)) {
          seen.add(n);
          parent[n] = order[k]!;
          order.push(n);
        }
      }
    }
  }
  const separator = cliques.map((c, i) =>
    parent[i]! < 0 ? [] : c.filter((a) => cliques[parent[i]!]!.includes(a)),
  );
  return { cliques, edges, order, parent, separator };
}

/**
 * Whether the tree has the running intersection property: for every attribute, the cliques holding it form a
 * connected subtree (equivalently, in the rooted order, each attribute enters at exactly one clique and every
 * later clique holding it has it in its separator).
 */
export function hasRunningIntersection(tree: JunctionTree): boolean {
  const entered = new Set<string>();
  for (const i of tree.order) {
    for (const a of tree.cliques[i]!) {
      const inSeparator = tree.separator[i]!.includes(a);
      if (entered.has(a) !== inSeparator) return false;
      entered.add(a);
    }
  }
  return true;
}

/**
 * The size of the model a set of attribute sets would need, before fitting it (AIM filters its candidates by
 * this): the cells of the junction tree's cliques, in total and the largest one.
 * @throws {InvalidParameterError} an unknown attribute
 */
export function modelCells(
  domain: SynthDomain,
  cliques: readonly (readonly string[])[],
): { readonly total: number; readonly largest: number } {
  const tree = junctionTree(domain, cliques);
  const cells = tree.cliques.map((c) => cellCount(domain, c));
  return { total: cells.reduce((a, b) => a + b, 0), largest: Math.max(...cells) };
}
