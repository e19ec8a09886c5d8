/**
 * Exact hockey-stick divergences delta(epsilon) of the Gaussian and Laplace mechanisms, optionally on a
 * Poisson sample, in both directions of add/remove adjacency, and their connect-the-dots PLDs.
 *
 * Units: the sensitivity is scaled to 1, so the noise has standard deviation `sigma / l2Sensitivity`
 * (Gaussian) or scale `b / l1Sensitivity` (Laplace). With f the noise density, F its CDF and S = 1 - F, the
 * unsampled loss is L0(x) = ln f(x + 1) / f(x), non-increasing in x. With sampling rate q (add/remove
 * adjacency; dp_accounting's supplementary "Privacy Loss Distributions" note and `AdditiveNoisePrivacyLoss`;
 * Zhu, Dong & Wang 2022, "Optimal accounting of differential privacy via characteristic function",
 * arXiv:2106.08567):
 *   remove: P = (1-q) f + q f(. + 1), Q = f, loss ln(1 - q + q e^{L0(x)});
 *           delta(eps) = q F(x+1) - (e^eps - 1 + q) F(x) at x = L0^{-1}(ln(1 + (e^eps - 1)/q)),
 *           and 1 - e^eps for eps <= ln(1 - q);
 *   add:    P = f, Q = (1-q) f + q f(. - 1), loss -ln(1 - q + q e^{-L0(x-1)});
 *           delta(eps) = (1 - e^eps (1-q)) F(y+1) - q e^eps F(y) at y = L0^{-1}(-ln(1 + (e^{-eps} - 1)/q)),
 *           and 0 for eps >= -ln(1 - q).
 * Both come from delta(eps) = P(X <= x*) - e^eps Q(X <= x*), where x* is the largest x with loss(x) >= eps
 * (the loss is monotone in x). At q = 1 both directions coincide. Where F is close to 1 the same formulas are
 * evaluated through S (F = 1 - S) to avoid cancellation.
 */
import { normalCdf, normalLogCdf, normalSf } from '../../core/index.js';
import { assertGridSize, type PldPmf, pmfFromConnectDots } from './pmf.js';

/** A noise family, in units of the sensitivity. */
export interface NoiseFamily {
  /** CDF F(x); must accept +-Infinity. */
  cdf(x: number): number;
  /** Survival function S(x) = 1 - F(x), accurate in the upper tail. */
  sf(x: number): number;
  /** The largest x with L0(x) >= t (+Infinity when every x qualifies, -Infinity when none does). */
  inverseLoss(t: number): number;
  /** The range [t_low, t_high] of L0 over the outcomes that carry all but a negligible mass. */
  lossRange(direction: Direction, sampled: boolean): readonly [number, number];
  /** A closed form of the unsampled delta(epsilon), free of the cancellation in the general formula. */
  unsampledDelta?(epsilon: number): number;
}

/** Which neighbour is in the data set: remove (P has the extra record) or add (Q has it). */
export type Direction = 'remove' | 'add';

/**
 * The standard Gaussian quantile z with Phi(z) = e^{logP} (logP < ln 0.5), by bisection on normalLogCdf;
 * accurate to ~1e-12, which only moves the truncation point of the grid (never the soundness).
 */
export function normalQuantileOfLog(logP: number): number {
  let lo = -40;
  let hi = 0;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalLogCdf(mid) < logP) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Gaussian noise with standard deviation `sigma` (sensitivity 1). L0(x) = (-2x - 1) / (2 sigma^2). The grid
 * covers the outcomes within |z| sigma of each component's centre, z = Phi^{-1}(e^{logMassTruncation} / 2)
 * (dp_accounting's `GaussianPrivacyLoss.privacy_loss_tail`): mass beyond it lands at +infinity or at the
 * lowest grid loss through connect-the-dots, so the bound stays pessimistic.
 */
export function gaussianNoise(sigma: number, logMassTruncation: number): NoiseFamily {
  const z = -normalQuantileOfLog(logMassTruncation - Math.LN2);
  const s2 = sigma * sigma;
  const centre = 1 / (2 * s2);
  return {
    cdf: (x) => normalCdf(x / sigma),
    sf: (x) => normalSf(x / sigma),
    inverseLoss: (t) => -0.5 - t * s2,
    lossRange: (direction, sampled) => {
      // remove: P has components centred at -1 (and at 0 when sampled); add: P = f centred at 0, and the
      // loss there is L0(x - 1). Either way L0 at the centre of the shifted component is 1/(2 sigma^2).
      const spread = z / sigma;
      if (direction === 'remove' && sampled) return [-centre - spread, centre + spread];
      return [centre - spread, centre + spread];
    },
  };
}

/** Laplace noise with scale `b` (sensitivity 1): L0(x) = (|x| - |x + 1|) / b, in [-1/b, 1/b]. */
export function laplaceNoise(b: number): NoiseFamily {
  const cdf = (x: number): number => (x < 0 ? 0.5 * Math.exp(x / b) : 1 - 0.5 * Math.exp(-x / b));
  return {
    cdf,
    sf: (x) => cdf(-x),
    inverseLoss: (t) => {
      if (t * b > 1) return Number.NEGATIVE_INFINITY;
      if (t * b <= -1) return Number.POSITIVE_INFINITY;
      return (-1 - t * b) / 2;
    },
    lossRange: () => [-1 / b, 1 / b],
    // delta(eps) = 1 - e^{(eps - 1/b)/2} on [-1/b, 1/b], 0 above, 1 - e^eps below (substitute
    // x = (-1 - eps b)/2 into F(x + 1) - e^eps F(x)); exactly 0 at eps = 1/b.
    unsampledDelta: (epsilon) =>
      epsilon * b >= 1 ? 0 : epsilon * b <= -1 ? -Math.expm1(epsilon) : -Math.expm1((epsilon - 1 / b) / 2),
  };
}

/** The loss of the (sampled) mechanism as a function of the unsampled loss t = L0 (monotone increasing). */
export function sampledLoss(t: number, q: number, direction: Direction): number {
  if (q === 1) return t;
  // remove: ln(1 - q + q e^t) = ln(1 + q (e^t - 1)); add: -ln(1 + q (e^{-t} - 1)).
  return direction === 'remove' ? Math.log1p(q * Math.expm1(t)) : -Math.log1p(q * Math.expm1(-t));
}

/**
 * The exact hockey-stick divergence delta(epsilon) of the (sampled) additive-noise mechanism.
 * @param noise the noise, in units of the sensitivity
 * @param q the Poisson sampling rate, in (0, 1]
 * @param direction 'remove' or 'add' (identical at q = 1)
 * @param epsilon any real number (negative values are used by connect-the-dots)
 * @returns delta in [0, 1] (NaN only if the noise functions produce it)
 */
export function additiveNoiseDelta(
  noise: NoiseFamily,
  q: number,
  direction: Direction,
  epsilon: number,
): number {
  if (q === 1 && noise.unsampledDelta !== undefined) return noise.unsampledDelta(epsilon);
  const em1 = Math.expm1(epsilon);
  let x: number;
  let a: number; // coefficient of F(x + 1)
  let c: number; // coefficient of F(x)
  if (direction === 'remove' || q === 1) {
    if (q < 1 && epsilon <= Math.log1p(-q)) return -em1;
    x = noise.inverseLoss(q === 1 ? epsilon : Math.log1p(em1 / q));
    a = q;
    c = q === 1 ? em1 + 1 : em1 + q;
  } else {
    if (epsilon >= -Math.log1p(-q)) return 0;
    x = noise.inverseLoss(-Math.log1p(Math.expm1(-epsilon) / q));
    const e = Math.exp(epsilon);
    a = q * e - em1; // 1 - e^eps (1 - q)
    c = q * e;
  }
  let delta: number;
  if (x === Number.NEGATIVE_INFINITY) delta = 0;
  else if (x === Number.POSITIVE_INFINITY) delta = -em1;
  else if (x < 0) delta = a * noise.cdf(x + 1) - c * noise.cdf(x);
  else delta = -em1 - a * noise.sf(x + 1) + c * noise.sf(x); // a - c = -(e^eps - 1) in both directions
  return Math.min(Math.max(delta, 0), 1); // NaN propagates, and the callers refuse it
}

/**
 * The grid indices [kLow, kHigh] spanning the losses at the ends of the noise's range. Any grid gives an upper
 * bound (see pmfFromConnectDots); a tolerance of 1e-9 grid steps keeps ends such as 1/b = 10000 * 1e-4 from
 * growing by one point through division round-off.
 */
function gridRange(
  noise: NoiseFamily,
  q: number,
  direction: Direction,
  interval: number,
): readonly [number, number] {
  const [tLow, tHigh] = noise.lossRange(direction, q < 1);
  const kLow = Math.floor(sampledLoss(tLow, q, direction) / interval + 1e-9);
  const kHigh = Math.ceil(sampledLoss(tHigh, q, direction) / interval - 1e-9);
  return [kLow, Math.max(kLow, kHigh)];
}

/**
 * The connect-the-dots PMF of a (sampled) additive-noise mechanism in one direction, on every grid point
 * between the losses at the ends of the noise's range (dp_accounting's
 * `_create_pld_pmf_from_monotone_privacy_loss` with `use_connect_dots=True`).
 * @param noise the noise, in units of the sensitivity
 * @param q the Poisson sampling rate, in (0, 1]
 * @param direction 'remove' or 'add' (identical at q = 1)
 * @param interval the grid step of the losses, > 0
 * @throws {UnsupportedError} VEIL_UNSUPPORTED when the grid would exceed MAX_PLD_POINTS
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when the computed deltas are not a valid privacy profile
 */
export function additiveNoisePmf(
  noise: NoiseFamily,
  q: number,
  direction: Direction,
  interval: number,
): PldPmf {
  const [kLow, kHigh] = gridRange(noise, q, direction, interval);
  assertGridSize(kHigh - kLow + 1, interval, 'the privacy-loss distribution');
  const deltas = new Float64Array(kHigh - kLow + 1);
  for (let k = kLow; k <= kHigh; k++)
    deltas[k - kLow] = additiveNoiseDelta(noise, q, direction, k * interval);
  return pmfFromConnectDots(deltas, kLow, interval);
}

/** The number of grid points {@link additiveNoisePmf} would use (NaN or Infinity if unbounded). */
export function additiveNoiseGridSize(
  noise: NoiseFamily,
  q: number,
  direction: Direction,
  interval: number,
): number {
  const [kLow, kHigh] = gridRange(noise, q, direction, interval);
  return kHigh - kLow + 1;
}
