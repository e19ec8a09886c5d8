/**
 * Exact Bernoulli draws of the form Bernoulli(exp(-gamma)) that the discrete samplers need on their hot path,
 * without BigInt (internal kernels: they validate nothing).
 *
 * All follow Canonne, Kamath & Steinke 2020 ("The Discrete Gaussian for Differential Privacy",
 * arXiv:2004.00010), Algorithm 1: for 0 <= gamma <= 1, draw A_k ~ Bernoulli(gamma / k) for k = 1, 2, ...
 * until the first A_K = 0, and return 1 iff K is odd; for gamma > 1, multiply floor(gamma) independent
 * Bernoulli(exp(-1)) draws with one Bernoulli(exp(-frac(gamma))). The fast step used everywhere here is
 * Bernoulli(p / k) = Bernoulli(1/k) AND Bernoulli(p) (independent draws), which keeps every integer below
 * 2^53 even when p's denominator is large: `rng.uniformInt(k) === 0` is an exact Bernoulli(1/k).
 */
import type { Rng } from '../../core/index.js';

/** 2^-53 exactly. */
const TWO_POW_MINUS_53 = 1.1102230246251565e-16;
/** 2^53 exactly (as a number). */
const TWO_POW_53 = 9007199254740992;
/** 2^53 exactly (as a bigint). */
const TWO_POW_53_BIG = 9007199254740992n;

/** Bernoulli(exp(-1)): CKS20 Alg. 1 with gamma = 1 (A_1 = 1 always, so the count starts at k = 2). */
export function bernoulliExpMinusOne(rng: Rng): boolean {
  let k = 2;
  while (rng.uniformInt(k) === 0) k++;
  return (k & 1) === 1;
}

/**
 * Bernoulli(exp(-num/den)) for integers 0 <= num <= den, 1 <= den <= 2^53 (CKS20 Alg. 1, gamma <= 1).
 * Bernoulli(num/den) is `rng.uniformInt(den) < num`, exact.
 */
export function bernoulliExpFraction(rng: Rng, num: number, den: number): boolean {
  if (num === 0) return true;
  if (rng.uniformInt(den) >= num) return true; // A_1 = 0: K = 1 is odd
  let k = 2;
  while (rng.uniformInt(k) === 0 && rng.uniformInt(den) < num) k++;
  return (k & 1) === 1;
}

/**
 * Bernoulli(exp(-gamma)) for a finite double gamma >= 0, exactly for gamma's exact binary value:
 * floor(gamma) and frac(gamma) are exact in doubles and `rng.bernoulli(frac)` is an exact Bernoulli of a
 * double (it compares random bits with frac's binary expansion).
 */
export function bernoulliExpOfDouble(rng: Rng, gamma: number): boolean {
  const whole = Math.floor(gamma);
  const frac = gamma - whole; // exact: Sterbenz for gamma >= 1, trivial below
  for (let i = 0; i < whole; i++) if (!bernoulliExpMinusOne(rng)) return false;
  if (frac === 0) return true;
  if (!rng.bernoulli(frac)) return true;
  let k = 2;
  while (rng.uniformInt(k) === 0 && rng.bernoulli(frac)) k++;
  return (k & 1) === 1;
}

/**
 * An exact Bernoulli(p) for a rational p = num/den known to lie in the double interval [lo, hi].
 *
 * A uniform U in [0, 1) is drawn as u = a / 2^53 (53 random bits) plus unseen lower bits. If the whole cell
 * [u, u + 2^-53) lies below lo, then U < p surely; if u >= hi, then U >= p surely. Otherwise (probability at
 * most hi - lo + 2^-53) the comparison continues exactly: U < p iff U' < (num * 2^53 - a * den) / den for
 * the remaining bits U', itself an exact rational Bernoulli. `exactP` is called only in that rare case.
 */
export function bernoulliBracketed(
  rng: Rng,
  lo: number,
  hi: number,
  exactP: () => { readonly num: bigint; readonly den: bigint },
): boolean {
  const u = rng.uniform(); // a / 2^53, a uniform in [0, 2^53)
  if (u + TWO_POW_MINUS_53 <= lo) return true;
  if (u >= hi) return false;
  const p = exactP();
  const a = BigInt(u * TWO_POW_53);
  const rest = p.num * TWO_POW_53_BIG - a * p.den;
  if (rest <= 0n) return false;
  if (rest >= p.den) return true;
  return rng.bernoulliRational(rest, p.den);
}

/**
 * A uniform double in [0, 1) with full precision: the exponent is geometric (one per leading zero bit of an
 * infinite random bit string) and the 52-bit mantissa is fresh, so each double x in [0, 1) is returned with
 * probability equal to the length of [x, next double). Unlike `rng.uniform()` (a multiple of 2^-53), it
 * resolves probabilities far below 2^-53 near 0, which the log-weight sampler needs.
 */
export function uniformFullPrecision(rng: Rng): number {
  let scale = 0.5; // the result lies in [scale, 2 * scale)
  for (;;) {
    const w = rng.nextUint32();
    if (w !== 0) {
      const zeros = Math.clz32(w);
      for (let i = 0; i < zeros; i++) scale *= 0.5;
      break;
    }
    for (let i = 0; i < 32; i++) scale *= 0.5;
    if (scale < 1e-300) return 0; // probability below 2^-990
  }
  const hi = rng.nextUint32() >>> 12; // 20 bits
  const lo = rng.nextUint32(); // 32 bits
  const mantissa = hi * 4294967296 + lo; // 52 bits, exact
  return scale * (1 + mantissa * Number.EPSILON); // (2^52 + m) * 2^-52 * scale: exact
}
