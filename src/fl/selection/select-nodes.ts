/**
 * Which nodes train in a round. Every draw comes from the `rng` argument (the CSPRNG in private runs), over the
 * available nodes sorted by id, so a seeded rng gives the same selection whatever order the candidates come in.
 *
 * Availability must be public, non-sensitive information (a node is online, not what data it holds): it
 * decides who can be selected, and the privacy accounting of central DP assumes the selection does not
 * depend on private data. Under Poisson selection a node that is unavailable simply takes part less often, so
 * recording the event at rate `rate` stays an upper bound. Weighted selection uses numExamples: only use it
 * when the nodes' example counts are public (registered metadata), and record no sampling amplification.
 */
import { assertInteger, assertRate, InvalidParameterError, type Rng } from '../../core/index.js';

/** A node the coordinator could select. */
export interface Candidate {
  readonly nodeId: string;
  /** Examples the node registered (>= 0); used by weighted selection only. */
  readonly numExamples: number;
  /** Whether the node can take part now (online, not busy): public information only. */
  readonly available: boolean;
}

/** How nodes are selected each round. */
export type SelectionSpec =
  /** ceil(fraction n) of the n available nodes, uniformly without replacement, and at least `min` (default 1). */
  | { readonly kind: 'fraction'; readonly fraction: number; readonly min?: number }
  /** Each available node independently with probability `rate` (exact Bernoulli draws). */
  | { readonly kind: 'poisson'; readonly rate: number }
  /** `count` nodes without replacement, each draw with probability proportional to numExamples. */
  | { readonly kind: 'weighted'; readonly count: number };

/** Checks a selection spec. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming `spec.<field>` */
export function checkSelectionSpec(fn: string, spec: SelectionSpec): SelectionSpec {
  switch (spec?.kind) {
    case 'fraction':
      assertRate(fn, 'spec.fraction', spec.fraction);
      if (spec.min !== undefined) assertInteger(fn, 'spec.min', spec.min, 1);
      return spec;
    case 'poisson':
      assertRate(fn, 'spec.rate', spec.rate);
      return spec;
    case 'weighted':
      assertInteger(fn, 'spec.count', spec.count, 1);
      return spec;
    default:
      throw new InvalidParameterError({
        fn,
        param: 'spec.kind',
        value: (spec as { kind?: unknown } | undefined)?.kind,
        allowed: "'fraction', 'poisson' or 'weighted'",
      });
  }
}

/**
 * The expected number of selected nodes when `available` nodes are available (what `withServerDp`'s
 * `expectedNodesPerRound` should be): ceil(fraction n) at least min, rate n, or count, capped at n.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER
 */
export function expectedSelectionSize(spec: SelectionSpec, available: number): number {
  const fn = 'expectedSelectionSize';
  checkSelectionSpec(fn, spec);
  assertInteger(fn, 'available', available, 0);
  switch (spec.kind) {
    case 'fraction':
      return Math.min(available, Math.max(spec.min ?? 1, Math.ceil(spec.fraction * available)));
    case 'poisson':
      return spec.rate * available;
    case 'weighted':
      return Math.min(available, spec.count);
  }
}

const byId = (a: Candidate, b: Candidate): number => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);

function checkCandidates(fn: string, candidates: readonly Candidate[]): void {
  if (!Array.isArray(candidates)) {
    throw new InvalidParameterError({ fn, param: 'candidates', value: candidates, allowed: 'an array' });
  }
  const seen = new Set<string>();
  let total = 0;
  candidates.forEach((c, i) => {
    if (typeof c?.nodeId !== 'string' || c.nodeId.length === 0 || seen.has(c.nodeId)) {
      throw new InvalidParameterError({
        fn,
        param: `candidates[${i}].nodeId`,
        value: c?.nodeId,
        allowed: 'a non-empty string, unique among the candidates',
      });
    }
    seen.add(c.nodeId);
    assertInteger(fn, `candidates[${i}].numExamples`, c.numExamples, 0);
    total += c.numExamples;
    if (typeof c.available !== 'boolean') {
      throw new InvalidParameterError({
        fn,
        param: `candidates[${i}].available`,
        value: c.available,
        allowed: 'a boolean',
      });
    }
  });
  if (!Number.isSafeInteger(total)) {
    throw new InvalidParameterError({
      fn,
      param: 'candidates',
      value: total,
      allowed: 'example counts whose sum is a safe integer',
    });
  }
}

/**
 * Selects the nodes of a round among the available candidates.
 *
 * - `fraction`: k = max(min, ceil(fraction n)) capped at n, uniformly without replacement (partial
 *   Fisher-Yates with exact `rng.uniformInt`); if fewer than `min` nodes are available, all are returned
 *   and the caller decides whether to wait.
 * - `poisson`: each available node with probability `rate`, one exact `rng.bernoulli(rate)` per node in id
 *   order; the number selected varies (it may be 0).
 * - `weighted`: `count` successive draws without replacement, each proportional to numExamples among the
 *   nodes left (exact integer draws `rng.uniformInt(total)`); nodes with 0 examples are never chosen.
 *
 * @param candidates - every known node with its availability (ids unique)
 * @param round - the round number (>= 0); selection does not depend on it beyond validation, the caller
 *   derives per-round randomness through `rng`
 * @returns the selected node ids in ascending id order (deterministic for a seeded rng)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad spec, round or candidate list
 * @example
 * selectNodes(nodes, { kind: 'poisson', rate: 0.1 }, 3, csprng());
 */
export function selectNodes(
  candidates: readonly Candidate[],
  spec: SelectionSpec,
  round: number,
  rng: Rng,
): readonly string[] {
  const fn = 'selectNodes';
  checkSelectionSpec(fn, spec);
  assertInteger(fn, 'round', round, 0);
  checkCandidates(fn, candidates);
  const pool = candidates.filter((c) => c.available).sort(byId);
  const n = pool.length;
  switch (spec.kind) {
    case 'fraction': {
      const k = Math.min(n, Math.max(spec.min ?? 1, Math.ceil(spec.fraction * n)));
      const order = pool.slice();
      for (let i = 0; i < k; i++) {
        const j = i + rng.uniformInt(n - i);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      return order
        .slice(0, k)
        .sort(byId)
        .map((c) => c.nodeId);
    }
    case 'poisson':
      return pool.filter(() => rng.bernoulli(spec.rate)).map((c) => c.nodeId);
    case 'weighted': {
      const left = pool.slice();
      let total = left.reduce((s, c) => s + c.numExamples, 0);
      const chosen: Candidate[] = [];
      while (chosen.length < spec.count && total > 0) {
        let r = rng.uniformInt(total);
        let j = 0;
        while (r >= left[j]!.numExamples) r -= left[j++]!.numExamples;
        const [picked] = left.splice(j, 1);
        chosen.push(picked!);
        total -= picked!.numExamples;
      }
      return chosen.sort(byId).map((c) => c.nodeId);
    }
  }
}
