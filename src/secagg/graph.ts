/**
 * The communication graph of an aggregation. SecAgg (Bonawitz et al. 2017) uses the complete graph: every
 * client shares its secrets with, and masks against, every other. SecAgg+ (Bell et al., CCS 2020) replaces it
 * with a random k-regular graph (a Harary graph H(n, k) over a random permutation of the clients), so each
 * client does O(k) instead of O(n) work and the server O(n k) instead of O(n^2), with k = O(log n).
 *
 * The permutation is derived from the session id and the roster, so the server and every client compute the
 * same graph without another message. The session id is chosen by the server: a server that ground session ids
 * to place chosen clients side by side is outside the semi-honest model this choice assumes (see
 * docs/secure-aggregation.md).
 */
import { InvalidParameterError } from '../core/index.js';
import { hkdf, prgWords } from '../crypto/index.js';
import { frame } from './common.js';

/** Which graph the clients share keys and masks over. */
export type SecAggGraph =
  | { readonly kind: 'complete' }
  | {
      readonly kind: 'harary';
      /** Neighbours of each client (even, >= 2); a degree >= n - 1 gives the complete graph. */
      readonly degree: number;
    };

export const COMPLETE_GRAPH: SecAggGraph = Object.freeze({ kind: 'complete' });

/** Checks a graph option. */
export function validateGraph(graph: SecAggGraph, fn: string): void {
  if (graph.kind === 'complete') return;
  if (graph.kind !== 'harary' || !Number.isInteger(graph.degree) || graph.degree < 2 || graph.degree % 2) {
    throw new InvalidParameterError({
      fn,
      param: 'graph',
      value: JSON.stringify(graph),
      allowed: "{ kind: 'complete' } or { kind: 'harary', degree: an even integer >= 2 }",
    });
  }
}

/**
 * The fewest clients a neighbourhood may hold (the client itself included; under the complete graph, the whole
 * roster). With two, the sum reveals each client's input to the other; with three and a majority threshold of
 * two, no client's two secrets can be collected from honest holders.
 */
export const MIN_NEIGHBOURHOOD = 3;

/**
 * Clients in each neighbourhood (the client itself included) for a roster of `n` clients: n under the complete
 * graph or a degree >= n - 1, else degree + 1.
 */
export function neighbourhoodSize(n: number, graph: SecAggGraph): number {
  return graph.kind === 'complete' || graph.degree >= n - 1 ? n : graph.degree + 1;
}

/**
 * Why a Shamir threshold is unsafe for a neighbourhood of `size` clients (the client itself included), or null.
 * The rule: size >= {@link MIN_NEIGHBOURHOOD} and size / 2 < threshold <= size. A strict majority matters
 * because an honest holder releases exactly one of a client's two secrets (the self-mask seed's share if the
 * survivor list it signed names that client, the mask key's share if not): a server showing two groups two
 * different lists needs `threshold` holders in each group, so 2 · threshold of them, which a neighbourhood with
 * 2 · threshold > size does not have (colluding clients, who release both, count against that margin).
 */
export function thresholdProblem(threshold: number, size: number): string | null {
  if (size < MIN_NEIGHBOURHOOD) {
    return `${size} clients in the neighbourhood, fewer than the minimum ${MIN_NEIGHBOURHOOD}`;
  }
  if (threshold > size) return `the threshold ${threshold} exceeds the ${size} clients of the neighbourhood`;
  if (2 * threshold <= size) {
    return `the threshold ${threshold} is not a majority of the ${size} clients of the neighbourhood (at least ${Math.floor(size / 2) + 1} needed, or a server showing two survivor lists could unmask one client's input)`;
  }
  return null;
}

/**
 * Neighbours of every client of `roster` (ids, any order), self excluded. Deterministic in (session, roster,
 * graph).
 */
export function neighbourhoods(
  session: string,
  roster: readonly string[],
  graph: SecAggGraph,
): Map<string, readonly string[]> {
  const ids = [...roster].sort();
  const n = ids.length;
  if (graph.kind === 'complete' || graph.degree >= n - 1) {
    return new Map(ids.map((id) => [id, ids.filter((o) => o !== id)]));
  }
  // Fisher-Yates over public randomness, each index drawn exactly uniformly (rejection sampling on 32-bit words),
  // so every one of the n! orders, and so every Harary graph, is equally likely.
  const seed = hkdf(frame(...ids), new TextEncoder().encode(session), frame('veil-secagg/v1', 'graph'));
  const draw = uniformIndices(seed, n);
  const ring = [...ids];
  for (let i = n - 1; i > 0; i--) {
    const r = draw(i + 1);
    [ring[i], ring[r]] = [ring[r]!, ring[i]!];
  }
  const half = graph.degree / 2;
  const out = new Map<string, readonly string[]>();
  ring.forEach((id, i) => {
    const near: string[] = [];
    for (let d = 1; d <= half; d++) near.push(ring[(i + d) % n]!, ring[(i - d + n) % n]!);
    out.set(id, near.sort());
  });
  return out;
}

/**
 * Exact uniform integers in [0, bound) for 1 <= bound <= 2^32 from the AES-CTR keystream of `seed`: a word w is
 * used only when it falls below the largest multiple of `bound` that fits in 32 bits (then w mod bound is
 * uniform), else the next word is read. The keystream is extended as needed (prgWords' output of a longer
 * length starts with that of a shorter one), so the draws are a deterministic function of the seed.
 */
function uniformIndices(seed: Uint8Array, expected: number): (bound: number) => number {
  let words = prgWords(seed, Math.max(16, 2 * expected));
  let next = 0;
  return (bound) => {
    const limit = 4294967296 - (4294967296 % bound);
    for (;;) {
      if (next >= words.length) words = prgWords(seed, 2 * words.length);
      const w = words[next++]!;
      if (w < limit) return w % bound;
    }
  };
}

/** Whether the subgraph induced by `members` is connected (an empty or one-member set is). */
export function isConnected(members: readonly string[], neighbours: ReadonlyMap<string, readonly string[]>) {
  if (members.length <= 1) return true;
  const inside = new Set(members);
  const seen = new Set<string>([members[0]!]);
  const stack = [members[0]!];
  while (stack.length) {
    const u = stack.pop()!;
    for (const v of neighbours.get(u) ?? []) {
      if (inside.has(v) && !seen.has(v)) {
        seen.add(v);
        stack.push(v);
      }
    }
  }
  return seen.size === inside.size;
}

/** log P[Binomial(m, p) = i] for i = 0..m. */
function logBinomialPmf(m: number, p: number): number[] {
  const out: number[] = [];
  let logChoose = 0;
  for (let i = 0; i <= m; i++) {
    if (i > 0) logChoose += Math.log(m - i + 1) - Math.log(i);
    out.push(logChoose + (i === 0 ? 0 : i * Math.log(p)) + (i === m ? 0 : (m - i) * Math.log1p(-p)));
  }
  return out;
}

function tail(logPmf: readonly number[], from: number, to: number): number {
  let s = 0;
  for (let i = Math.max(0, from); i <= Math.min(logPmf.length - 1, to); i++) s += Math.exp(logPmf[i]!);
  return s;
}

/** What {@link secAggPlusParameters} chose, and the failure bounds it proved for that choice. */
export interface SecAggPlusParameters {
  readonly graph: SecAggGraph;
  /** Shamir threshold within each neighbourhood of degree + 1 clients: always a strict majority of it. */
  readonly threshold: number;
  /** Union bound over clients: some neighbourhood keeps fewer than `threshold` clients (the round aborts). */
  readonly abortBound: number;
  /** Union bound over clients: some neighbourhood holds `threshold` or more corrupt clients. */
  readonly exposureBound: number;
}

/**
 * Picks the smallest even degree k and a threshold t for n clients such that, with each client dropping
 * independently with probability `dropout` and each being corrupt (colluding with the server) independently
 * with probability `corrupt`, both union bounds over the n neighbourhoods of k + 1 clients stay below
 * `failure`: n · P[Bin(k+1, 1-dropout) < t] and n · P[Bin(k+1, corrupt) >= t]. Only thresholds that are a strict
 * majority of the neighbourhood (2t > k + 1, the rule SecAggClient enforces: {@link thresholdProblem}) are
 * considered, so the abort bound is that of such a t. When no k < n - 1 achieves it, the complete graph (SecAgg)
 * with the majority threshold floor(n/2) + 1 is returned with its bounds (a roster below
 * {@link MIN_NEIGHBOURHOOD} clients is refused by the clients whatever the threshold).
 *
 * This bounds the per-neighbourhood threshold events only. Bell et al. 2020 also need the graph of honest
 * survivors to stay connected; honest clients check that before they unmask (SecAggClient refuses otherwise).
 */
export function secAggPlusParameters(
  n: number,
  options: { readonly dropout?: number; readonly corrupt?: number; readonly failure?: number } = {},
): SecAggPlusParameters {
  const fn = 'secAggPlusParameters';
  const dropout = options.dropout ?? 0.1;
  const corrupt = options.corrupt ?? 0.05;
  const failure = options.failure ?? 1e-6;
  if (!Number.isInteger(n) || n < 2) {
    throw new InvalidParameterError({ fn, param: 'n', value: n, allowed: 'an integer >= 2' });
  }
  for (const [param, value] of [
    ['dropout', dropout],
    ['corrupt', corrupt],
  ] as const) {
    if (!(value >= 0 && value < 0.5)) {
      throw new InvalidParameterError({ fn, param, value, allowed: 'a probability in [0, 0.5)' });
    }
  }
  if (!(failure > 0 && failure < 1)) {
    throw new InvalidParameterError({ fn, param: 'failure', value: failure, allowed: 'a number in (0, 1)' });
  }
  const bounds = (m: number, t: number) => {
    const alive = logBinomialPmf(m, 1 - dropout);
    const bad = corrupt === 0 ? null : logBinomialPmf(m, corrupt);
    return {
      abort: Math.min(1, n * tail(alive, 0, t - 1)),
      exposure: bad ? Math.min(1, n * tail(bad, t, m)) : 0,
    };
  };
  for (let k = 2; k < n - 1; k += 2) {
    const m = k + 1;
    for (let t = Math.floor(m / 2) + 1; t <= m; t++) {
      const b = bounds(m, t);
      if (b.exposure > failure) continue;
      if (b.abort <= failure)
        return {
          graph: { kind: 'harary', degree: k },
          threshold: t,
          abortBound: b.abort,
          exposureBound: b.exposure,
        };
      break; // a larger t only raises the abort bound
    }
  }
  const t = Math.floor(n / 2) + 1;
  const b = bounds(n, t);
  return { graph: COMPLETE_GRAPH, threshold: t, abortBound: b.abort, exposureBound: b.exposure };
}
