/**
 * zCDP of the distributed discrete Gaussian: `parties` parties each add independent N_Z(0, sigma^2) noise per
 * coordinate to an integer vector, and only the sum is released (Kairouz, Liu & Steinke 2021, "The Distributed
 * Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation", arXiv:2102.06387).
 *
 * The bound used (KLS21 Thm. 1 / Prop. 14, the form the authors' own accounting code uses): for sigma >= 1/2,
 * integer vectors of dimension d whose difference has L2 norm <= Delta_2, and n parties,
 *
 *   D_alpha(x + Z_n || x' + Z_n) <= alpha eps(n)^2 / 2   for all alpha >= 1, i.e. (eps(n)^2 / 2)-zCDP, with
 *   eps(n)  = Delta_2 / (sqrt(n) sigma) + tau(n) sqrt(d),
 *   tau(n)  = 10 * sum_{k=1}^{n-1} exp(-2 pi^2 sigma^2 k / (k + 1)).
 *
 * The paper's theorem takes the minimum with a second bound, sqrt(Delta_2^2 / (n sigma^2) + c tau d) for a
 * constant c we could not check against the paper's text here; Veil does not use it (it is only tighter).
 *
 * Post-processing (Veil's addition, not a claim of the paper): the sum of n parties' noise is the sum of any
 * m <= n of them plus independent noise, and adding independent noise is a post-processing that cannot
 * increase a Rényi divergence. So eps(m) bounds the release for every 1 <= m <= n, and Veil uses
 * min_{m <= n} eps(m). This makes the bound non-increasing in n: with small sigma the tau term grows with n
 * (about 10 n exp(-2 pi^2 sigma^2) for large n) and would otherwise make more noise look less private.
 * For m = 1 the sum is empty, tau = 0 and eps(1) = Delta_2 / sigma: exactly the single discrete Gaussian's
 * rho = Delta_2^2 / (2 sigma^2) (Canonne, Kamath & Steinke 2020, arXiv:2004.00010, Thm. 14).
 *
 * Numerics: every candidate eps(m) is a valid bound, so the search can only err towards a larger (safe)
 * answer. tau is summed exactly term by term for m up to 2^20; for more parties tau(n) is bounded from above
 * (the terms decrease in k). Results are rounded to nearest like the other closed forms of this module.
 */
import { assertInteger, assertPositive, InvalidParameterError } from '../../core/index.js';

/** The smallest per-party sigma KLS21 Thm. 1 allows. */
export const MIN_DISTRIBUTED_DISCRETE_GAUSSIAN_SIGMA = 0.5;

/** Parties whose tau is summed term by term; beyond, tau(n) is bounded from above. */
const EXACT_PARTIES = 1 << 20;

/** Parameters of a distributed discrete Gaussian release (all in integer units of the encoded vectors). */
export interface DistributedDiscreteGaussianParameters {
  /** Each party's discrete Gaussian parameter sigma >= 0.5 (integer units). */
  readonly sigma: number;
  /**
   * Parties whose noise is in the released sum and unknown to the adversary (an integer >= 1): never count
   * parties that dropped out before adding noise, nor parties that may collude with the server.
   */
  readonly parties: number;
  /** L2 sensitivity of the integer sum (a finite number > 0; need not be an integer). */
  readonly l2Sensitivity: number;
  /** Dimension of the vector (an integer >= 1). */
  readonly dimension: number;
}

/**
 * tau(n) = 10 * sum_{k=1}^{n-1} exp(-2 pi^2 sigma^2 k / (k + 1)) of KLS21 Thm. 1: how far the sum of n
 * discrete Gaussians is from a discrete Gaussian. 0 for one party; below 1e-15 n for sigma >= 2.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for sigma < 0.5 or parties not an integer >= 1.
 */
export function distributedDiscreteGaussianTau(options: {
  readonly sigma: number;
  readonly parties: number;
}): number {
  const fn = 'distributedDiscreteGaussianTau';
  assertSigma(fn, options?.sigma);
  assertInteger(fn, 'parties', options.parties, 1);
  const c = 2 * Math.PI * Math.PI * options.sigma * options.sigma;
  const n = options.parties;
  const exact = Math.min(n, EXACT_PARTIES);
  let tau = 0;
  for (let k = 1; k < exact; k++) tau += 10 * Math.exp((-c * k) / (k + 1));
  // Terms k = exact .. n-1 are each at most the term at k = exact (they decrease in k).
  if (n > exact) tau += 10 * (n - exact) * Math.exp((-c * exact) / (exact + 1));
  return tau;
}

/**
 * The epsilon of the (epsilon^2 / 2)-zCDP guarantee of a distributed discrete Gaussian release:
 * min over 1 <= m <= parties of Delta_2 / (sqrt(m) sigma) + tau(m) sqrt(dimension) (see the file comment).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for sigma < 0.5 or another parameter out of range.
 * @example distributedDiscreteGaussianEpsilon({ sigma: 4, parties: 100, l2Sensitivity: 1, dimension: 1e6 }) // 0.025
 */
export function distributedDiscreteGaussianEpsilon(options: DistributedDiscreteGaussianParameters): number {
  const fn = 'distributedDiscreteGaussianEpsilon';
  assertParameters(fn, options);
  const { sigma, parties, l2Sensitivity, dimension } = options;
  const c = 2 * Math.PI * Math.PI * sigma * sigma;
  const sqrtD = Math.sqrt(dimension);
  const signal = (m: number) => l2Sensitivity / (Math.sqrt(m) * sigma);
  // Every term of tau underflows: tau = 0 for every m (to double precision) and m = parties is best.
  if (Math.exp(-c / 2) === 0) return signal(parties);
  const exact = Math.min(parties, EXACT_PARTIES);
  let best = Number.POSITIVE_INFINITY;
  let tau = 0; // tau(m), built up as m grows
  for (let m = 1; m <= exact; m++) {
    const tauTerm = tau * sqrtD;
    if (tauTerm >= best) return best; // tau is non-decreasing in m: no larger m can do better
    best = Math.min(best, signal(m) + tauTerm);
    tau += 10 * Math.exp((-c * m) / (m + 1));
  }
  if (parties > exact) {
    best = Math.min(best, signal(parties) + distributedDiscreteGaussianTau({ sigma, parties }) * sqrtD);
  }
  return best;
}

/**
 * rho of the rho-zCDP guarantee of a distributed discrete Gaussian release: epsilon^2 / 2 with epsilon from
 * {@link distributedDiscreteGaussianEpsilon} (KLS21 Thm. 1, with Veil's post-processing minimum). For one
 * party it is the single discrete Gaussian's Delta_2^2 / (2 sigma^2).
 * @param options.sigma per-party sigma >= 0.5, integer units
 * @param options.parties parties whose noise is in the sum and unknown to the adversary, an integer >= 1
 * @param options.l2Sensitivity L2 sensitivity of the integer sum, > 0
 * @param options.dimension vector dimension, an integer >= 1
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for sigma < 0.5 or another parameter out of range.
 * @example distributedDiscreteGaussianRho({ sigma: 4, parties: 1, l2Sensitivity: 2, dimension: 10 }) // 0.125
 */
export function distributedDiscreteGaussianRho(options: DistributedDiscreteGaussianParameters): number {
  const epsilon = distributedDiscreteGaussianEpsilon(options);
  return (epsilon * epsilon) / 2;
}

function assertSigma(fn: string, sigma: unknown): asserts sigma is number {
  if (
    typeof sigma !== 'number' ||
    !Number.isFinite(sigma) ||
    !(sigma >= MIN_DISTRIBUTED_DISCRETE_GAUSSIAN_SIGMA)
  ) {
    throw new InvalidParameterError({
      fn,
      param: 'sigma',
      value: sigma,
      allowed:
        'a finite number >= 0.5 (the distributed discrete Gaussian bound of KLS21 Thm. 1 needs sigma >= 1/2)',
    });
  }
}

/** Checks the four parameters of a distributed discrete Gaussian release. @internal */
export function assertParameters(fn: string, options: DistributedDiscreteGaussianParameters): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidParameterError({ fn, param: 'options', value: options, allowed: 'an object' });
  }
  assertSigma(fn, options.sigma);
  assertInteger(fn, 'parties', options.parties, 1);
  assertPositive(fn, 'l2Sensitivity', options.l2Sensitivity);
  assertInteger(fn, 'dimension', options.dimension, 1);
}
