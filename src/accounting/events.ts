/**
 * Privacy events: what a mechanism run did, in the terms an accountant composes (ARCHITECTURE decision 2).
 * The ledger stores events, not rounded epsilons, so composition across jobs is as tight as the accountant
 * allows. Events are plain frozen data; {@link PrivacyEventSchema} parses them at I/O edges.
 *
 * Sensitivities are in the event (not pre-divided) so the record says what the mechanism really did;
 * accountants use the ratios `sigma / l2Sensitivity` and `scale / l1Sensitivity`.
 */

import { z } from 'zod';
import { assertInteger, assertPositive, assertRate, InvalidParameterError } from '../core/index.js';
import {
  assertParameters as assertDistributedDiscreteGaussian,
  MIN_DISTRIBUTED_DISCRETE_GAUSSIAN_SIGMA,
} from './analysis/distributed-discrete-gaussian.js';

/** Gaussian noise N(0, sigma^2) per coordinate on a query of L2 sensitivity `l2Sensitivity`. */
export interface GaussianEvent {
  readonly kind: 'gaussian';
  readonly sigma: number;
  readonly l2Sensitivity: number;
}
/** Laplace noise of scale b per coordinate on a query of L1 sensitivity `l1Sensitivity` (epsilon = sens/b). */
export interface LaplaceEvent {
  readonly kind: 'laplace';
  readonly scale: number;
  readonly l1Sensitivity: number;
}
/**
 * Discrete Gaussian N_Z(0, sigma^2) per coordinate on an integer-valued query of dimension `dimension` whose
 * integer difference vectors have L2 norm <= l2Sensitivity (Canonne, Kamath & Steinke 2020).
 */
export interface DiscreteGaussianEvent {
  readonly kind: 'discrete-gaussian';
  readonly sigma: number;
  readonly l2Sensitivity: number;
  readonly dimension: number;
}
/**
 * Distributed discrete Gaussian (Kairouz, Liu & Steinke 2021, arXiv:2102.06387): `parties` parties each add
 * N_Z(0, sigma^2) per coordinate to their integer vectors and only the sum (e.g. from secure aggregation) is
 * released. rho-zCDP with rho from `distributedDiscreteGaussianRho` (KLS21 Thm. 1). All in integer units.
 */
export interface DistributedDiscreteGaussianEvent {
  readonly kind: 'distributed-discrete-gaussian';
  /** Each party's discrete Gaussian parameter, >= 0.5 (KLS21 Thm. 1). */
  readonly sigma: number;
  /** Parties whose noise is in the released sum and unknown to the adversary, an integer >= 1. */
  readonly parties: number;
  /** L2 sensitivity of the integer sum. */
  readonly l2Sensitivity: number;
  /** Vector dimension, an integer >= 1. */
  readonly dimension: number;
}
/** Discrete Laplace with P(x) proportional to exp(-|x| / scale) on an integer query of L1 sensitivity. */
export interface DiscreteLaplaceEvent {
  readonly kind: 'discrete-laplace';
  readonly scale: number;
  readonly l1Sensitivity: number;
}
/** A mechanism known only to be epsilon-DP (exponential mechanism, randomized response, noisy max, SVT). */
export interface PureDpEvent {
  readonly kind: 'pure-dp';
  readonly epsilon: number;
  /** What produced it, for the record (e.g. 'exponential', 'randomized-response'). */
  readonly mechanism?: string;
}
/** A mechanism known only to be (epsilon, delta)-DP. */
export interface ApproxDpEvent {
  readonly kind: 'approx-dp';
  readonly epsilon: number;
  readonly delta: number;
  readonly mechanism?: string;
}
/** A mechanism known to be rho-zCDP (Bun & Steinke 2016). */
export interface ZcdpEvent {
  readonly kind: 'zcdp';
  readonly rho: number;
  readonly mechanism?: string;
}
/** An inner event applied to a Poisson sample: each record included independently with prob. sampleRate. */
export interface PoissonSampledEvent {
  readonly kind: 'poisson-sampled';
  readonly sampleRate: number;
  readonly event: PrivacyEvent;
}
/** Several events run one after the other (heterogeneous composition). */
export interface ComposedEvent {
  readonly kind: 'composed';
  readonly events: readonly PrivacyEvent[];
}
/** One event run `count` times. */
export interface SelfComposedEvent {
  readonly kind: 'self-composed';
  readonly event: PrivacyEvent;
  readonly count: number;
}
/** A release with no privacy guarantee (epsilon = infinity). Accountants report Infinity, never a number. */
export interface NonPrivateEvent {
  readonly kind: 'non-private';
  readonly reason?: string;
}
/** A step that touches no private data (epsilon = 0). */
export interface NoOpEvent {
  readonly kind: 'no-op';
}

/** Any privacy event. */
export type PrivacyEvent =
  | GaussianEvent
  | LaplaceEvent
  | DiscreteGaussianEvent
  | DistributedDiscreteGaussianEvent
  | DiscreteLaplaceEvent
  | PureDpEvent
  | ApproxDpEvent
  | ZcdpEvent
  | PoissonSampledEvent
  | ComposedEvent
  | SelfComposedEvent
  | NonPrivateEvent
  | NoOpEvent;

/** The kinds of {@link PrivacyEvent}. */
export type PrivacyEventKind = PrivacyEvent['kind'];

const positive = z.number().finite().gt(0);

/** zod schema for a {@link PrivacyEvent} (recursive), for events read from files, databases or the network. */
export const PrivacyEventSchema: z.ZodType<PrivacyEvent> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('gaussian'), sigma: positive, l2Sensitivity: positive }).strict(),
    z.object({ kind: z.literal('laplace'), scale: positive, l1Sensitivity: positive }).strict(),
    z
      .object({
        kind: z.literal('discrete-gaussian'),
        sigma: positive,
        l2Sensitivity: positive,
        dimension: z.number().int().gte(1),
      })
      .strict(),
    z
      .object({
        kind: z.literal('distributed-discrete-gaussian'),
        sigma: z
          .number()
          .finite()
          .gte(MIN_DISTRIBUTED_DISCRETE_GAUSSIAN_SIGMA, { message: 'a finite number >= 0.5 (KLS21 Thm. 1)' }),
        parties: z.number().int().gte(1),
        l2Sensitivity: positive,
        dimension: z.number().int().gte(1),
      })
      .strict(),
    z.object({ kind: z.literal('discrete-laplace'), scale: positive, l1Sensitivity: positive }).strict(),
    z.object({ kind: z.literal('pure-dp'), epsilon: positive, mechanism: z.string().optional() }).strict(),
    z
      .object({
        kind: z.literal('approx-dp'),
        epsilon: z.number().finite().gte(0),
        delta: z.number().gte(0).lt(1),
        mechanism: z.string().optional(),
      })
      .strict(),
    z.object({ kind: z.literal('zcdp'), rho: positive, mechanism: z.string().optional() }).strict(),
    z
      .object({
        kind: z.literal('poisson-sampled'),
        sampleRate: z.number().gt(0).lte(1),
        event: PrivacyEventSchema,
      })
      .strict(),
    z.object({ kind: z.literal('composed'), events: z.array(PrivacyEventSchema) }).strict(),
    z
      .object({ kind: z.literal('self-composed'), event: PrivacyEventSchema, count: z.number().int().gte(0) })
      .strict(),
    z.object({ kind: z.literal('non-private'), reason: z.string().optional() }).strict(),
    z.object({ kind: z.literal('no-op') }).strict(),
  ]),
) as z.ZodType<PrivacyEvent>;

/**
 * Checks an event built in code (recursively) and returns it frozen.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming the bad field.
 */
export function validateEvent(event: PrivacyEvent, fn = 'validateEvent'): PrivacyEvent {
  const result = PrivacyEventSchema.safeParse(event);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    let value: unknown = event;
    for (const key of issue.path)
      value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
    throw new InvalidParameterError({
      fn,
      param: path ? `event.${path}` : 'event',
      value,
      allowed: issue.message,
    });
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A Gaussian event. @throws {InvalidParameterError} for sigma or sensitivity <= 0. */
export function gaussianEvent(options: { sigma: number; l2Sensitivity?: number }): GaussianEvent {
  const l2Sensitivity = options.l2Sensitivity ?? 1;
  assertPositive('gaussianEvent', 'sigma', options.sigma);
  assertPositive('gaussianEvent', 'l2Sensitivity', l2Sensitivity);
  return Object.freeze({ kind: 'gaussian', sigma: options.sigma, l2Sensitivity });
}

/**
 * A distributed discrete Gaussian event (see {@link DistributedDiscreteGaussianEvent}).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for sigma < 0.5, parties or dimension not an integer
 *   >= 1, or l2Sensitivity <= 0.
 * @example distributedDiscreteGaussianEvent({ sigma: 40, parties: 10, l2Sensitivity: 1100, dimension: 1000 })
 */
export function distributedDiscreteGaussianEvent(options: {
  sigma: number;
  parties: number;
  l2Sensitivity: number;
  dimension: number;
}): DistributedDiscreteGaussianEvent {
  assertDistributedDiscreteGaussian('distributedDiscreteGaussianEvent', options);
  const { sigma, parties, l2Sensitivity, dimension } = options;
  return Object.freeze({ kind: 'distributed-discrete-gaussian', sigma, parties, l2Sensitivity, dimension });
}

/** A Laplace event. @throws {InvalidParameterError} for scale or sensitivity <= 0. */
export function laplaceEvent(options: { scale: number; l1Sensitivity?: number }): LaplaceEvent {
  const l1Sensitivity = options.l1Sensitivity ?? 1;
  assertPositive('laplaceEvent', 'scale', options.scale);
  assertPositive('laplaceEvent', 'l1Sensitivity', l1Sensitivity);
  return Object.freeze({ kind: 'laplace', scale: options.scale, l1Sensitivity });
}

/** A Poisson-subsampled event. @throws {InvalidParameterError} for a sampling rate outside (0, 1]. */
export function poissonSampledEvent(sampleRate: number, event: PrivacyEvent): PoissonSampledEvent {
  assertRate('poissonSampledEvent', 'sampleRate', sampleRate);
  return Object.freeze({ kind: 'poisson-sampled', sampleRate, event });
}

/** `event` run `count` times. @throws {InvalidParameterError} for a count that is not an integer >= 0. */
export function selfComposedEvent(event: PrivacyEvent, count: number): SelfComposedEvent {
  assertInteger('selfComposedEvent', 'count', count, 0);
  return Object.freeze({ kind: 'self-composed', event, count });
}

/** Events run one after another. */
export function composedEvent(events: readonly PrivacyEvent[]): ComposedEvent {
  return Object.freeze({ kind: 'composed', events: Object.freeze([...events]) });
}

/**
 * The DP-SGD schedule as one event: `steps` Poisson-sampled Gaussian steps with noise multiplier
 * sigma / C (the clipped-gradient sensitivity C is 1 in these units).
 * @throws {InvalidParameterError} for a rate outside (0, 1], noise <= 0 or steps < 1.
 */
export function dpSgdEvent(options: {
  sampleRate: number;
  noiseMultiplier: number;
  steps: number;
}): SelfComposedEvent {
  const fn = 'dpSgdEvent';
  assertRate(fn, 'sampleRate', options.sampleRate);
  assertPositive(fn, 'noiseMultiplier', options.noiseMultiplier);
  assertInteger(fn, 'steps', options.steps, 1);
  return selfComposedEvent(
    poissonSampledEvent(options.sampleRate, gaussianEvent({ sigma: options.noiseMultiplier })),
    options.steps,
  );
}
