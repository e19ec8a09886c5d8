/**
 * Central (server-side) differential privacy for any strategy: DP-FedAvg's clipped, noised mean (McMahan,
 * Ramage, Talwar & Zhang 2018, "Learning differentially private recurrent language models", ICLR,
 * arXiv:1710.06963, Alg. 1 with the fixed-denominator estimator f_f), optionally with adaptive clipping (Andrew,
 * Thakkar, McMahan & Ramaswamy 2021, "Differentially private learning with adaptive clipping", NeurIPS,
 * arXiv:1905.03871, Alg. 1). The noised mean goes to the wrapped strategy's server step (FedAvg, FedAdam...),
 * which is post-processing. Privacy reasoning: docs/federated.md, "Central DP".
 *
 * Unit of privacy: one node (all of its examples), add/remove: neighbouring federations differ by one node.
 * Under Poisson selection that node is in each round with probability q (sensitivity S, amplified by q); when
 * every node takes part in every round, removing one removes its clipped delta (sensitivity S); under a
 * fixed-size selection (a fraction < 1, or weighted draws) another node takes the removed node's slot, so the
 * clipped sum moves by up to 2S (coupling the draws: the two selected sets differ in at most two nodes) and
 * the event records l2Sensitivity 2 in units of S. See docs/privacy.md, "Neighbouring relations".
 */

import { z } from 'zod';
import { gaussianEvent, type PrivacyEvent, poissonSampledEvent } from '../../accounting/index.js';
import {
  assertInteger,
  assertPositive,
  assertRate,
  InvalidParameterError,
  type Rng,
} from '../../core/index.js';
import { type ClientUpdate, type Rejection, screenUpdates } from '../validation/validate-update.js';
import { parseState } from './_state.js';
import {
  checkRoundArgs,
  type RoundOutcome,
  resolveMaxUpdateNorm,
  type Strategy,
  type StrategyState,
} from './strategy.js';

/** How node deltas are clipped before the noisy sum. */
export type ServerDpClipping =
  /** A fixed L2 bound S on each node's delta. */
  | { readonly kind: 'fixed'; readonly clipNorm: number }
  /** S follows a target quantile of the update norms (Andrew et al. 2021). */
  | {
      readonly kind: 'adaptive';
      readonly initialClipNorm: number;
      /** Target fraction gamma of unclipped updates, in (0, 1). Default 0.5. */
      readonly targetQuantile?: number;
      /** Geometric learning rate eta_C > 0 of the bound. Default 0.2. */
      readonly learningRate?: number;
      /** Std sigma_b of the noise on the unclipped count, in nodes; > z / 2. Default expectedNodesPerRound / 20. */
      readonly countNoise?: number;
    };

/** How the coordinator selects the nodes of a round; decides which privacy event is recorded. */
export type NodeSampling =
  /** Each node independently with probability `rate` (selection kind 'poisson'): amplification by sampling. */
  | { readonly kind: 'poisson'; readonly rate: number }
  /** Every available node in every round (selection fraction 1): sensitivity S, no amplification. */
  | { readonly kind: 'every-node' }
  /**
   * A fixed number of nodes drawn without replacement (a fraction < 1, or weighted draws): removing one node
   * lets another take its slot, so the sensitivity is 2S; no amplification is claimed.
   */
  | { readonly kind: 'fixed-size' };

/** Options of {@link withServerDp}. */
export interface ServerDpOptions {
  /** z > 0: the noise std on the clipped sum is z S. The accountant is told z. */
  readonly noiseMultiplier: number;
  readonly clipping: ServerDpClipping;
  /** The fixed denominator of the mean: expected nodes per round (q N under Poisson selection), > 0. */
  readonly expectedNodesPerRound: number;
  readonly sampling: NodeSampling;
  /** Updates above this L2 norm are refused before clipping. Default: the inner strategy's. */
  readonly maxUpdateNorm?: number;
}

/** A strategy with central DP; also reports its current clip bound and noise. */
export interface ServerDpStrategy extends Strategy {
  /** The wrapped strategy (its server step receives the noised mean). */
  readonly inner: Strategy;
  /** The clip bound S of the next round. */
  readonly clipNorm: number;
  /** z, the noise multiplier the accountant is told. */
  readonly noiseMultiplier: number;
  /** The multiplier actually applied to the delta sum: z, or larger with adaptive clipping. */
  readonly deltaNoiseMultiplier: number;
  /** The privacy event each round records. */
  readonly roundEvent: PrivacyEvent;
  /**
   * The secure-aggregation path: the server learns only the sum of the nodes' deltas, so each node clips its
   * own delta to `clipNorm` (read before the round and sent in the task) and, with adaptive clipping, adds
   * its indicator b_i = [||delta_i|| <= clipNorm] to the secure sum as well. The server adds the same noise,
   * divides by the same fixed denominator and records the same event as `aggregate`. The server cannot check
   * the clipping: a node that skips it weakens only its own guarantee (each honest node's contribution to the
   * sum still has norm <= S), not the other nodes'.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad sum, ids or count
   */
  aggregateClippedSum(global: Float32Array, input: ClippedSum, round: number, rng: Rng): RoundOutcome;
}

/** What secure aggregation hands to {@link ServerDpStrategy.aggregateClippedSum}. */
export interface ClippedSum {
  /** sum_i clip(delta_i, S) over the nodes that took part (the unmasked SecAgg sum). */
  readonly sum: Float32Array;
  /** The nodes whose masked input is in the sum. */
  readonly nodeIds: readonly string[];
  /** sum_i b_i, the nodes whose delta was within S (required with adaptive clipping). */
  readonly unclippedCount?: number;
}

function checkClippedSum(fn: string, input: ClippedSum, length: number, adaptive: boolean): Float64Array {
  const { sum, nodeIds, unclippedCount } = input ?? ({} as ClippedSum);
  if (!(sum instanceof Float32Array) || sum.length !== length) {
    throw new InvalidParameterError({
      fn,
      param: 'input.sum',
      value: sum,
      allowed: `a Float32Array of the global length ${length}`,
    });
  }
  if (!Array.isArray(nodeIds) || new Set(nodeIds).size !== nodeIds.length) {
    throw new InvalidParameterError({
      fn,
      param: 'input.nodeIds',
      value: nodeIds,
      allowed: 'an array of unique ids',
    });
  }
  if (adaptive) assertInteger(fn, 'input.unclippedCount', unclippedCount, 0, nodeIds.length);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    if (!Number.isFinite(sum[i]!)) {
      throw new InvalidParameterError({
        fn,
        param: `input.sum[${i}]`,
        value: sum[i],
        allowed: 'a finite number',
      });
    }
    out[i] = sum[i]!;
  }
  return out;
}

const FN = 'withServerDp';

/**
 * The delta noise multiplier that, with the count release of std sigma_b, makes one Gaussian mechanism of
 * multiplier z: z^-2 = z_Delta^-2 + (2 sigma_b)^-2 (Andrew et al. 2021, Sec. 3.1; the count is centred, so a
 * node moves it by 1/2; same algebra as train's adaptive clipping).
 */
function raisedNoise(z: number, countNoise: number): number {
  const rest = z ** -2 - (2 * countNoise) ** -2;
  if (!(rest > 0)) {
    throw new InvalidParameterError({
      fn: FN,
      param: 'clipping.countNoise',
      value: countNoise,
      allowed: `a number > noiseMultiplier / 2 = ${z / 2} (default: expectedNodesPerRound / 20)`,
    });
  }
  return rest ** -0.5;
}

function checkClipping(c: ServerDpClipping): void {
  if (c?.kind === 'fixed') {
    assertPositive(FN, 'clipping.clipNorm', c.clipNorm);
    return;
  }
  if (c?.kind !== 'adaptive') {
    throw new InvalidParameterError({
      fn: FN,
      param: 'clipping.kind',
      value: (c as { kind?: unknown } | undefined)?.kind,
      allowed: "'fixed' or 'adaptive'",
    });
  }
  assertPositive(FN, 'clipping.initialClipNorm', c.initialClipNorm);
  const q = c.targetQuantile;
  if (q !== undefined && !(typeof q === 'number' && q > 0 && q < 1)) {
    throw new InvalidParameterError({
      fn: FN,
      param: 'clipping.targetQuantile',
      value: q,
      allowed: 'a number in (0, 1)',
    });
  }
  if (c.learningRate !== undefined) assertPositive(FN, 'clipping.learningRate', c.learningRate);
  if (c.countNoise !== undefined) assertPositive(FN, 'clipping.countNoise', c.countNoise);
}

function roundEventOf(sampling: NodeSampling, z: number): PrivacyEvent {
  if (sampling?.kind === 'poisson') {
    assertRate(FN, 'sampling.rate', sampling.rate);
    // Sensitivity 1 in units of S: one node adds or removes a vector of norm <= S (McMahan et al. 2018, Thm. 1).
    return poissonSampledEvent(sampling.rate, gaussianEvent({ sigma: z }));
  }
  if (sampling?.kind === 'every-node') return gaussianEvent({ sigma: z });
  // A removed node's slot goes to another: the two sums differ by one delta out and one in, norm <= 2S.
  if (sampling?.kind === 'fixed-size') return gaussianEvent({ sigma: z, l2Sensitivity: 2 });
  throw new InvalidParameterError({
    fn: FN,
    param: 'sampling.kind',
    value: (sampling as { kind?: unknown } | undefined)?.kind,
    allowed: "'poisson', 'every-node' or 'fixed-size'",
  });
}

/**
 * Wraps a strategy with DP-FedAvg's central DP. Each round: every valid delta is clipped to L2 norm S, the
 * clipped deltas are summed with weight 1 each (not numExamples: see below), N(0, (z_Delta S)^2) is added to
 * each coordinate, the sum is divided by the fixed `expectedNodesPerRound`, and the result is the inner
 * strategy's `applyDelta` input. Each round records `roundEvent`: `poissonSampledEvent(q, gaussianEvent({ sigma:
 * z }))` under Poisson selection, `gaussianEvent({ sigma: z })` when every node takes part, and
 * `gaussianEvent({ sigma: z, l2Sensitivity: 2 })` under a fixed-size selection.
 *
 * Why weight 1: with weights n_i / sum n_j, one node's share of the mean is not bounded (a node with most of the
 * examples has weight near 1), the denominator depends on who takes part (removing a node changes every other
 * node's weight), and n_i is itself the node's private, self-reported data. Equal weights over a fixed
 * denominator make the mean's sensitivity exactly S / expectedNodesPerRound.
 *
 * The inner strategy must use the default mean aggregator: a robust aggregator changes the sensitivity.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for z <= 0, a bad clipping or sampling spec, a count
 *   noise <= z / 2, expectedNodesPerRound <= 0 or an inner strategy with a non-mean aggregator
 * @example
 * const strategy = withServerDp(fedAdam(), { noiseMultiplier: 1, clipping: { kind: 'fixed', clipNorm: 0.5 },
 *   expectedNodesPerRound: 20, sampling: { kind: 'poisson', rate: 0.02 } });
 */
export function withServerDp(inner: Strategy, options: ServerDpOptions): ServerDpStrategy {
  if (typeof inner?.applyDelta !== 'function') {
    throw new InvalidParameterError({ fn: FN, param: 'inner', value: inner, allowed: 'a Strategy' });
  }
  if (inner.aggregator.kind !== 'mean') {
    throw new InvalidParameterError({
      fn: FN,
      param: 'inner.aggregator.kind',
      value: inner.aggregator.kind,
      allowed: "'mean' (DP-FedAvg's sensitivity holds for the clipped mean only)",
    });
  }
  const multiplier = options?.noiseMultiplier;
  assertPositive(FN, 'noiseMultiplier', multiplier);
  const expected = options.expectedNodesPerRound;
  assertPositive(FN, 'expectedNodesPerRound', expected);
  const clipping = options.clipping;
  checkClipping(clipping);
  const roundEvent = roundEventOf(options.sampling, multiplier);
  const maxUpdateNorm = resolveMaxUpdateNorm(FN, {
    maxUpdateNorm: options.maxUpdateNorm ?? inner.maxUpdateNorm,
  });
  const adaptive = clipping.kind === 'adaptive' ? clipping : null;
  const countNoise = adaptive ? (adaptive.countNoise ?? expected / 20) : 0;
  const deltaNoiseMultiplier = adaptive ? raisedNoise(multiplier, countNoise) : multiplier;
  let clipNorm = clipping.kind === 'fixed' ? clipping.clipNorm : clipping.initialClipNorm;
  const name = `${inner.name}+server-dp`;
  const schema = stateSchema(name);

  /** Noise, fixed-denominator mean, the inner server step and the adaptive bound update: shared by both paths. */
  const finish = (
    global: Float32Array,
    sum: Float64Array,
    outcome: { used: readonly string[]; rejected: readonly Rejection[]; unclipped: number },
    round: number,
    rng: Rng,
  ): RoundOutcome => {
    // Noise is drawn whether or not any node took part: the output must not reveal an empty round.
    const noise = new Float64Array(global.length);
    rng.fillNormal(noise, deltaNoiseMultiplier * clipNorm); // N(0, (z S)^2) per coordinate
    const mean = new Float32Array(global.length);
    for (let i = 0; i < mean.length; i++) mean[i] = (sum[i]! + noise[i]!) / expected; // estimator f_f
    const next = inner.applyDelta(global, mean, round);
    if (adaptive) {
      const gamma = adaptive.targetQuantile ?? 0.5;
      const eta = adaptive.learningRate ?? 0.2;
      // Centred count sum_i (b_i - 1/2) + N(0, sigma_b^2): one node moves it by 1/2 (Andrew et al. 2021, Sec. 3.1).
      const centred = outcome.unclipped - 0.5 * outcome.used.length;
      const noisy = (centred + countNoise * rng.normal()) / expected + 0.5;
      clipNorm *= Math.exp(-eta * (noisy - gamma)); // geometric update (Andrew et al. 2021, Alg. 1)
    }
    return {
      global: next,
      result: {
        delta: mean,
        used: outcome.used,
        rejected: outcome.rejected,
        events: [roundEvent],
        private: rng.isPrivate,
      },
    };
  };

  const strategy: ServerDpStrategy = {
    name,
    aggregator: { kind: 'mean', weighting: 'uniform' },
    proximalMu: inner.proximalMu,
    maxUpdateNorm,
    inner,
    get clipNorm() {
      return clipNorm;
    },
    noiseMultiplier: multiplier,
    deltaNoiseMultiplier,
    roundEvent,
    aggregate(global: Float32Array, updates: readonly ClientUpdate[], round: number, rng: Rng): RoundOutcome {
      checkRoundArgs(`${name}.aggregate`, global, round, rng);
      const { accepted, rejected } = screenUpdates(updates, {
        length: global.length,
        maxNorm: maxUpdateNorm,
      });
      const sum = new Float64Array(global.length);
      let unclipped = 0;
      for (const u of accepted) {
        if (u.norm <= clipNorm) unclipped++;
        const scale = u.norm > clipNorm ? clipNorm / u.norm : 1; // clip to S (McMahan et al. 2018, Alg. 1)
        const d = u.delta;
        for (let i = 0; i < sum.length; i++) sum[i]! += scale * d[i]!;
      }
      return finish(global, sum, { used: accepted.map((u) => u.nodeId), rejected, unclipped }, round, rng);
    },
    aggregateClippedSum(global: Float32Array, input: ClippedSum, round: number, rng: Rng): RoundOutcome {
      const where = `${name}.aggregateClippedSum`;
      checkRoundArgs(where, global, round, rng);
      const sum = checkClippedSum(where, input, global.length, adaptive !== null);
      return finish(
        global,
        sum,
        { used: [...input.nodeIds], rejected: [], unclipped: input.unclippedCount ?? 0 },
        round,
        rng,
      );
    },
    applyDelta(global: Float32Array, delta: Float32Array, round: number): Float32Array {
      return inner.applyDelta(global, delta, round);
    },
    state(): StrategyState {
      return { strategy: name, version: 1, clipNorm, inner: inner.state() };
    },
    restore(state: unknown): void {
      const parsed = parseState(`${name}.restore`, schema, state);
      if (!adaptive && parsed.clipNorm !== clipNorm) {
        throw new InvalidParameterError({
          fn: `${name}.restore`,
          param: 'state.clipNorm',
          value: parsed.clipNorm,
          allowed: `the fixed clip norm ${clipNorm}`,
        });
      }
      inner.restore(parsed.inner);
      clipNorm = parsed.clipNorm;
    },
  };
  return Object.freeze(strategy);
}

function stateSchema(name: string) {
  return z
    .object({
      strategy: z.literal(name),
      version: z.literal(1),
      clipNorm: z.number().finite().gt(0),
      inner: z.unknown(),
    })
    .strict();
}
