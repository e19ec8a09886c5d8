/**
 * The order in which garbler and evaluator walk a circuit: by AND depth, so that all AND gates of one depth are
 * hashed in one batch (one AES call per layer instead of one per gate).
 *
 * A wire's AND depth is 0 for inputs and constants, the maximum of its inputs' depths for a free gate (XOR,
 * INV, EQW) and one more than that for an AND gate. Layer L is: the free gates whose output has depth L, in
 * file order (their inputs are inputs, earlier free gates of depth <= L or AND gates of layers < L), then the
 * AND gates whose inputs have depth at most L (all set by then). Both parties derive the same schedule from
 * the circuit, which fixes the order of the garbled tables on the wire.
 */
import { type Circuit, GATE } from './circuit.js';

/** Gates in walking order, cut into segments that are all free gates or all AND gates. */
export interface Schedule {
  /** Gate indices in walking order. */
  readonly order: Uint32Array;
  /** Segment boundaries into `order`: segment s is order[starts[s] .. starts[s + 1]). */
  readonly starts: Uint32Array;
  /** 1 where segment s is AND gates (one hash batch), 0 for free gates. */
  readonly isAnd: Uint8Array;
  /** The largest AND segment (the hash buffer's size). */
  readonly widestAnd: number;
  /** EQ gates, in walking order (their constant labels travel in this order). */
  readonly constants: number;
}

const cache = new WeakMap<Circuit, Schedule>();

/** The circuit's schedule (computed once per circuit object). */
export function scheduleOf(circuit: Circuit): Schedule {
  const known = cache.get(circuit);
  if (known) return known;
  const { op, a, b, out } = circuit;
  const gates = op.length;
  const depth = new Uint32Array(circuit.wires);
  const layer = new Uint32Array(gates);
  let maxLayer = 0;
  let constants = 0;
  for (let g = 0; g < gates; g++) {
    const kind = op[g]!;
    let d = 0;
    if (kind === GATE.XOR || kind === GATE.AND) d = Math.max(depth[a[g]!]!, depth[b[g]!]!);
    else if (kind !== GATE.EQ) d = depth[a[g]!]!;
    else constants += 1;
    layer[g] = d;
    depth[out[g]!] = kind === GATE.AND ? d + 1 : d;
    if (d > maxLayer) maxLayer = d;
  }
  // counting sort into 2 * (maxLayer + 1) buckets: (layer, free) before (layer, and)
  const buckets = 2 * (maxLayer + 1);
  const counts = new Uint32Array(buckets + 1);
  const bucketOf = (g: number) => 2 * layer[g]! + (op[g] === GATE.AND ? 1 : 0);
  for (let g = 0; g < gates; g++) counts[bucketOf(g) + 1]! += 1;
  const startOf = new Uint32Array(buckets + 1);
  for (let k = 0; k < buckets; k++) startOf[k + 1] = startOf[k]! + counts[k + 1]!;
  const fill = startOf.slice(0, buckets);
  const order = new Uint32Array(gates);
  for (let g = 0; g < gates; g++) order[fill[bucketOf(g)]!++] = g;
  const starts: number[] = [];
  const isAnd: number[] = [];
  let widestAnd = 0;
  for (let k = 0; k < buckets; k++) {
    const size = startOf[k + 1]! - startOf[k]!;
    if (size === 0) continue;
    starts.push(startOf[k]!);
    isAnd.push(k & 1);
    if (k & 1 && size > widestAnd) widestAnd = size;
  }
  starts.push(gates);
  const schedule = Object.freeze({
    order,
    starts: Uint32Array.from(starts),
    isAnd: Uint8Array.from(isAnd),
    widestAnd,
    constants,
  });
  cache.set(circuit, schedule);
  return schedule;
}
