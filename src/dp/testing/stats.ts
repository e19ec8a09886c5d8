/**
 * Goodness-of-fit statistics for the statistical tests of `dp` (test helpers; not exported from the index).
 *
 * - Kolmogorov–Smirnov: D_n = sup |F_n - F| and its p-value from the asymptotic Kolmogorov distribution
 *   Q(l) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 l^2), with Stephens' small-sample correction
 *   l = (sqrt(n) + 0.12 + 0.11 / sqrt(n)) D (Stephens 1970; Numerical Recipes, 3rd ed., Sec. 14.3.3).
 * - Chi-square: the survival function Q(k/2, x/2), the regularized upper incomplete gamma function, by its
 *   series (x < a + 1) or Lentz's continued fraction (Numerical Recipes, Sec. 6.2).
 */
import { logGamma } from '../../core/index.js';

/** The KS statistic D = sup_x |F_n(x) - F(x)| of samples against a continuous CDF. */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** P(D_n >= d) under the null, asymptotic Kolmogorov distribution with Stephens' correction. */
export function ksPValue(d: number, n: number): number {
  const rootN = Math.sqrt(n);
  const lambda = (rootN + 0.12 + 0.11 / rootN) * d;
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** The regularized lower incomplete gamma P(a, x), for a > 0, x >= 0. */
export function regularizedGammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** The regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), accurate in the upper tail. */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 10000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** P(X >= x) for X ~ chi-square with k degrees of freedom. */
export function chiSquareSf(x: number, k: number): number {
  return regularizedGammaQ(k / 2, x / 2);
}

/** Result of {@link chiSquareTest}. */
export interface ChiSquareResult {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
}

/**
 * Pearson's chi-square goodness-of-fit test of observed counts against expected probabilities (which sum to
 * 1 over the cells given, tails included). Adjacent cells are merged left to right until each merged cell
 * expects at least `minExpected` counts (the last cell joins its neighbour if it falls short).
 */
export function chiSquareTest(
  observed: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  minExpected = 5,
): ChiSquareResult {
  let n = 0;
  for (let i = 0; i < observed.length; i++) n += observed[i]!;
  const cellsObserved: number[] = [];
  const cellsExpected: number[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < observed.length; i++) {
    o += observed[i]!;
    e += probabilities[i]! * n;
    if (e >= minExpected) {
      cellsObserved.push(o);
      cellsExpected.push(e);
      o = 0;
      e = 0;
    }
  }
  if (e > 0 || o > 0) {
    if (cellsExpected.length === 0) {
      cellsObserved.push(o);
      cellsExpected.push(e);
    } else {
      cellsObserved[cellsObserved.length - 1]! += o;
      cellsExpected[cellsExpected.length - 1]! += e;
    }
  }
  let statistic = 0;
  for (let i = 0; i < cellsObserved.length; i++) {
    const diff = cellsObserved[i]! - cellsExpected[i]!;
    statistic += (diff * diff) / cellsExpected[i]!;
  }
  const degreesOfFreedom = cellsObserved.length - 1;
  return { statistic, degreesOfFreedom, pValue: chiSquareSf(statistic, degreesOfFreedom) };
}

/**
 * Counts integer samples into cells [-range, range] plus two tail cells (< -range and > range):
 * index 0 is the lower tail, 1..2 range + 1 the integers, the last the upper tail.
 */
export function integerHistogram(samples: ArrayLike<number>, range: number): Float64Array {
  const counts = new Float64Array(2 * range + 3);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]!;
    counts[x < -range ? 0 : x > range ? 2 * range + 2 : x + range + 1]++;
  }
  return counts;
}

/** The cell probabilities matching {@link integerHistogram} for an integer pmf (tails by complement). */
export function integerCellProbabilities(pmf: (x: number) => number, range: number): Float64Array {
  const cells = new Float64Array(2 * range + 3);
  let inside = 0;
  for (let x = -range; x <= range; x++) {
    cells[x + range + 1] = pmf(x);
    inside += cells[x + range + 1]!;
  }
  const tail = Math.max(0, 1 - inside) / 2; // symmetric pmfs only
  cells[0] = tail;
  cells[2 * range + 2] = tail;
  return cells;
}

/** The exact discrete Gaussian pmf, normalised over a range wide enough that the rest is below 1e-300. */
export function discreteGaussianPmf(sigma: number): (x: number) => number {
  const limit = Math.ceil(40 * sigma) + 10;
  let z = 0;
  for (let x = -limit; x <= limit; x++) z += Math.exp((-x * x) / (2 * sigma * sigma));
  return (x) => Math.exp((-x * x) / (2 * sigma * sigma)) / z;
}

/** The discrete Laplace pmf tanh(1/(2b)) exp(-|x|/b). */
export function discreteLaplacePmf(scale: number): (x: number) => number {
  const c = Math.tanh(1 / (2 * scale));
  return (x) => c * Math.exp(-Math.abs(x) / scale);
}

/** Two-sided critical |z| for a normal test at alpha = 1e-4. */
export const Z_CRITICAL_1E4 = 3.890591886;
