/**
 * The strategy interface: how the server turns a round's node updates into the next global parameters
 * (Flower's strategy pattern, reduced to the server-side verbs). Strategies are small stateful objects (server
 * optimizer moments, an adaptive clip) with a JSON-safe `state()` for checkpoints. Central DP is a wrapper
 * around any strategy (`withServerDp`), not a subclass per strategy (STYLE §4).
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import { assertInteger, InvalidParameterError, type Rng } from '../../core/index.js';
import { combineUpdates, minimumUpdates } from '../aggregators/aggregate.js';
import type { AggregatorSpec } from '../aggregators/types.js';
import { type ClientUpdate, type Rejection, screenUpdates } from '../validation/validate-update.js';

/** What an aggregation step produces. */
export interface AggregationResult {
  /**
   * The combined delta the server optimizer received (for FedAvg with server learning rate 1 this is
   * new global - old global; under `withServerDp` it is the clipped, noised mean).
   */
  readonly delta: Float32Array;
  /** Nodes whose update entered the aggregate, in input order. */
  readonly used: readonly string[];
  /** Updates left out (invalid, duplicate, not chosen by a robust aggregator...), with the reason. */
  readonly rejected: readonly Rejection[];
  /** Privacy events of this round's central DP (empty when the strategy adds no noise). */
  readonly events: readonly PrivacyEvent[];
  /**
   * True only when the round's central DP noise came from a private (CSPRNG) rng; false without central DP
   * and for seeded runs, whose output is never private (ARCHITECTURE decision 1).
   */
  readonly private: boolean;
}

/** The outcome of {@link Strategy.aggregate}: the next global parameters and what happened. */
export interface RoundOutcome {
  readonly global: Float32Array;
  readonly result: AggregationResult;
}

/** A strategy's checkpoint: a JSON-safe object (vectors as base64 of little-endian floats). */
export type StrategyState = Readonly<Record<string, unknown>>;

/** The server side of federated learning. */
export interface Strategy {
  /** e.g. 'fedavg', 'fedadam', 'fedadam+server-dp'. */
  readonly name: string;
  /** How the deltas of a round are combined. */
  readonly aggregator: AggregatorSpec;
  /** FedProx proximal coefficient mu the nodes must use (0 for every strategy but FedProx). */
  readonly proximalMu: number;
  /** Updates with a larger L2 norm are rejected as absurd. */
  readonly maxUpdateNorm: number;
  /**
   * Screens the updates (refusing bad ones with their reason, never throwing for them), combines the rest,
   * and applies the server update. A round with too few valid updates for the aggregator leaves the global
   * parameters and the optimizer state unchanged. Never modifies `global` or the updates.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad `global`, `round` or `rng`
   */
  aggregate(global: Float32Array, updates: readonly ClientUpdate[], round: number, rng: Rng): RoundOutcome;
  /**
   * The server optimizer step alone: the next global parameters from an already combined mean delta (what
   * `withServerDp` calls with its noised mean). Advances the optimizer state.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for mismatched or non-finite vectors
   */
  applyDelta(global: Float32Array, delta: Float32Array, round: number): Float32Array;
  /** A JSON-safe snapshot of the mutable state, for checkpoints. */
  state(): StrategyState;
  /** Restores a snapshot taken by `state()` of a strategy built with the same options. @throws {InvalidParameterError} */
  restore(state: unknown): void;
}

/** Options every built-in strategy takes. */
export interface StrategyOptions {
  /** How deltas are combined. Default `{ kind: 'mean' }` (weighted by numExamples, FedAvg). */
  readonly aggregator?: AggregatorSpec;
  /**
   * Updates whose L2 norm exceeds this are rejected ("absurd norm"). Default 1e6: far above any real update
   * of float32 parameters, low enough that no overflow reaches the aggregate.
   */
  readonly maxUpdateNorm?: number;
}

/** Default largest accepted update norm. */
export const DEFAULT_MAX_UPDATE_NORM = 1e6;

/**
 * The `maxUpdateNorm` option, checked (a number > 0; Infinity turns the check off).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER
 */
export function resolveMaxUpdateNorm(fn: string, options: StrategyOptions): number {
  const value = options.maxUpdateNorm ?? DEFAULT_MAX_UPDATE_NORM;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new InvalidParameterError({
      fn,
      param: 'maxUpdateNorm',
      value,
      allowed: 'a number > 0 (Infinity turns the check off)',
    });
  }
  return value;
}

/** Checks the common arguments of `aggregate`. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkRoundArgs(fn: string, global: unknown, round: unknown, rng: unknown): void {
  if (!(global instanceof Float32Array) || global.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'global',
      value: global,
      allowed: 'a non-empty Float32Array',
    });
  }
  assertInteger(fn, 'round', round, 0);
  if (typeof rng !== 'object' || rng === null || typeof (rng as Rng).fillNormal !== 'function') {
    throw new InvalidParameterError({ fn, param: 'rng', value: rng, allowed: 'an Rng from veil/core' });
  }
}

/** Checks `applyDelta`'s vectors. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkDeltaArgs(fn: string, global: unknown, delta: unknown, round: unknown): void {
  if (!(global instanceof Float32Array) || global.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'global',
      value: global,
      allowed: 'a non-empty Float32Array',
    });
  }
  if (!(delta instanceof Float32Array) || delta.length !== global.length) {
    throw new InvalidParameterError({
      fn,
      param: 'delta',
      value: delta,
      allowed: `a Float32Array of the global length ${global.length}`,
    });
  }
  for (let i = 0; i < delta.length; i++) {
    if (!Number.isFinite(delta[i]!)) {
      throw new InvalidParameterError({
        fn,
        param: `delta[${i}]`,
        value: delta[i],
        allowed: 'a finite number',
      });
    }
  }
  assertInteger(fn, 'round', round, 0);
}

/**
 * One round of a plain (non-DP) strategy: screen, check the aggregator has enough updates, combine, apply.
 * @internal shared by the built-in strategies
 */
export function runRound(
  strategy: Strategy,
  global: Float32Array,
  updates: readonly ClientUpdate[],
  round: number,
  rng: Rng,
): RoundOutcome {
  const fn = `${strategy.name}.aggregate`;
  checkRoundArgs(fn, global, round, rng);
  const screened = screenUpdates(updates, { length: global.length, maxNorm: strategy.maxUpdateNorm });
  const needed = minimumUpdates(strategy.aggregator);
  if (screened.accepted.length < needed) {
    const reason = `round skipped: aggregator '${strategy.aggregator.kind}' needs at least ${needed} valid updates, got ${screened.accepted.length}`;
    return {
      global: global.slice(),
      result: {
        delta: new Float32Array(global.length),
        used: [],
        rejected: [...screened.rejected, ...screened.accepted.map((u) => ({ nodeId: u.nodeId, reason }))],
        events: [],
        private: false,
      },
    };
  }
  const combined = combineUpdates(screened.accepted, strategy.aggregator);
  const next = strategy.applyDelta(global, combined.delta, round);
  return {
    global: next,
    result: {
      delta: combined.delta,
      used: combined.used,
      rejected: [...screened.rejected, ...combined.rejected],
      events: [],
      private: false,
    },
  };
}
