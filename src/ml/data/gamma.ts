/**
 * Gamma and Dirichlet draws for the non-IID partitioners. Gamma(shape, 1) by Marsaglia & Tsang (2000), "A
 * simple method for generating gamma variables", ACM TOMS 26(3):363–372, with their boost for shape < 1:
 * G(a) = G(a + 1) · U^(1/a). Draws are returned as logarithms, because for a small shape U^(1/a) underflows to 0
 * (shape 0.01 gives values like e^-300); Dirichlet proportions are then normalised in log space.
 *
 * Floating point, through `rng.normal()` / `rng.uniformOpen()`: fit for simulation and data splitting, not a
 * privacy mechanism.
 */
import { assertPositive, InvalidParameterError, logSumExp, type Rng } from '../../core/index.js';

/**
 * The natural logarithm of a Gamma(shape, 1) draw.
 * @param shape the shape, a finite number > 0
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a shape that is not a finite number > 0
 * @example Math.exp(sampleLogGamma(2, seededRng(1))); // a Gamma(2, 1) draw
 */
export function sampleLogGamma(shape: number, rng: Rng): number {
  assertPositive('sampleLogGamma', 'shape', shape);
  return logGammaDraw(shape, rng);
}

/**
 * A Gamma(shape, 1) draw (mean `shape`, variance `shape`). For shapes below ~0.01 it may underflow to 0; use
 * {@link sampleLogGamma} there.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a shape that is not a finite number > 0
 */
export function sampleGamma(shape: number, rng: Rng): number {
  assertPositive('sampleGamma', 'shape', shape);
  return Math.exp(logGammaDraw(shape, rng));
}

/**
 * Proportions drawn from Dirichlet(alpha): independent Gamma(alpha_i) draws divided by their sum.
 * @param alpha concentration parameters, each a finite number > 0 (at least one)
 * @returns proportions summing to 1 (up to rounding)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty array or a bad concentration
 * @example sampleDirichlet([0.5, 0.5, 0.5], seededRng(1)); // e.g. [0.81, 0.02, 0.17]
 */
export function sampleDirichlet(alpha: ArrayLike<number>, rng: Rng): Float64Array {
  if (alpha.length < 1) {
    throw new InvalidParameterError({
      fn: 'sampleDirichlet',
      param: 'alpha',
      value: alpha,
      allowed: 'a non-empty array',
    });
  }
  for (let i = 0; i < alpha.length; i++) assertPositive('sampleDirichlet', `alpha[${i}]`, alpha[i]);
  const logs = new Float64Array(alpha.length);
  for (let i = 0; i < alpha.length; i++) logs[i] = logGammaDraw(alpha[i]!, rng);
  const total = logSumExp(logs);
  const out = new Float64Array(alpha.length);
  for (let i = 0; i < alpha.length; i++) out[i] = Math.exp(logs[i]! - total);
  return out;
}

/** Inner draw; the caller has checked the shape. */
function logGammaDraw(shape: number, rng: Rng): number {
  if (shape < 1) {
    // Marsaglia & Tsang 2000, §6: if X ~ Gamma(a + 1) and U ~ U(0, 1), X · U^(1/a) ~ Gamma(a).
    return logGammaDraw(shape + 1, rng) + Math.log(rng.uniformOpen()) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniformOpen();
    const x2 = x * x;
    // Squeeze test first (cheap), then the exact acceptance test (Marsaglia & Tsang 2000, §4).
    if (u < 1 - 0.0331 * x2 * x2) return Math.log(d * v);
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}
