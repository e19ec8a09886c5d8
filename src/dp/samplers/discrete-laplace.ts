/**
 * Exact sampler for the discrete Laplace distribution Lap_Z(b): P(x) = tanh(1/(2b)) exp(-|x|/b) for every
 * integer x (Canonne, Kamath & Steinke 2020, arXiv:2004.00010, Algorithm 2).
 *
 * The scale b is a double, converted exactly to a rational t/s (t = its odd mantissa, s a power of two,
 * or s = 1 for integers). Algorithm 2: U uniform in {0..t-1} kept with probability exp(-U/t), V geometric
 * with ratio exp(-1), X = U + tV is then geometric with ratio exp(-1/t), Y = floor(X/s) geometric with ratio
 * exp(-s/t), and a random sign (rejecting "-0") gives Lap_Z(t/s). Every step is an exact integer operation:
 * t < 2^53 so `uniformInt(t)` is exact; X is computed in doubles while it is below 2^53 and with BigInt
 * otherwise; division by the power of two s is exact. The loop allocates nothing except on that rare
 * BigInt path.
 */
import { assertPositive, InvalidParameterError, NumericError, type Rng } from '../../core/index.js';
import { bernoulliExpFraction, bernoulliExpMinusOne } from './bernoulli.js';
import { rationalScale } from './rational-scale.js';

/** Largest scale accepted: 2^40 (beyond it the integers of Algorithm 2 may leave the safe range). */
export const MAX_DISCRETE_SCALE = 1099511627776;
/** Smallest scale accepted: 2^-40 (below it the distribution is a point mass at 0 to within 2^-(2^40)). */
export const MIN_DISCRETE_SCALE = 9.094947017729282e-13;

/** A sampler of integer noise, validated once, reusable, allocation-free per draw. */
export interface IntegerNoiseSampler {
  /** One draw. */
  sample(rng: Rng): number;
  /** Fills `out` with independent draws and returns it. */
  fill(out: Float64Array, rng: Rng): Float64Array;
}

/**
 * One Lap_Z(t/s) draw (CKS20 Alg. 2) for integers t, s >= 1 with t <= 2^53 and s a power of two (or 1).
 * Kernel: validates nothing.
 */
export function sampleDiscreteLaplace(rng: Rng, t: number, s: number): number {
  for (;;) {
    const u = t === 1 ? 0 : rng.uniformInt(t);
    if (!bernoulliExpFraction(rng, u, t)) continue; // D ~ Bernoulli(exp(-U/t)); reject when 0
    let v = 0;
    while (bernoulliExpMinusOne(rng)) v++; // V: failures before the first Bernoulli(exp(-1)) = 0
    const x = u + t * v;
    let y: number;
    if (Number.isSafeInteger(x)) {
      // The rounded x is safe only if the exact one is (rounding is monotone and 2^53 is a double).
      y = s === 1 ? x : Math.floor(x / s); // s = 2^k: x / s is exact
    } else {
      y = Number((BigInt(u) + BigInt(t) * BigInt(v)) / BigInt(s));
      if (!Number.isSafeInteger(y))
        throw new NumericError('discrete Laplace draw left the safe-integer range', { t, s });
    }
    const negative = (rng.nextUint32() & 1) === 1; // B ~ Bernoulli(1/2)
    if (negative) {
      if (y === 0) continue; // reject "-0" so that 0 is not counted twice
      return -y;
    }
    return y;
  }
}

/**
 * An exact discrete Laplace sampler with P(x) proportional to exp(-|x| / scale) over the integers.
 *
 * The scale is used at its exact binary value (no rounding), so the distribution is exactly Lap_Z(scale).
 * @param options.scale the scale b > 0 in [2^-40, 2^40] (epsilon = sensitivity / b for an integer query)
 * @returns a frozen sampler
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a scale that is not a finite number in range
 * @example
 * const lap = discreteLaplaceSampler({ scale: 2.5 });
 * lap.sample(csprng()); // an integer
 */
export function discreteLaplaceSampler(options: { readonly scale: number }): IntegerNoiseSampler {
  const fn = 'discreteLaplaceSampler';
  const scale = options?.scale;
  assertPositive(fn, 'scale', scale);
  if (scale < MIN_DISCRETE_SCALE || scale > MAX_DISCRETE_SCALE) {
    throw new InvalidParameterError({
      fn,
      param: 'scale',
      value: scale,
      allowed: 'a number in [2^-40, 2^40]',
    });
  }
  const { t, s } = rationalScale(scale); // t < 2^53, s a power of two <= 2^93: both exact doubles
  return Object.freeze({
    sample: (rng: Rng) => sampleDiscreteLaplace(rng, t, s),
    fill(out: Float64Array, rng: Rng): Float64Array {
      for (let i = 0; i < out.length; i++) out[i] = sampleDiscreteLaplace(rng, t, s);
      return out;
    },
  });
}
