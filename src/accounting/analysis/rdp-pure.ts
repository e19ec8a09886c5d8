/**
 * Rényi DP of mechanisms known by a pure or approximate DP guarantee, and of the Laplace mechanism.
 */

/**
 * The RDP at `order` of randomized response with parameter epsilon, which bounds the RDP of EVERY
 * epsilon-DP mechanism: any epsilon-DP pair of output distributions is a post-processing of randomized
 * response (Kairouz, Oh & Viswanath 2015, Thm. 2.4), and Rényi divergence obeys data processing.
 * D_alpha = (alpha eps + log(1 + e^{eps (1 - 2 alpha)}) - log(1 + e^eps)) / (alpha - 1), and never above eps.
 */
export function rdpPureDp(epsilon: number, order: number): number {
  if (order === Number.POSITIVE_INFINITY) return epsilon;
  const a = order;
  const value = (epsilon * a + softplus(epsilon * (1 - 2 * a)) - softplus(epsilon)) / (a - 1);
  return Math.min(Math.max(0, value), epsilon);
}

/** log(1 + e^x), stable. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * The RDP at `order` > 1 of the Laplace mechanism with epsilon = sensitivity / scale (Mironov 2017,
 * "Rényi Differential Privacy", arXiv:1702.07476, Prop. 6; exact):
 * eps + log(1 + (alpha - 1)(e^{(1 - 2 alpha) eps} - 1) / (2 alpha - 1)) / (alpha - 1).
 * For 1 < alpha < 1.1 a series of log1p keeps it accurate (the division by alpha - 1 amplifies round-off).
 */
export function rdpLaplace(epsilon: number, order: number): number {
  if (order === Number.POSITIVE_INFINITY) return epsilon;
  const a = order;
  const c = Math.expm1(epsilon * (1 - 2 * a)) / (2 * a - 1);
  if (a < 1.1) {
    // log(1 + c x) / x = c * sum_{k >= 1} (-c x)^(k-1) / k, with x = alpha - 1 and |c x| <= 0.1.
    const v = -c * (a - 1);
    let sum = 0;
    let power = 1;
    for (let k = 1; k < 60; k++) {
      sum += power / k;
      power *= v;
    }
    return Math.min(epsilon, Math.max(0, epsilon + c * sum));
  }
  return Math.min(epsilon, Math.max(0, epsilon + Math.log1p((a - 1) * c) / (a - 1)));
}
