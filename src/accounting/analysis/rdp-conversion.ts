/**
 * From Rényi DP curves to (epsilon, delta).
 *
 * For each order alpha > 1 with RDP value r, the mechanism is (eps, delta)-DP with
 *   eps = r + log((alpha - 1) / alpha) - (log delta + log alpha) / (alpha - 1)
 * (Canonne, Kamath & Steinke 2020, arXiv:2004.00010, Prop. 12; also Asoodeh et al. 2020, arXiv:2001.05990,
 * Eq. 20). This is tighter than Mironov 2017's eps = r + log(1/delta) / (alpha - 1), which TensorFlow Privacy's
 * older tutorials used. We also use the KL bound delta <= sqrt(1 - e^{-r}) (total variation vs KL; the RDP at
 * any order >= 1 bounds the KL divergence), which gives eps = 0 when that delta already meets the target.
 * As in dp_accounting, orders <= 1.01 are not used for the main bound (numerically unstable, never optimal).
 */
import { NumericError } from '../../core/index.js';

/** The best epsilon over the given orders and the order that achieved it. */
export interface EpsilonAtOrder {
  readonly epsilon: number;
  readonly order: number;
}

/** The best delta over the given orders and the order that achieved it. */
export interface DeltaAtOrder {
  readonly delta: number;
  readonly order: number;
}

/**
 * The smallest epsilon the RDP curve certifies at `delta`. Infinity if no order gives a finite bound.
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if an RDP value is NaN or negative beyond round-off.
 */
export function rdpToEpsilon(
  orders: ArrayLike<number>,
  rdp: ArrayLike<number>,
  delta: number,
): EpsilonAtOrder {
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = orders[0] ?? Number.NaN;
  const logDelta = Math.log(delta);
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    const r = checkedRdp(rdp[i]!, a);
    let eps: number;
    if (delta * delta + Math.expm1(-r) > 0) eps = 0;
    else if (a > 1.01 && Number.isFinite(r))
      eps = r + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
    else eps = Number.POSITIVE_INFINITY;
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/** The smallest delta the RDP curve certifies at `epsilon` (at most 1). */
export function rdpToDelta(orders: ArrayLike<number>, rdp: ArrayLike<number>, epsilon: number): DeltaAtOrder {
  let bestLog = Number.POSITIVE_INFINITY;
  let bestOrder = orders[0] ?? Number.NaN;
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    const r = checkedRdp(rdp[i]!, a);
    let logDelta = r === 0 ? Number.NEGATIVE_INFINITY : 0.5 * Math.log1p(-Math.exp(-r)); // KL bound
    if (a > 1.01 && Number.isFinite(r)) {
      const bound = (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a);
      if (bound < logDelta) logDelta = bound;
    }
    if (logDelta < bestLog) {
      bestLog = logDelta;
      bestOrder = a;
    }
  }
  return { delta: Math.min(1, Math.exp(bestLog)), order: bestOrder };
}

function checkedRdp(r: number, order: number): number {
  if (Number.isNaN(r)) throw new NumericError('RDP value is NaN', { order });
  if (r < -1e-12) throw new NumericError(`RDP value is negative (${r}) at order ${order}`, { order, rdp: r });
  return Math.max(0, r);
}
