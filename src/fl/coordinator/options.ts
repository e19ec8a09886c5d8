/**
 * What a coordinator is given: the federation's model, the local training it asks of nodes, secure aggregation,
 * and the rest of {@link CoordinatorOptions}, with the check that refuses an inconsistent set before anything
 * starts (`checkOptions`).
 */

import { X509Certificate } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { InvalidParameterError, type Rng } from '../../core/index.js';
import { MIN_NEIGHBOURHOOD } from '../../secagg/index.js';
import { type TrainConfig, TrainConfigSchema } from '../../transport/index.js';
import type { PrivacyBudget } from '../budget.js';
import type { SelectionSpec } from '../selection/index.js';
import type { Strategy } from '../strategies/index.js';
import type { CheckpointStore } from './checkpoint.js';
import type { Clock } from './clock.js';
import type { CoordinatorEvent } from './records.js';

/** Largest long-poll hold when the options name none, in ms. */
export const DEFAULT_LONG_POLL_MS = 25_000;

/** The model every node builds. */
export interface FederationModel {
  /** The model spec as JSON (ml's ModelSpec). */
  readonly specJson: string;
  /** Hex SHA-256 of `specJson`, which nodes may pin. */
  readonly specSha256: string;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
}

/** How updates are compressed on the way to the coordinator. */
export type CompressionSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'quantization'; readonly bits: 2 | 4 | 8 }
  | { readonly kind: 'top-k'; readonly fraction: number };

/** The local training every selected node runs. */
export interface LocalTrainingSpec {
  readonly localEpochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly momentum: number;
  readonly compression: CompressionSpec;
  /** Layers (by index in the model) each node keeps to itself: FedPer personal layers. */
  readonly localLayers: readonly number[];
}

/** The TrainConfig message of a local-training spec. */
export function trainConfigMessage(spec: LocalTrainingSpec, proximalMu: number): TrainConfig {
  const c = spec.compression;
  return create(TrainConfigSchema, {
    localEpochs: spec.localEpochs,
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    momentum: spec.momentum,
    proximalMu,
    localLayers: [...spec.localLayers],
    compression: {
      kind:
        c.kind === 'quantization'
          ? { case: 'quantization', value: { bits: c.bits } }
          : c.kind === 'top-k'
            ? { case: 'topK', value: { fraction: c.fraction } }
            : { case: 'none', value: {} },
    },
  });
}

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  readonly model: FederationModel;
  /** Initial global parameters (flat, in the model's parameter order). */
  readonly initialGlobal: Float32Array;
  readonly rounds: number;
  /** Registrations needed before round 1, and updates needed for a round to count (not for Poisson selection). */
  readonly minNodes: number;
  readonly selection: SelectionSpec;
  /** Local training each selected node runs (sent in every task; FedProx's mu comes from the strategy). */
  readonly train: LocalTrainingSpec;
  readonly strategy: Strategy;
  /** Time a selected node has to answer, in ms. */
  readonly roundTimeoutMs: number;
  /** Draws of a round that may fail the quorum before the run fails (default 3). */
  readonly maxRoundAttempts?: number;
  /**
   * Once the federation has started: how long it waits, in ms, with fewer available nodes than a round needs
   * (they left, e.g. out of local budget, or went silent) before it ends early with the last model (default
   * `roundTimeoutMs`). Before round 1 it waits for registrations indefinitely.
   */
  readonly waitForNodesMs?: number;
  /** Federated evaluation after every k-th round (0: only after the last; default 1). */
  readonly evaluateEvery?: number;
  /** Fraction of registered nodes asked to evaluate (default 1). */
  readonly evaluateFraction?: number;
  readonly evaluationTimeoutMs?: number;
  /** Nodes (certificate subjects) allowed to register; absent: any node the transport authenticated. */
  readonly allowedNodes?: readonly string[];
  /** Registrations awaited before round 1 (default minNodes). */
  readonly startAfterNodes?: number;
  /** A node not heard from for this long is not selected (default 2 long polls + 10 s). */
  readonly availabilityWindowMs?: number;
  /** Largest long-poll hold, in ms (default 25 s). */
  readonly maxLongPollMs?: number;
  /** Delta at which central (server-side DP) epsilon is reported. */
  readonly centralDelta?: number;
  /** SHA-256 of the configuration, stored in checkpoints so a resume with another configuration is refused. */
  readonly configSha256: string;
  readonly checkpoint?: CheckpointStore;
  /**
   * The budget a round's central- or distributed-DP events are charged to, after the round is aggregated and
   * before anything of it is kept or released: a refused charge discards the round, and the federation finishes
   * with the last released model. Absent: the events are only reported (summary, checkpoint).
   */
  readonly budget?: PrivacyBudget;
  /** Continue from the checkpoint (refused when there is none). */
  readonly resume?: boolean;
  /** The randomness of a purpose ("round/3/select", "round/3/aggregate"): the CSPRNG, or seeded per purpose. */
  readonly rng: (purpose: string) => Rng;
  /** Optional server-side evaluation of the global model on data the coordinator legitimately holds. */
  readonly serverEvaluate?: (global: Float32Array) => { readonly accuracy: number; readonly loss: number };
  readonly clock?: Clock;
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /**
   * Secure aggregation of every round (SecAgg or SecAgg+): the coordinator then learns only the sum of the
   * clipped updates of the nodes that survive the protocol, and applies their uniform mean with the strategy's
   * server optimizer. Needs the mean aggregator and no central DP (use its distributed DP instead).
   */
  readonly secureAggregation?: SecureAggregationSpec;
  /**
   * The federation's CA certificate (PEM). With secure aggregation, every node must then register its signing
   * key with a binding to its certificate that verifies against this CA for its certified name (the check every
   * node with an identity makes of its peers before it joins a round): a registration whose binding fails is
   * refused with the reason, so one node cannot make its honest peers sit out every round it is drawn in.
   * Without it the coordinator cannot check bindings (deployments pass the TLS CA).
   */
  readonly keyBindingCaPem?: string;
}

/** Secure aggregation of a federation's rounds. */
export interface SecureAggregationSpec {
  readonly protocol: 'secagg' | 'secagg+';
  /** L2 norm every node clips its delta to before encoding (the sum's per-node sensitivity). */
  readonly clipNorm: number;
  /** SecAgg: the threshold as a fraction of the round's selected nodes (default 2/3, at least 2 nodes). */
  readonly thresholdFraction?: number;
  /** SecAgg+: the dropout rate the graph and threshold are chosen for (default 0.1). */
  readonly expectedDropout?: number;
  /** SecAgg+: the fraction of corrupt nodes the threshold must withstand (default 0.05). */
  readonly corruptFraction?: number;
  /** Time each stage after the advertisement gets, in ms (default 60 s). */
  readonly stageTimeoutMs?: number;
  /**
   * Distributed DP: each node adds discrete Gaussian noise so that the sum of the nodes of at least the
   * threshold carries noise of standard deviation noiseMultiplier × clipNorm per coordinate.
   */
  readonly distributedDp?: {
    readonly noiseMultiplier: number;
    /**
     * Nodes whose noise the adversary may know (nodes colluding with it; a node always knows its own): their
     * noise is neither counted on when calibrating nor in the accounting. Default 0: the guarantee holds
     * against the coordinator and outsiders, not against the nodes themselves.
     */
    readonly colluders?: number;
  };
}

/** Refuses options no federation can run with (each problem as an InvalidParameterError naming the option). */
export function checkOptions(o: CoordinatorOptions): void {
  const fn = 'Coordinator';
  const int = (param: string, v: number, min: number) => {
    if (!(Number.isSafeInteger(v) && v >= min)) {
      throw new InvalidParameterError({ fn, param, value: v, allowed: `an integer >= ${min}` });
    }
  };
  int('rounds', o.rounds, 1);
  int('minNodes', o.minNodes, 1);
  int('roundTimeoutMs', o.roundTimeoutMs, 1);
  if (o.maxRoundAttempts !== undefined) int('maxRoundAttempts', o.maxRoundAttempts, 1);
  if (o.waitForNodesMs !== undefined) int('waitForNodesMs', o.waitForNodesMs, 1);
  if (o.evaluateEvery !== undefined) int('evaluateEvery', o.evaluateEvery, 0);
  if (o.evaluateFraction !== undefined && !(o.evaluateFraction > 0 && o.evaluateFraction <= 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'evaluateFraction',
      value: o.evaluateFraction,
      allowed: 'a number in (0, 1]',
    });
  }
  if (o.initialGlobal.length < 1) {
    throw new InvalidParameterError({
      fn,
      param: 'initialGlobal',
      value: o.initialGlobal.length,
      allowed: 'at least one parameter',
    });
  }
  const t = o.train;
  int('train.localEpochs', t.localEpochs, 1);
  int('train.batchSize', t.batchSize, 1);
  if (!(t.learningRate > 0 && Number.isFinite(t.learningRate))) {
    throw new InvalidParameterError({
      fn,
      param: 'train.learningRate',
      value: t.learningRate,
      allowed: 'a finite number > 0',
    });
  }
  if (!(t.momentum >= 0 && t.momentum < 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'train.momentum',
      value: t.momentum,
      allowed: 'a number in [0, 1)',
    });
  }
  if (t.compression.kind === 'top-k' && !(t.compression.fraction > 0 && t.compression.fraction <= 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'train.compression.fraction',
      value: t.compression.fraction,
      allowed: 'a number in (0, 1]',
    });
  }
  if (t.compression.kind === 'quantization' && ![2, 4, 8].includes(t.compression.bits)) {
    throw new InvalidParameterError({
      fn,
      param: 'train.compression.bits',
      value: t.compression.bits,
      allowed: '2, 4 or 8',
    });
  }
  if (o.resume && !o.checkpoint) {
    throw new InvalidParameterError({
      fn,
      param: 'resume',
      value: true,
      allowed: 'resume only with a checkpoint store',
    });
  }
  const sa = o.secureAggregation;
  if (sa) {
    const refuse = (param: string, value: unknown, allowed: string) => {
      throw new InvalidParameterError({ fn, param: `secureAggregation.${param}`, value, allowed });
    };
    if (sa.protocol !== 'secagg' && sa.protocol !== 'secagg+')
      refuse('protocol', sa.protocol, "'secagg' or 'secagg+'");
    if (!(sa.clipNorm > 0 && Number.isFinite(sa.clipNorm)))
      refuse('clipNorm', sa.clipNorm, 'a finite number > 0');
    if (sa.thresholdFraction !== undefined && !(sa.thresholdFraction > 0.5 && sa.thresholdFraction <= 1))
      refuse('thresholdFraction', sa.thresholdFraction, 'a fraction in (0.5, 1]');
    const nm = sa.distributedDp?.noiseMultiplier;
    if (nm !== undefined && !(nm > 0 && Number.isFinite(nm)))
      refuse('distributedDp.noiseMultiplier', nm, 'a finite number > 0');
    if (o.strategy.aggregator.kind !== 'mean' || o.strategy.name.includes('server-dp')) {
      refuse(
        'protocol',
        sa.protocol,
        `a strategy with the mean aggregator and no central DP (got ${o.strategy.name} with ${o.strategy.aggregator.kind}): the coordinator only learns the sum`,
      );
    }
    if (t.compression.kind !== 'none') {
      refuse(
        'protocol',
        sa.protocol,
        `no update compression (got ${t.compression.kind}): updates are encoded in fixed point`,
      );
    }
    if (o.minNodes < MIN_NEIGHBOURHOOD)
      refuse(
        'protocol',
        sa.protocol,
        `minNodes >= ${MIN_NEIGHBOURHOOD} (nodes refuse smaller rosters: with two, the sum reveals each update to the other)`,
      );
  }
  if (o.keyBindingCaPem !== undefined) {
    let ok = typeof o.keyBindingCaPem === 'string';
    try {
      if (ok) new X509Certificate(o.keyBindingCaPem);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new InvalidParameterError({
        fn,
        param: 'keyBindingCaPem',
        value:
          typeof o.keyBindingCaPem === 'string'
            ? `${o.keyBindingCaPem.length} characters`
            : o.keyBindingCaPem,
        allowed: 'the federation CA certificate in PEM',
      });
    }
  }
}
