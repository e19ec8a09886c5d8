/**
 * Fixed-point encoding of float updates into Z_2^32 for secure aggregation, with clipping, an overflow
 * analysis that picks the number of fractional bits for n nodes, and distributed discrete Gaussian noise
 * (Kairouz, Liu & Steinke 2021, "The Distributed Discrete Gaussian Mechanism for Federated Learning with
 * Secure Aggregation", arXiv:2102.06387).
 *
 * A node clips its update to L2 norm `clip`, scales it by 2^f, rounds each coordinate stochastically (unbiased)
 * to an integer, adds its share of discrete Gaussian noise and reads the result mod 2^32; SecAgg sums the
 * vectors mod 2^32 and the server decodes the sum as signed 32-bit integers over 2^f. The decode is exact as
 * long as every coordinate of the true integer sum lies in [-2^31, 2^31): {@link planFixedPoint} picks the
 * largest f for which that holds (always for the data, with overwhelming probability for the noise).
 *
 * Adjacency: the integer L2 sensitivity {@link integerL2Sensitivity} bounds the L2 norm of ONE node's
 * encoded update, i.e. how much the sum moves when that node's update is replaced by zero while the node
 * still takes part and adds its noise share: **zero-out adjacency with participation public**. It is not
 * add/remove of a node (removing the node would also remove its noise share, which the distributed bound does
 * not cover), so an epsilon from it is not comparable to central DP-FedAvg's add/remove one. For replace-one
 * adjacency, double it. See docs/privacy.md, "Neighbouring relations".
 */

import {
  type DistributedDiscreteGaussianEvent,
  distributedDiscreteGaussianEvent,
} from '../accounting/index.js';
import {
  assertInteger,
  assertNonNegative,
  assertPositive,
  decodeFixedPoint,
  encodeFixedPoint,
  InvalidParameterError,
  type Rng,
} from '../core/index.js';
import { discreteGaussianSampler } from '../dp/index.js';

const TWO_POW_31 = 2147483648;
/** Fewer fractional bits than this make the quantisation error of a clipped update too coarse to be useful. */
const MIN_USEFUL_FRACTIONAL_BITS = 4;
/** Largest per-party sigma (integer units) the exact sampler accepts: 2^40. */
const MAX_SIGMA = 1099511627776;

/** Options of {@link planFixedPoint}. */
export interface FixedPointPlanOptions {
  /** Nodes whose updates are summed (an integer >= 1): the worst case, e.g. the whole roster of a round. */
  readonly nodes: number;
  /** L2 norm every update is clipped to (real units, > 0). */
  readonly clip: number;
  /** Length of each update (an integer >= 1). */
  readonly dimension: number;
  /**
   * Standard deviation (real units, >= 0) of the noise the SUM may carry in the worst case: with
   * {@link distributedNoisePlan}, targetStd * sqrt(nodes / minParties) (every node adds its share). Default 0.
   */
  readonly noiseStd?: number;
  /** How many standard deviations of noise the plan leaves room for (> 0, default 8). */
  readonly tailSigmas?: number;
}

/** The encoding chosen by {@link planFixedPoint} (frozen). */
export interface FixedPointPlan {
  readonly nodes: number;
  readonly clip: number;
  readonly dimension: number;
  readonly noiseStd: number;
  readonly tailSigmas: number;
  /** f: bits after the binary point, in [4, 30]. */
  readonly fractionalBits: number;
  /** 2^f. */
  readonly scale: number;
  /** The clip in integer units, clip * 2^f. */
  readonly integerClip: number;
  /** Worst-case magnitude of a coordinate of the integer sum: nodes (clip 2^f + 1) + tailSigmas noiseStd 2^f < 2^31. */
  readonly sumBound: number;
  /** Whole bits left between sumBound and 2^31: floor(31 - log2(sumBound)) (0 unless f hit 30). */
  readonly headroomBits: number;
}

/**
 * Picks the largest fractionalBits f in 0..30 whose worst-case sum cannot wrap in the signed decode:
 *
 *   sumBound(f) = nodes * (clip * 2^f + 1) + tailSigmas * noiseStd * 2^f < 2^31.
 *
 * Data part (deterministic): a vector of L2 norm <= clip has every coordinate in [-clip, clip], so each
 * scaled coordinate is in [-clip 2^f, clip 2^f] and its stochastic rounding in (-(clip 2^f + 1), clip 2^f + 1);
 * n nodes add at most n times that. This holds for every input, including the adversarial one where all nodes
 * put the whole clip on the same coordinate with the same sign.
 *
 * Noise part (a tail bound): the summed noise of a coordinate is a sum of independent discrete Gaussians, each
 * N_Z(0, sigma_i^2) being sigma_i-sub-Gaussian (E[exp(tX)] <= exp(t^2 sigma_i^2 / 2); Canonne, Kamath &
 * Steinke 2020, arXiv:2004.00010, §2), so the sum N is s-sub-Gaussian with s^2 = sum sigma_i^2 and
 * P[|N| > k s] <= 2 exp(-k^2 / 2): for k = 8, P[|N| > 8 s] <= 2 e^-32 ~ 2.5e-14 per coordinate (union bound:
 * 2.5e-8 for a million coordinates). A wrap in that event corrupts the decoded sum but not privacy.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an option out of range; when even f = 0 overflows;
 *   or when fewer than 4 fractional bits fit (the message gives the largest clip that would allow 4).
 * @example planFixedPoint({ nodes: 100, clip: 1, dimension: 10_000 }) // fractionalBits 24, sumBound ~1.7e9
 */
export function planFixedPoint(options: FixedPointPlanOptions): FixedPointPlan {
  const fn = 'planFixedPoint';
  if (typeof options !== 'object' || options === null) {
    throw new InvalidParameterError({ fn, param: 'options', value: options, allowed: 'an object' });
  }
  const { nodes, clip, dimension } = options;
  const noiseStd = options.noiseStd ?? 0;
  const tailSigmas = options.tailSigmas ?? 8;
  assertInteger(fn, 'nodes', nodes, 1);
  assertPositive(fn, 'clip', clip);
  assertInteger(fn, 'dimension', dimension, 1);
  assertNonNegative(fn, 'noiseStd', noiseStd);
  assertPositive(fn, 'tailSigmas', tailSigmas);
  const bound = (f: number) => nodes * (clip * 2 ** f + 1) + tailSigmas * noiseStd * 2 ** f;
  let f = 30;
  while (f >= 0 && !(bound(f) < TWO_POW_31)) f--;
  if (f < 0) {
    throw new InvalidParameterError({
      fn,
      param: 'clip',
      value: clip,
      allowed:
        `small enough that the sum fits in Z_2^32: even with 0 fractional bits nodes (clip + 1) + tailSigmas * ` +
        `noiseStd = ${nodes} * (${clip} + 1) + ${tailSigmas} * ${noiseStd} = ${bound(0)} >= 2^31`,
    });
  }
  if (f < MIN_USEFUL_FRACTIONAL_BITS) {
    const m = 2 ** MIN_USEFUL_FRACTIONAL_BITS;
    const largestClip = ((TWO_POW_31 - tailSigmas * noiseStd * m) / nodes - 1) / m;
    throw new InvalidParameterError({
      fn,
      param: 'clip',
      value: clip,
      allowed:
        `small enough for at least ${MIN_USEFUL_FRACTIONAL_BITS} fractional bits (only ${f} fit for ${nodes} nodes: ` +
        `the quantisation step 2^-${f} is uselessly coarse); use a smaller clip or fewer nodes ` +
        (largestClip > 0
          ? `(clip < ${roundDown(largestClip)} gives ${MIN_USEFUL_FRACTIONAL_BITS} bits)`
          : `(the noise alone, ${tailSigmas} * ${noiseStd}, leaves no room)`),
    });
  }
  const sumBound = bound(f);
  return Object.freeze({
    nodes,
    clip,
    dimension,
    noiseStd,
    tailSigmas,
    fractionalBits: f,
    scale: 2 ** f,
    integerClip: clip * 2 ** f,
    sumBound,
    headroomBits: Math.floor(31 - Math.log2(sumBound)),
  });
}

/**
 * The integer L2 sensitivity of one node's encoded update: integerClip + sqrt(dimension), because stochastic
 * rounding moves each coordinate by less than 1. Both terms carry a relative margin for floating-point
 * rounding of the norm (below (dimension + 8) 2^-52), so the bound is never optimistic.
 */
export function integerL2Sensitivity(plan: FixedPointPlan): number {
  const margin = (plan.dimension + 8) * 2 ** -52;
  return plan.integerClip * (1 + margin) + Math.sqrt(plan.dimension) * (1 + 2 ** -50);
}

/**
 * Clips `update` to L2 norm `plan.clip` (scaling it down if larger), multiplies by 2^f, rounds each coordinate
 * stochastically (unbiased: E[q] = x 2^f) and encodes into Z_2^32 (two's complement). The L2 norm of the
 * integer vector is at most {@link integerL2Sensitivity}(plan); each coordinate is at most integerClip + 1.
 * @param rng randomness of the rounding (the CSPRNG in deployment)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a length other than plan.dimension or a
 *   non-finite value.
 * @example encodeClipped([3, 4], planFixedPoint({ nodes: 2, clip: 1, dimension: 2 }), csprng()) // ~[0.6, 0.8] 2^f
 */
export function encodeClipped(update: ArrayLike<number>, plan: FixedPointPlan, rng: Rng): Uint32Array {
  const fn = 'encodeClipped';
  if (update?.length !== plan.dimension) {
    throw new InvalidParameterError({
      fn,
      param: 'update',
      value: update,
      allowed: `an array of length plan.dimension = ${plan.dimension}`,
    });
  }
  const norm = l2Norm(update, fn);
  const factor = norm > plan.clip ? plan.clip / norm : 1;
  const clip = plan.clip;
  const clipped = new Float64Array(update.length);
  for (let i = 0; i < clipped.length; i++) {
    // A coordinate cannot exceed the norm; the clamp only removes floating-point excess so that
    // |x 2^f| <= integerClip holds exactly (2^f scaling is exact).
    const x = update[i]! * factor;
    clipped[i] = x > clip ? clip : x < -clip ? -clip : x;
  }
  return encodeFixedPoint(clipped, {
    fractionalBits: plan.fractionalBits,
    rounding: { kind: 'stochastic', rng },
  });
}

/**
 * Decodes a sum of encodings (mod 2^32) to reals: each coordinate read as a signed 32-bit integer over 2^f.
 * Exact for sums of at most plan.nodes encodings plus noise within the plan's tail bound.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a length other than plan.dimension.
 */
export function decodeSum(sum: Uint32Array, plan: FixedPointPlan): Float64Array {
  if (!(sum instanceof Uint32Array) || sum.length !== plan.dimension) {
    throw new InvalidParameterError({
      fn: 'decodeSum',
      param: 'sum',
      value: sum,
      allowed: `a Uint32Array of length plan.dimension = ${plan.dimension}`,
    });
  }
  return decodeFixedPoint(sum, { fractionalBits: plan.fractionalBits });
}

/**
 * Adds independent discrete Gaussian noise N_Z(0, sigma^2) (CKS20's exact sampler) to every coordinate of
 * `encoded`, mod 2^32, IN PLACE, and returns it. About 50 ms per 10^5 coordinates at sigma = 1000 with the CSPRNG (Node 20).
 * Noise drawn with a seeded rng is not private.
 * @param sigmaInteger per-party sigma in integer units, in [0.5, 2^40] (KLS21's bound needs sigma >= 1/2)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for sigma out of range.
 */
export function addDiscreteGaussianNoise(encoded: Uint32Array, sigmaInteger: number, rng: Rng): Uint32Array {
  const fn = 'addDiscreteGaussianNoise';
  assertSigma(fn, 'sigmaInteger', sigmaInteger);
  if (!(encoded instanceof Uint32Array)) {
    throw new InvalidParameterError({ fn, param: 'encoded', value: encoded, allowed: 'a Uint32Array' });
  }
  const sampler = discreteGaussianSampler({ sigma: sigmaInteger });
  const chunk = new Float64Array(Math.min(encoded.length, 4096));
  for (let start = 0; start < encoded.length; start += chunk.length) {
    const n = Math.min(chunk.length, encoded.length - start);
    sampler.fill(n === chunk.length ? chunk : chunk.subarray(0, n), rng);
    // |noise| < 2^53 - 2^32, so the double sum is an exact integer and >>> 0 reduces it mod 2^32.
    for (let i = 0; i < n; i++) encoded[start + i] = (encoded[start + i]! + chunk[i]!) >>> 0;
  }
  return encoded;
}

/** The per-party noise of a distributed discrete Gaussian release (frozen); see {@link distributedNoisePlan}. */
export interface DistributedNoisePlan {
  /** Each party's discrete Gaussian sigma in integer units: targetStd 2^f / sqrt(minParties). */
  readonly sigmaInteger: number;
  /** The same in real units: targetStd / sqrt(minParties). */
  readonly perPartyStd: number;
  readonly targetStd: number;
  readonly minParties: number;
  /** The encoding the noise is for. */
  readonly plan: FixedPointPlan;
}

/**
 * Splits the noise the sum should carry among the parties: each adds N_Z(0, sigma^2) with
 * sigma = targetStd 2^f / sqrt(minParties) (integer units), so that if at least `minParties` parties' noise
 * reaches the sum, its variance is at least targetStd^2 (ignoring the discrete/continuous gap: N_Z(0, sigma^2)
 * has variance slightly below sigma^2, negligibly so for sigma >= 1). Checks that the plan leaves room for the
 * worst case, every one of plan.nodes parties adding noise.
 * @param options.targetStd std of the noise the SUM should carry, real units (> 0)
 * @param options.minParties parties whose noise is guaranteed in the sum, e.g. the SecAgg threshold minus the
 *   parties that may collude with the server (an integer in [1, plan.nodes])
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an option out of range, a per-party sigma below
 *   0.5 (KLS21 Thm. 1), or noise the plan has no room for (pass noiseStd to planFixedPoint).
 * @example distributedNoisePlan({ targetStd: 0.5, minParties: 50, plan }).sigmaInteger
 */
export function distributedNoisePlan(options: {
  readonly targetStd: number;
  readonly minParties: number;
  readonly plan: FixedPointPlan;
}): DistributedNoisePlan {
  const fn = 'distributedNoisePlan';
  const { targetStd, minParties, plan } = options;
  if (typeof plan !== 'object' || plan === null) {
    throw new InvalidParameterError({
      fn,
      param: 'plan',
      value: plan,
      allowed: 'a plan from planFixedPoint',
    });
  }
  assertPositive(fn, 'targetStd', targetStd);
  assertInteger(fn, 'minParties', minParties, 1, plan.nodes);
  const sigmaInteger = (targetStd * plan.scale) / Math.sqrt(minParties);
  assertSigma(fn, 'targetStd * 2^fractionalBits / sqrt(minParties)', sigmaInteger);
  const worstStd = sigmaInteger * Math.sqrt(plan.nodes); // every node adds its share
  const worst = plan.nodes * (plan.integerClip + 1) + plan.tailSigmas * worstStd;
  if (!(worst < TWO_POW_31)) {
    const needed = targetStd * Math.sqrt(plan.nodes / minParties);
    throw new InvalidParameterError({
      fn,
      param: 'plan',
      value: plan,
      allowed:
        `a plan with room for the noise: with all ${plan.nodes} nodes adding noise the sum can reach ${worst} >= ` +
        `2^31; build the plan with planFixedPoint({ ..., noiseStd: ${needed} })`,
    });
  }
  return Object.freeze({
    sigmaInteger,
    perPartyStd: targetStd / Math.sqrt(minParties),
    targetStd,
    minParties,
    plan,
  });
}

/**
 * The privacy event of one release: a 'distributed-discrete-gaussian' event with the per-party sigma, the
 * parties whose noise actually entered the sum, l2Sensitivity = {@link integerL2Sensitivity} (one node's whole
 * contribution) and the plan's dimension.
 * @param options.parties parties whose noise is in the released sum and unknown to the adversary (survivors,
 *   minus any that may collude with the server); fewer than minParties gives a weaker, still correct, event
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for parties not an integer >= 1.
 */
export function accountingEvent(options: {
  readonly noise: DistributedNoisePlan;
  readonly parties: number;
}): DistributedDiscreteGaussianEvent {
  const { noise, parties } = options;
  assertInteger('accountingEvent', 'parties', parties, 1);
  return distributedDiscreteGaussianEvent({
    sigma: noise.sigmaInteger,
    parties,
    l2Sensitivity: integerL2Sensitivity(noise.plan),
    dimension: noise.plan.dimension,
  });
}

function assertSigma(fn: string, param: string, sigma: unknown): asserts sigma is number {
  if (typeof sigma !== 'number' || !(sigma >= 0.5 && sigma <= MAX_SIGMA)) {
    throw new InvalidParameterError({
      fn,
      param,
      value: sigma,
      allowed:
        'a number in [0.5, 2^40] (the distributed discrete Gaussian bound of KLS21 Thm. 1 needs sigma >= 1/2)',
    });
  }
}

/** x rounded down to 6 significant digits (for messages: a suggested bound must not be optimistic). */
function roundDown(x: number): number {
  const unit = 10 ** (Math.floor(Math.log10(x)) - 5);
  return Number((Math.floor(x / unit) * unit).toPrecision(6));
}

/** L2 norm without overflow or underflow (scaled by the largest magnitude); throws on a non-finite value. */
function l2Norm(values: ArrayLike<number>, fn: string): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new InvalidParameterError({ fn, param: `update[${i}]`, value: x, allowed: 'a finite number' });
    }
    const a = x < 0 ? -x : x;
    if (a > max) max = a;
  }
  if (max === 0) return 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const r = values[i]! / max;
    sum += r * r;
  }
  return max * Math.sqrt(sum);
}
