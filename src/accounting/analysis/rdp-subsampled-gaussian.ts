/**
 * Rényi DP of the Gaussian and the Poisson-subsampled Gaussian mechanism.
 *
 * For sampling rate q and noise multiplier sigma (std / L2 sensitivity), the RDP at order alpha is
 * log(A_alpha) / (alpha - 1) with A_alpha = E_{z ~ mu0} [((1 - q) + q mu1(z)/mu0(z))^alpha],
 * mu0 = N(0, sigma^2), mu1 = N(1, sigma^2)  (Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the
 * Sampled Gaussian Mechanism", arXiv:1908.10530, Sec. 3). Add/remove-one adjacency.
 *
 * - Integer alpha: the finite binomial sum of Sec. 3.2 (all terms positive; exact).
 * - Fractional alpha: the two infinite series of Sec. 3.3, split at z0 = sigma^2 log(1/q - 1) + 1/2. The
 *   binomial coefficients C(alpha, i) change sign for i > alpha.
 *   - `'exact'` (Veil's default): the signed series, which IS A_alpha (as Opacus computes it). Positive and
 *     negative terms are summed separately in log space; the result is padded by 1e-10 (P + N) for round-off and
 *     by an upper bound of the truncated tail, so it stays an upper bound. If cancellation leaves fewer than
 *     ~4 significant digits, we fall back to the absolute series (never an optimistic number). Both sums are
 *     upper bounds, so the smaller is returned: never looser than `'absolute'`.
 *   - `'absolute'`: every term by its absolute value, as Google's dp_accounting does since 2024: a valid upper
 *     bound, up to a few percent looser at fractional orders. Offered to reproduce dp_accounting exactly.
 */
import { logAdd, logErfc, logSub, NumericError } from '../../core/index.js';

/** How the fractional-order series is summed; see the module comment. */
export type FractionalSeries = 'exact' | 'absolute';

const MAX_SERIES_TERMS = 1000;
const LOG_HALF = Math.log(0.5);
/** Relative round-off pad for the signed series (each term carries ~1e-14 relative error). */
const LOG_ROUNDOFF_PAD = Math.log(1e-10);

/** RDP of the Gaussian mechanism: alpha / (2 sigma^2) (Mironov 2017, Prop. 7). */
export function rdpGaussian(noiseMultiplier: number, order: number): number {
  return order / (2 * noiseMultiplier * noiseMultiplier);
}

/** log A_alpha for integer alpha >= 2 and 0 < q < 1 (MTZ19 Sec. 3.2). */
export function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  let logA = Number.NEGATIVE_INFINITY;
  let logCoef = 0; // log C(alpha, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logCoef += Math.log((alpha - i + 1) / i); // C(alpha, i) = C(alpha, i-1) (alpha - i + 1) / i
    const term = logCoef + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoSigma2;
    logA = logAdd(logA, term);
  }
  return logA;
}

/** log A_alpha for fractional alpha > 1 and 0 < q < 1 (MTZ19 Sec. 3.3); see the module comment. */
export function logAFractional(q: number, sigma: number, alpha: number, series: FractionalSeries): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const twoSigma2 = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  const floorAlpha = Math.floor(alpha);
  let logPos = Number.NEGATIVE_INFINITY;
  let logNeg = Number.NEGATIVE_INFINITY;
  let lastS0 = Number.NEGATIVE_INFINITY;
  let lastS1 = Number.NEGATIVE_INFINITY;
  let logCoef = 0; // log |C(alpha, 0)|
  for (let i = 0; i < MAX_SERIES_TERMS; i++) {
    if (i > 0) logCoef += Math.log(Math.abs(alpha - i + 1) / i); // |C(alpha, i)| = |C(alpha, i-1)| |alpha - i + 1| / i
    // C(alpha, i) has one negative factor (alpha - k) for each k in [0, i-1] with k > alpha.
    const negative = i - 1 - floorAlpha > 0 && (i - 1 - floorAlpha) % 2 === 1;
    const j = alpha - i;
    const s0 =
      logCoef + i * logQ + j * log1mQ + (i * i - i) / twoSigma2 + LOG_HALF + logErfc((i - z0) / sqrt2Sigma);
    const s1 =
      logCoef + j * logQ + i * log1mQ + (j * j - j) / twoSigma2 + LOG_HALF + logErfc((z0 - j) / sqrt2Sigma);
    const s = logAdd(s0, s1);
    if (!negative) logPos = logAdd(logPos, s);
    else logNeg = logAdd(logNeg, s);
    const logAbsTotal = logAdd(logPos, logNeg);
    if (s0 < lastS0 && s1 < lastS1 && Math.max(s0, s1) < logAbsTotal - 30) {
      // The remaining terms decay like |C(alpha, k)| ~ k^(-alpha-1), so their sum is below i * (current term);
      // add that as a pad so the truncation never under-counts.
      const logTail = Math.log(i + 1) + s;
      const logAbsolute = logAdd(logAdd(logPos, logNeg), logTail);
      if (series === 'absolute') return logAbsolute;
      // Both are upper bounds; the signed one is tighter unless its round-off pad dominates.
      return Math.min(logAbsolute, signedTotal(logPos, logNeg, logTail, q, sigma, alpha));
    }
    lastS0 = s0;
    lastS1 = s1;
  }
  // No convergence: exclude this order by returning the trivial bound (as dp_accounting does).
  return Number.POSITIVE_INFINITY;
}

function signedTotal(
  logPos: number,
  logNeg: number,
  logTail: number,
  q: number,
  sigma: number,
  alpha: number,
): number {
  if (logNeg === Number.NEGATIVE_INFINITY) return logAdd(logPos, logTail);
  if (!(logPos - logNeg > 1e-4)) {
    // Cancellation too strong to trust in double precision: fall back to the absolute-value bound.
    return logAdd(logAdd(logPos, logNeg), logTail);
  }
  const logExact = logSub(logPos, logNeg);
  const logPad = logAdd(LOG_ROUNDOFF_PAD + logAdd(logPos, logNeg), logTail);
  const result = logAdd(logExact, logPad);
  if (!Number.isFinite(result) && result !== Number.POSITIVE_INFINITY) {
    throw new NumericError('RDP series for the subsampled Gaussian produced a non-finite value', {
      q,
      sigma,
      alpha,
    });
  }
  return result;
}

/**
 * log A_alpha by composite Simpson integration of A_alpha = E_{z ~ N(0, s^2)}[((1 - q) + q e^{(2z - 1)/(2 s^2)})^alpha]
 * in log space (MTZ19 Sec. 3, the definition). The integrand is smooth and Gaussian-tailed (centred near 0 and
 * near alpha, spread s), so Simpson's rule with step s/64 over [min(0, alpha) - 16 s, max(0, alpha) + 16 s]
 * is accurate far below 1e-9 (the mass left outside is below e^-128). The result is padded up by 1e-9 relative
 * to keep it an upper bound. Used where the fractional series does not converge; tests check it against the
 * series and against mpmath.
 */
export function logAByIntegration(q: number, sigma: number, alpha: number): number {
  const lo = Math.min(0, alpha) - 16 * sigma;
  const hi = Math.max(0, alpha) + 16 * sigma;
  const steps = 2 * Math.ceil(((hi - lo) / sigma) * 32); // even, step <= sigma / 64
  const h = (hi - lo) / steps;
  const s2 = sigma * sigma;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const logNorm = -0.5 * Math.log(2 * Math.PI) - Math.log(sigma);
  const logF = new Float64Array(steps + 1);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= steps; i++) {
    const z = lo + i * h;
    const logRatio = (2 * z - 1) / (2 * s2);
    // log((1 - q) + q e^r) = logAdd(log(1 - q), log q + r)
    const a = log1mQ;
    const b = logQ + logRatio;
    const mix = a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
    const v = logNorm - (z * z) / (2 * s2) + alpha * mix;
    logF[i] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let i = 0; i <= steps; i++)
    sum += (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2) * Math.exp(logF[i]! - max);
  return max + Math.log((sum * h) / 3) + 1e-9;
}

/**
 * RDP at `order` of one application of the Poisson-subsampled Gaussian, add/remove adjacency.
 * Returns Infinity for order = Infinity. q = 1 gives the plain Gaussian alpha / (2 sigma^2).
 */
export function rdpPoissonSubsampledGaussian(
  q: number,
  noiseMultiplier: number,
  order: number,
  series: FractionalSeries = 'exact',
): number {
  if (q === 0) return 0;
  if (order === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (q === 1) return rdpGaussian(noiseMultiplier, order);
  let logA = Number.isInteger(order)
    ? logAInteger(q, noiseMultiplier, order)
    : logAFractional(q, noiseMultiplier, order, series);
  if (logA === Number.POSITIVE_INFINITY) {
    // The series did not converge (its terms decay like i^-(alpha+1): slow at small orders and large q).
    // Integrate A_alpha numerically instead (see logAByIntegration), which is accurate to ~1e-12 here.
    logA = logAByIntegration(q, noiseMultiplier, order);
  }
  const rdp = logA / (order - 1);
  if (Number.isNaN(rdp))
    throw new NumericError('RDP of the subsampled Gaussian is NaN', { q, noiseMultiplier, order });
  // Subsampling never hurts (joint convexity of exp((alpha - 1) D_alpha) over the coupling of the two
  // samples), so the unsampled Gaussian is always a valid bound too.
  return Math.max(0, Math.min(rdp, rdpGaussian(noiseMultiplier, order)));
}
