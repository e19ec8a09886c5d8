/**
 * Exact sampler for the discrete Gaussian N_Z(0, sigma^2): P(x) proportional to exp(-x^2 / (2 sigma^2)) for
 * every integer x (Canonne, Kamath & Steinke 2020, arXiv:2004.00010, Algorithm 3).
 *
 * Algorithm 3: with t = floor(sigma) + 1, draw Y ~ Lap_Z(t) and accept it with probability
 * exp(-gamma(Y)), gamma(y) = (|y| - sigma^2/t)^2 / (2 sigma^2). sigma is used at its exact binary value
 * sigma = N/D, so gamma(y) = (|y| t D^2 - N^2)^2 / (2 t^2 D^2 N^2) is an exact rational.
 *
 * Fast path (why it exists: BigInt arithmetic on every draw costs ~10x): gamma(y) is evaluated in doubles
 * together with a rigorous error bound err, giving an interval [lo, hi] that contains the exact gamma.
 * When floor(lo) = floor(hi) the integer part is known exactly and the fractional part is bracketed; the
 * Bernoulli(frac) draws of CKS20 Alg. 1 are then decided by {@link bernoulliBracketed}, which falls back to
 * exact BigInt arithmetic only when its 53 random bits land inside the bracket (probability ~2^-44). When
 * the integer part is ambiguous, the whole acceptance test runs on the exact rational (`rng.bernoulliExp`).
 * Every outcome is therefore decided exactly; the doubles only decide which cases are easy.
 *
 * Error bound (u = 2^-53, each operation correctly rounded): s2 = fl(sigma^2), tau = fl(s2/t),
 * d = fl(|y| - tau), g = fl(fl(d^2) / (2 s2)). Then |tau - sigma^2/t| <= 2.01u tau, the computed d is
 * within 2.02u (tau + |d|) of |y| - sigma^2/t, and |g - gamma| <= 3.1u g + 2.1u (tau + |d|)^2 / s2.
 * We use err = 2^-48 (w + g) with w = (tau + |d|)^2 / s2, i.e. 32u: an eightfold margin that also absorbs the
 * rounding of err, lo = g - err and hi = g + err themselves. frac = lo - floor(lo) is exact (Sterbenz).
 */
import { assertPositive, InvalidParameterError, type Rng, rationalFromNumber } from '../../core/index.js';
import { bernoulliBracketed, bernoulliExpMinusOne } from './bernoulli.js';
import { type IntegerNoiseSampler, sampleDiscreteLaplace } from './discrete-laplace.js';

/** Largest sigma accepted: 2^40. */
export const MAX_DISCRETE_SIGMA = 1099511627776;
/** Smallest sigma accepted: 2^-40 (the distribution is then 0 with probability 1 - 2^-(2^79)). */
export const MIN_DISCRETE_SIGMA = 9.094947017729282e-13;
/** 2^-48: the relative error margin of the fast path (see the file comment). */
const ERROR_MARGIN = 3.552713678800501e-15;

/** The discrete Gaussian kernel for one sigma; built once, then allocation-free on the fast path. */
export class DiscreteGaussianKernel {
  readonly sigma: number;
  /** t = floor(sigma) + 1, the scale of the discrete Laplace proposal. */
  readonly t: number;
  private readonly sigmaSquared: number;
  private readonly tau: number;
  private readonly twoSigmaSquared: number;
  /** Exact constants: gamma(y) = (|y| * a - b)^2 / den. */
  private readonly a: bigint;
  private readonly b: bigint;
  private readonly den: bigint;
  /** Scratch: the current bracket of gamma, |y| and floor(gamma) (no allocation per draw). */
  private lo = 0;
  private hi = 0;
  private absY = 0;
  private whole = 0;
  private readonly exactFrac = (): { num: bigint; den: bigint } => {
    const num = this.exactGammaNumerator(this.absY) - BigInt(this.whole) * this.den;
    return { num, den: this.den };
  };

  constructor(sigma: number) {
    this.sigma = sigma;
    this.t = Math.floor(sigma) + 1;
    this.sigmaSquared = sigma * sigma;
    this.tau = this.sigmaSquared / this.t;
    this.twoSigmaSquared = 2 * this.sigmaSquared;
    const r = rationalFromNumber(sigma);
    const t = BigInt(this.t);
    const d2 = r.den * r.den;
    const n2 = r.num * r.num;
    this.a = t * d2;
    this.b = n2;
    this.den = 2n * t * t * d2 * n2;
  }

  /** One draw of N_Z(0, sigma^2) (CKS20 Alg. 3). */
  sample(rng: Rng): number {
    for (;;) {
      const y = sampleDiscreteLaplace(rng, this.t, 1);
      if (this.accept(rng, y < 0 ? -y : y)) return y;
    }
  }

  /** The exact numerator (|y| a - b)^2 of gamma(y) over `den`. */
  exactGammaNumerator(absY: number): bigint {
    const diff = BigInt(absY) * this.a - this.b;
    return diff * diff;
  }

  /** Bernoulli(exp(-gamma(absY))), exactly, by the exact rational only (the reference path). */
  acceptExact(rng: Rng, absY: number): boolean {
    return rng.bernoulliExp({ num: this.exactGammaNumerator(absY), den: this.den });
  }

  /**
   * Brackets gamma(absY) in doubles: sets `lo` and `hi` with lo <= gamma <= hi (see the file comment for the
   * error bound). Allocation-free; the hot path reads the fields.
   */
  private bracket(absY: number): void {
    const d = absY - this.tau;
    const ad = d < 0 ? -d : d;
    const g = (d * d) / this.twoSigmaSquared;
    const w = ((this.tau + ad) * (this.tau + ad)) / this.sigmaSquared;
    const err = ERROR_MARGIN * (w + g);
    this.lo = Math.max(g - err, 0); // gamma >= 0
    this.hi = g + err;
  }

  /** The bracket [lo, hi] of gamma(absY) used by the fast path (for tests and audits). */
  gammaBracket(absY: number): { readonly lo: number; readonly hi: number } {
    this.bracket(absY);
    return { lo: this.lo, hi: this.hi };
  }

  /** Bernoulli(exp(-gamma(absY))), exactly, using the bracketed fast path when it can decide. */
  accept(rng: Rng, absY: number): boolean {
    this.bracket(absY);
    const whole = Math.floor(this.lo);
    if (whole !== Math.floor(this.hi) || !Number.isFinite(this.hi)) return this.acceptExact(rng, absY);
    // CKS20 Alg. 1: exp(-gamma) = exp(-1)^floor(gamma) * exp(-frac(gamma)), independent factors.
    for (let i = 0; i < whole; i++) if (!bernoulliExpMinusOne(rng)) return false;
    const fracLo = this.lo - whole; // exact (Sterbenz)
    const fracHi = this.hi - whole;
    this.absY = absY;
    this.whole = whole;
    // A_k ~ Bernoulli(frac / k) = Bernoulli(1/k) AND Bernoulli(frac); return K odd.
    if (!bernoulliBracketed(rng, fracLo, fracHi, this.exactFrac)) return true;
    let k = 2;
    while (rng.uniformInt(k) === 0 && bernoulliBracketed(rng, fracLo, fracHi, this.exactFrac)) k++;
    return (k & 1) === 1;
  }
}

/**
 * An exact discrete Gaussian sampler N_Z(0, sigma^2) (Canonne, Kamath & Steinke 2020, Alg. 3).
 *
 * sigma is used at its exact binary value. Its mean is 0 and its variance is slightly below sigma^2
 * (CKS20 prove Var[N_Z(0, sigma^2)] < sigma^2; the gap is negligible for sigma >= 1 and large below 0.5).
 * @param options.sigma the scale parameter sigma > 0 in [2^-40, 2^40]
 * @returns a frozen sampler
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for sigma not a finite number in range
 * @example
 * const dg = discreteGaussianSampler({ sigma: 3.7 });
 * dg.fill(new Float64Array(1000), csprng());
 */
export function discreteGaussianSampler(options: { readonly sigma: number }): IntegerNoiseSampler {
  const fn = 'discreteGaussianSampler';
  const sigma = options?.sigma;
  assertPositive(fn, 'sigma', sigma);
  if (sigma < MIN_DISCRETE_SIGMA || sigma > MAX_DISCRETE_SIGMA) {
    throw new InvalidParameterError({
      fn,
      param: 'sigma',
      value: sigma,
      allowed: 'a number in [2^-40, 2^40]',
    });
  }
  const kernel = new DiscreteGaussianKernel(sigma);
  return Object.freeze({
    sample: (rng: Rng) => kernel.sample(rng),
    fill(out: Float64Array, rng: Rng): Float64Array {
      for (let i = 0; i < out.length; i++) out[i] = kernel.sample(rng);
      return out;
    },
  });
}
