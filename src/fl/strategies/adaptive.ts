/**
 * Adaptive server optimizers: FedAdam, FedYogi and FedAdagrad (Reddi, Charles, Zaheer, Garrett, Rush, Konečný,
 * Kumar & McMahan 2021, "Adaptive federated optimization", ICLR, arXiv:2003.00295, Alg. 2).
 *
 * The combined delta Delta_t (the mean of new - global over the nodes) is the negative pseudo-gradient; the
 * server keeps a first moment m and a second moment v per parameter:
 *   m_t = beta1 m_{t-1} + (1 - beta1) Delta_t
 *   v_t = v_{t-1} + Delta_t^2                                        (FedAdagrad)
 *   v_t = beta2 v_{t-1} + (1 - beta2) Delta_t^2                      (FedAdam)
 *   v_t = v_{t-1} - (1 - beta2) Delta_t^2 sign(v_{t-1} - Delta_t^2)  (FedYogi)
 *   x_{t+1} = x_t + eta m_t / (sqrt(v_t) + tau)
 * with m_{-1} = 0 and v_{-1} = tau^2 (Alg. 2 asks v_{-1} >= tau^2), and no bias correction, as in Alg. 2.
 */
import { z } from 'zod';
import { assertPositive, InvalidParameterError, type Rng } from '../../core/index.js';
import { checkAggregatorSpec } from '../aggregators/aggregate.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { base64ToFloat64, float64ToBase64, parseState } from './_state.js';
import {
  checkDeltaArgs,
  type RoundOutcome,
  resolveMaxUpdateNorm,
  runRound,
  type Strategy,
  type StrategyOptions,
  type StrategyState,
} from './strategy.js';

/** Options of the adaptive strategies. */
export interface FedOptOptions extends StrategyOptions {
  /** Server learning rate eta > 0. Default 0.1. */
  readonly serverLearningRate?: number;
  /** First-moment decay beta1 in [0, 1). Default 0.9 (FedAdam, FedYogi), 0 (FedAdagrad). */
  readonly beta1?: number;
  /** Second-moment decay beta2 in [0, 1) (FedAdam, FedYogi; unused by FedAdagrad). Default 0.99. */
  readonly beta2?: number;
  /** Adaptivity tau > 0: the smallest second-moment root that matters. Default 1e-3. */
  readonly tau?: number;
}

type Variant = 'fedadam' | 'fedyogi' | 'fedadagrad';

function checkDecay(fn: string, param: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new InvalidParameterError({ fn, param, value, allowed: 'a number in [0, 1)' });
  }
}

function fedOpt(fn: string, variant: Variant, options: FedOptOptions): Strategy {
  const aggregator = checkAggregatorSpec(fn, options.aggregator ?? { kind: 'mean' });
  const maxUpdateNorm = resolveMaxUpdateNorm(fn, options);
  const eta = options.serverLearningRate ?? 0.1;
  const beta1 = options.beta1 ?? (variant === 'fedadagrad' ? 0 : 0.9);
  const beta2 = options.beta2 ?? 0.99;
  const tau = options.tau ?? 1e-3;
  assertPositive(fn, 'serverLearningRate', eta);
  checkDecay(fn, 'beta1', beta1);
  checkDecay(fn, 'beta2', beta2);
  assertPositive(fn, 'tau', tau);
  let m: Float64Array | null = null;
  let v: Float64Array | null = null;
  const moments = z.union([z.string(), z.null()]);
  const schema = z
    .object({ strategy: z.literal(variant), version: z.literal(1), m: moments, v: moments })
    .strict();

  const strategy: Strategy = {
    name: variant,
    aggregator,
    proximalMu: 0,
    maxUpdateNorm,
    aggregate(global: Float32Array, updates: readonly ClientUpdate[], round: number, rng: Rng): RoundOutcome {
      return runRound(strategy, global, updates, round, rng);
    },
    applyDelta(global: Float32Array, delta: Float32Array, round: number): Float32Array {
      const where = `${variant}.applyDelta`;
      checkDeltaArgs(where, global, delta, round);
      if (m === null || v === null) {
        m = new Float64Array(global.length);
        v = new Float64Array(global.length).fill(tau * tau); // v_{-1} = tau^2 (Reddi et al. 2021, Alg. 2)
      } else if (m.length !== global.length) {
        throw new InvalidParameterError({
          fn: where,
          param: 'global',
          value: global,
          allowed: `a Float32Array of the length the optimizer state has (${m.length})`,
        });
      }
      const next = new Float32Array(global.length);
      for (let i = 0; i < next.length; i++) {
        const d = delta[i]!;
        const d2 = d * d;
        const mi = beta1 * m[i]! + (1 - beta1) * d; // Alg. 2, line 11
        let vi = v[i]!;
        if (variant === 'fedadagrad')
          vi += d2; // Alg. 2, FedAdagrad
        else if (variant === 'fedadam')
          vi = beta2 * vi + (1 - beta2) * d2; // Alg. 2, FedAdam
        else vi -= (1 - beta2) * d2 * Math.sign(vi - d2); // Alg. 2, FedYogi
        m[i] = mi;
        v[i] = vi;
        next[i] = global[i]! + (eta * mi) / (Math.sqrt(vi) + tau); // Alg. 2, last line
      }
      return next;
    },
    state(): StrategyState {
      return {
        strategy: variant,
        version: 1,
        m: m === null ? null : float64ToBase64(m),
        v: v === null ? null : float64ToBase64(v),
      };
    },
    restore(state: unknown): void {
      const where = `${variant}.restore`;
      const parsed = parseState(where, schema, state);
      if ((parsed.m === null) !== (parsed.v === null)) {
        throw new InvalidParameterError({
          fn: where,
          param: 'state.v',
          value: parsed.v,
          allowed: 'null exactly when state.m is null',
        });
      }
      const nextM = parsed.m === null ? null : base64ToFloat64(where, 'state.m', parsed.m);
      const nextV = parsed.v === null ? null : base64ToFloat64(where, 'state.v', parsed.v, true);
      if (nextM !== null && nextV !== null && nextM.length !== nextV.length) {
        throw new InvalidParameterError({
          fn: where,
          param: 'state.v',
          value: `${nextV.length} values`,
          allowed: `as many values as state.m (${nextM.length})`,
        });
      }
      m = nextM;
      v = nextV;
    },
  };
  return Object.freeze(strategy);
}

/**
 * FedAdam (Reddi et al. 2021, Alg. 2): Adam on the server with the nodes' mean delta as negative gradient.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for eta or tau <= 0, betas outside [0, 1), a bad aggregator
 * @example
 * const strategy = fedAdam({ serverLearningRate: 0.01, tau: 1e-3 });
 */
export function fedAdam(options: FedOptOptions = {}): Strategy {
  return fedOpt('fedAdam', 'fedadam', options);
}

/** FedYogi (Reddi et al. 2021, Alg. 2): Yogi's additive second moment, steadier than Adam's. @throws {InvalidParameterError} */
export function fedYogi(options: FedOptOptions = {}): Strategy {
  return fedOpt('fedYogi', 'fedyogi', options);
}

/** FedAdagrad (Reddi et al. 2021, Alg. 2): accumulated second moment; beta1 defaults to 0. @throws {InvalidParameterError} */
export function fedAdagrad(options: FedOptOptions = {}): Strategy {
  return fedOpt('fedAdagrad', 'fedadagrad', options);
}
