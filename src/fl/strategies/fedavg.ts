/**
 * FedAvg and FedProx, the strategies whose server step is plain averaging (McMahan, Moore, Ramage, Hampson &
 * Agüera y Arcas 2017, arXiv:1602.05629; Li, Sahu, Zaheer, Sanjabi, Talwalkar & Smith 2020, "Federated
 * optimization in heterogeneous networks", arXiv:1812.06127).
 */
import { z } from 'zod';
import { assertNonNegative, assertPositive, type Rng } from '../../core/index.js';
import { checkAggregatorSpec } from '../aggregators/aggregate.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { parseState } from './_state.js';
import {
  checkDeltaArgs,
  type RoundOutcome,
  resolveMaxUpdateNorm,
  runRound,
  type Strategy,
  type StrategyOptions,
  type StrategyState,
} from './strategy.js';

/** Options of {@link fedAvg}. */
export interface FedAvgOptions extends StrategyOptions {
  /** Server learning rate eta_s: new = global + eta_s * delta. Default 1 (plain FedAvg). */
  readonly serverLearningRate?: number;
}

/** Options of {@link fedProx}. */
export interface FedProxOptions extends FedAvgOptions {
  /** The proximal coefficient mu >= 0 of the nodes' objective F_k(w) + mu/2 ||w - w_global||^2. */
  readonly mu: number;
}

function averaging(fn: string, name: string, options: FedAvgOptions, proximalMu: number): Strategy {
  const aggregator = checkAggregatorSpec(fn, options.aggregator ?? { kind: 'mean' });
  const serverLearningRate = options.serverLearningRate ?? 1;
  assertPositive(fn, 'serverLearningRate', serverLearningRate);
  const maxUpdateNorm = resolveMaxUpdateNorm(fn, options);
  const schema = z.object({ strategy: z.literal(name), version: z.literal(1) }).strict();
  const strategy: Strategy = {
    name,
    aggregator,
    proximalMu,
    maxUpdateNorm,
    aggregate(global: Float32Array, updates: readonly ClientUpdate[], round: number, rng: Rng): RoundOutcome {
      return runRound(strategy, global, updates, round, rng);
    },
    applyDelta(global: Float32Array, delta: Float32Array, round: number): Float32Array {
      checkDeltaArgs(`${name}.applyDelta`, global, delta, round);
      const next = new Float32Array(global.length);
      // McMahan et al. 2017, Alg. 1: w_{t+1} = w_t + sum_k (n_k / n) (w^k_{t+1} - w_t), scaled by eta_s.
      for (let i = 0; i < next.length; i++) next[i] = global[i]! + serverLearningRate * delta[i]!;
      return next;
    },
    state(): StrategyState {
      return { strategy: name, version: 1 };
    },
    restore(state: unknown): void {
      parseState(`${name}.restore`, schema, state);
    },
  };
  return Object.freeze(strategy);
}

/**
 * FedAvg: the new global parameters are global + sum_i n_i d_i / sum_i n_i (with the default aggregator), or
 * the robust combination the `aggregator` option names.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad aggregator, learning rate or norm bound
 * @example
 * const strategy = fedAvg({ aggregator: { kind: 'trimmed-mean', beta: 0.2 } });
 * const { global: next, result } = strategy.aggregate(global, updates, round, csprng());
 */
export function fedAvg(options: FedAvgOptions = {}): Strategy {
  return averaging('fedAvg', 'fedavg', options, 0);
}

/**
 * FedProx: the server step is FedAvg's; the difference is on the nodes, which minimise
 * F_k(w) + mu/2 ||w - w_global||^2 (Li et al. 2020, Eq. 2). `proximalMu` carries mu for the coordinator to
 * put in each TrainConfig (`proximal_mu`); the node adds mu (w - w_global) to its gradient
 * (`proximalGradient` in personalization/).
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for mu < 0 and as {@link fedAvg}
 */
export function fedProx(options: FedProxOptions): Strategy {
  assertNonNegative('fedProx', 'mu', options?.mu);
  return averaging('fedProx', 'fedprox', options, options.mu);
}
