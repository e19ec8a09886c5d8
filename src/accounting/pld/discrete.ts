/**
 * PLDs with finitely many (or a few families of) loss values, discretised by rounding each loss up to the
 * grid ("privacy buckets", pessimistic): (epsilon, delta)-DP mechanisms through randomized response, and the
 * discrete Laplace and discrete Gaussian mechanisms on integer queries (one dimension).
 *
 * All three are symmetric under add/remove adjacency (the noise is symmetric and unsampled), so one PMF
 * serves both directions.
 */
import { UnsupportedError } from '../../core/index.js';
import { ceilIndex, type LossAtom, type PldPmf, pmfFromAtoms } from './pmf.js';

/** Largest number of atoms an exact discrete PLD may enumerate before Veil refuses. */
export const MAX_DISCRETE_ATOMS = 1 << 22;

/**
 * The PLD dominating every (epsilon, delta)-DP mechanism: loss +infinity with mass delta, +epsilon with
 * mass (1 - delta) / (1 + e^{-epsilon}), -epsilon with mass (1 - delta) / (1 + e^{epsilon}): randomized
 * response with an extra delta (Kairouz, Oh & Viswanath 2015, "The composition theorem for differential
 * privacy", ICML; dp_accounting's `from_privacy_parameters` and its supplementary note, Section 3.5).
 */
export function approxDpPmf(epsilon: number, delta: number, interval: number): PldPmf {
  const atoms: LossAtom[] = [
    { loss: epsilon, mass: (1 - delta) / (1 + Math.exp(-epsilon)) },
    { loss: -epsilon, mass: (1 - delta) / (1 + Math.exp(epsilon)) },
  ];
  return pmfFromAtoms(atoms, delta, interval);
}

/**
 * The sensitivity of an integer-valued query as an integer: differences of integer outputs are integers, so
 * a sensitivity s allows shifts up to floor(s); Veil rounds up instead (ceil(s - 1e-9), at least 1), which can
 * only overstate the loss, and tolerates round-off such as 2.9999999999 meaning 3.
 */
export function integerSensitivity(sensitivity: number): number {
  return Math.max(1, Math.ceil(sensitivity - 1e-9));
}

/**
 * The exact PLD of the discrete Laplace mechanism, P(x) proportional to e^{-a|x|} with a = 1/scale, on an
 * integer query of sensitivity k (dp_accounting's `DiscreteLaplacePrivacyLoss`; the noise is the two-sided
 * geometric distribution of Ghosh, Roughgarden & Sundararajan 2009). With y drawn from P the loss is
 * a(|y - k| - |y|):
 *   a k with mass P(Y <= 0) = 1 / (1 + e^{-a});  -a k with mass P(Y >= k) = e^{-ak} / (1 + e^{-a});
 *   a (k - 2y) with mass tanh(a/2) e^{-a y} for 0 < y < k.
 * Sensitivities above 4096 sum the interior atoms per grid bucket in closed form (any size works).
 */
export function discreteLaplacePmf(scale: number, sensitivity: number, interval: number): PldPmf {
  const a = 1 / scale;
  const k = integerSensitivity(sensitivity);
  const inverseNorm = 1 / (1 + Math.exp(-a));
  const p0 = Math.tanh(a / 2);
  const atoms: LossAtom[] = [
    { loss: a * k, mass: inverseNorm },
    { loss: -a * k, mass: Math.exp(-a * k) * inverseNorm },
  ];
  if (k <= BUCKETED_ABOVE) {
    for (let y = 1; y < k; y++) atoms.push({ loss: a * (k - 2 * y), mass: p0 * Math.exp(-a * y) });
    return pmfFromAtoms(atoms, 0, interval);
  }
  atoms.push(...bucketedInteriorAtoms(a, k, p0, interval));
  return pmfFromAtoms(atoms, 0, interval);
}

/** Above this sensitivity the interior atoms of the discrete Laplace PLD are summed per grid bucket. */
const BUCKETED_ABOVE = 4096;

/**
 * The interior atoms a(k - 2y), 0 < y < k, of the discrete Laplace PLD, summed per grid bucket in closed form
 * (a geometric series), for sensitivities too large to enumerate (e.g. a bounded sum on a fine fixed-point
 * grid). The loss falls as y grows; each y goes to the bucket `ceilIndex` gives its own loss (the same
 * pessimistic rounding as `pmfFromAtoms`), found by stepping the bucket boundaries, so the result equals the
 * enumeration up to floating-point summation. Each atom is placed at its bucket's upper edge.
 */
function bucketedInteriorAtoms(a: number, k: number, p0: number, interval: number): LossAtom[] {
  const loss = (y: number) => a * (k - 2 * y);
  const bucketOf = (y: number) => ceilIndex(loss(y), interval);
  const oneMinusR = -Math.expm1(-a); // 1 - e^{-a}
  const atoms: LossAtom[] = [];
  let y = 1;
  while (y < k) {
    const j = bucketOf(y);
    // Largest y' >= y still in bucket j: estimate from loss > (j - 1) * interval, then correct by stepping.
    let end = Math.min(k - 1, Math.max(y, Math.ceil((a * k - (j - 1) * interval) / (2 * a)) - 1));
    while (end > y && bucketOf(end) !== j) end--;
    while (end + 1 < k && bucketOf(end + 1) === j) end++;
    // sum_{t = y}^{end} p0 e^{-a t} = p0 e^{-a y} (1 - e^{-a (end - y + 1)}) / (1 - e^{-a})
    const mass = (p0 * Math.exp(-a * y) * -Math.expm1(-a * (end - y + 1))) / oneMinusR;
    atoms.push({ loss: j * interval, mass });
    y = end + 1;
  }
  return atoms;
}

/**
 * log sum_{n in Z} e^{-n^2 / (2 sigma^2)}: by direct summation for sigma < 2, else by the Jacobi identity
 * sum_n e^{-n^2/(2 s^2)} = s sqrt(2 pi) sum_k e^{-2 pi^2 s^2 k^2} (Poisson summation), whose k != 0 terms are
 * below e^{-78} for sigma >= 2 (see Canonne, Kamath & Steinke 2020, arXiv:2004.00010).
 */
function logDiscreteGaussianNorm(sigma: number): number {
  if (sigma >= 2) {
    const correction = 2 * Math.exp(-2 * Math.PI * Math.PI * sigma * sigma);
    return Math.log(sigma) + 0.5 * Math.log(2 * Math.PI) + Math.log1p(correction);
  }
  let sum = 1;
  for (let n = 1; n < 100; n++) sum += 2 * Math.exp(-(n * n) / (2 * sigma * sigma));
  return Math.log(sum);
}

/**
 * The exact PLD of the one-dimensional discrete Gaussian mechanism N_Z(0, sigma^2) on an integer query of
 * sensitivity k (Canonne, Kamath & Steinke 2020, arXiv:2004.00010). With y ~ N_Z(0, sigma^2) the loss is
 * (k^2 - 2 k y) / (2 sigma^2) and the normaliser cancels in it, so the loss values are exact (dp_accounting
 * instead truncates the noise to |y| <= 11.6 sigma and renormalises). Outcomes with |y| > T, T chosen so that
 * each tail is below e^{logMassTruncation} / 2, are handled pessimistically: y > T (smaller losses) is moved
 * up to the loss at T, y < -T goes to +infinity, each with the geometric tail bound
 *   sum_{y > T} e^{-y^2/(2 s^2)} <= e^{-(T+1)^2/(2 s^2)} / (1 - e^{-(T+1)/s^2}).
 * @throws {UnsupportedError} VEIL_UNSUPPORTED when 2T + 1 exceeds {@link MAX_DISCRETE_ATOMS}.
 */
export function discreteGaussianPmf(
  sigma: number,
  sensitivity: number,
  interval: number,
  logMassTruncation: number,
): PldPmf {
  const k = integerSensitivity(sensitivity);
  const s2 = sigma * sigma;
  // T^2 / (2 sigma^2) >= -logMassTruncation + ln 2 + 1 puts each tail bound below e^{logMassTruncation} / 2.
  const t = Math.ceil(Math.sqrt(2 * s2 * (-logMassTruncation + Math.LN2 + 1)));
  if (2 * t + 1 > MAX_DISCRETE_ATOMS) {
    throw new UnsupportedError(
      `PldAccountant: a discrete Gaussian with sigma ${sigma} needs more than ${MAX_DISCRETE_ATOMS} atoms; ` +
        'use the RDP accountant',
      { sigma, limit: MAX_DISCRETE_ATOMS },
    );
  }
  const logNorm = logDiscreteGaussianNorm(sigma);
  const loss = (y: number): number => (k * k - 2 * k * y) / (2 * s2);
  const atoms: LossAtom[] = [];
  for (let y = -t; y <= t; y++) atoms.push({ loss: loss(y), mass: Math.exp(-(y * y) / (2 * s2) - logNorm) });
  const tailExponent = -((t + 1) * (t + 1)) / (2 * s2) - logNorm;
  const tail = Math.exp(tailExponent) / -Math.expm1(-(t + 1) / s2);
  atoms.push({ loss: loss(t), mass: tail });
  return pmfFromAtoms(atoms, Math.min(1, tail), interval);
}
