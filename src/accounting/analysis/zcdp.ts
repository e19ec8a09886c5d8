/**
 * Zero-concentrated DP (Bun & Steinke 2016, arXiv:1605.02065): rho-zCDP means D_alpha <= rho * alpha for all
 * alpha > 1. Conversion to (epsilon, delta) minimises the tight RDP conversion (Canonne, Kamath & Steinke 2020,
 * Prop. 12) over the continuum of orders, which is never worse than Bun & Steinke's rho + 2 sqrt(rho log(1/delta)).
 */

/** epsilon(alpha) = alpha rho + log(1 - 1/alpha) - (log delta + log alpha) / (alpha - 1); valid for every alpha > 1. */
function epsilonAtOrder(rho: number, logDelta: number, alpha: number): number {
  return alpha * rho + Math.log1p(-1 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1);
}

/**
 * The smallest epsilon certified for a rho-zCDP mechanism at delta. Every evaluated order gives a valid bound,
 * so the search can only err towards a larger (safe) epsilon.
 */
export function zcdpToEpsilon(rho: number, delta: number): number {
  if (rho === 0) return 0;
  if (rho === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const logDelta = Math.log(delta);
  // Bun & Steinke's bound, as a ceiling and a starting point: alpha* ~ 1 + sqrt(log(1/delta) / rho).
  let best = rho + 2 * Math.sqrt(rho * -logDelta);
  // Golden-section search on log(alpha - 1) over a wide bracket (the objective is unimodal in practice).
  let lo = Math.log(1e-6);
  let hi = Math.log(1e8);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = epsilonAtOrder(rho, logDelta, 1 + Math.exp(x1));
  let f2 = epsilonAtOrder(rho, logDelta, 1 + Math.exp(x2));
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = epsilonAtOrder(rho, logDelta, 1 + Math.exp(x1));
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = epsilonAtOrder(rho, logDelta, 1 + Math.exp(x2));
    }
    if (Number.isFinite(f1) && f1 < best) best = f1;
    if (Number.isFinite(f2) && f2 < best) best = f2;
  }
  return Math.max(0, best);
}

/** The smallest delta certified for a rho-zCDP mechanism at epsilon (CKS20 Prop. 12 minimised over alpha). */
export function zcdpToDelta(rho: number, epsilon: number): number {
  if (rho === 0) return 0;
  if (rho === Number.POSITIVE_INFINITY) return 1;
  const logDeltaAt = (alpha: number) =>
    (alpha - 1) * (alpha * rho - epsilon + Math.log1p(-1 / alpha)) - Math.log(alpha);
  // Minimise over alpha > 1; the minimiser is near (epsilon + rho) / (2 rho) (+1); search widely.
  let best = Number.POSITIVE_INFINITY;
  let lo = Math.log(1e-6);
  let hi = Math.log(1e8);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = logDeltaAt(1 + Math.exp(x1));
  let f2 = logDeltaAt(1 + Math.exp(x2));
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = logDeltaAt(1 + Math.exp(x1));
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = logDeltaAt(1 + Math.exp(x2));
    }
    best = Math.min(best, f1, f2);
  }
  return Math.min(1, Math.exp(best));
}
