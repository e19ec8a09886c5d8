/**
 * Approximations of smooth functions on secret-shared fixed-point values: the logistic sigmoid and the
 * reciprocal. Security as for {@link ArithParty}: semi-honest, two parties, each sees only openings masked by
 * fresh triples; the approximation (its interval, degree, iteration count) is public.
 */
import { InvalidParameterError } from '../../core/index.js';
import { relu } from './compare.js';
import { maxEncodable } from './fixed-point.js';
import type { ArithParty } from './party.js';
import type { RingShares } from './ring.js';

/** How {@link sigmoid} approximates 1 / (1 + e^-x). */
export type SigmoidApproximation =
  /** clip(x / 4 + 1/2, 0, 1): two comparisons; max error 0.1193 (at x = +-2) over all reals. */
  | { readonly kind: 'hard' }
  /** An odd degree-5 least-squares polynomial on [-5, 5]: 3 products; max error 0.0148 on [-5, 5], none outside. */
  | { readonly kind: 'polynomial' };

/** Max |sigmoid approximation - logistic| of each kind on its stated range, fixed-point error included. */
export const SIGMOID_MAX_ERROR = { hard: 0.1193, polynomial: 0.0148 } as const;

// Least-squares fit of sigmoid(x) - 1/2 by c1 x + c3 x^3 + c5 x^5 on Chebyshev nodes of [-5, 5], rewritten in
// w = (x/5)^2 so that every public coefficient is near 0.1 and its encoding error (1/2 ulp) stays tiny.
const C1 = 0.22575194640901414;
const C3W = -0.2384688651021814; // c3 * 25
const C5W = 0.1130174849621515; // c5 * 625

/**
 * A sigmoid approximation on shares: `{ kind: 'hard' }` (default), clip(x/4 + 1/2, 0, 1), within 0.1193 of the
 * logistic function for every x (0.1192 from the approximation at x = +-2, under 2 ulp from fixed point), or
 * `{ kind: 'polynomial' }`, within 0.0148 of it for |x| <= 5 (0.01469 from the fit, the rest fixed point) and
 * unbounded outside [-5, 5].
 * @param party - this party's session (with a triple source; the hard kind needs bit triples)
 * @param x - shares
 * @param approximation - which approximation (default `{ kind: 'hard' }`)
 * @returns shares of the approximated sigmoid
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an unknown kind or without a suitable source
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
 */
export async function sigmoid(
  party: ArithParty,
  x: RingShares,
  approximation: SigmoidApproximation = { kind: 'hard' },
): Promise<RingShares> {
  switch (approximation?.kind) {
    case 'hard': {
      // t = x/4 + 1/2 (truncation by 2 bits); clip(t, 0, 1) = relu(t) - relu(t - 1), both in one batch
      const t = party.addPublic(party.truncate(x, 2), 0.5);
      const n = t.length;
      const both = new BigUint64Array(2 * n);
      both.set(t);
      both.set(party.addPublic(t, -1), n);
      const r = await relu(party, both);
      return party.sub(r.subarray(0, n), r.subarray(n));
    }
    case 'polynomial': {
      const xs = party.mulPublic(x, 0.2);
      const w = await party.mul(xs, xs);
      const inner = party.addPublic(party.mulPublic(w, C5W), C3W);
      const v = party.addPublic(await party.mul(w, inner), C1);
      return party.addPublic(await party.mul(x, v), 0.5);
    }
    default:
      throw new InvalidParameterError({
        fn: 'sigmoid',
        param: 'approximation',
        value: approximation,
        allowed: "{ kind: 'hard' } or { kind: 'polynomial' }",
      });
  }
}

/** Options of {@link reciprocal}: the public range the inputs are promised to lie in. */
export interface ReciprocalOptions {
  /** Smallest input, > 0 (default 1). */
  readonly lower?: number;
  /** Largest input, > lower and below 2^(31 - fracBits) (default 100). */
  readonly upper?: number;
}

/**
 * The number of Newton iterations {@link reciprocal} runs for a range: from the public start y0 = 2 / (lower +
 * upper) the relative error |1 - x y| <= e0 = (upper - lower) / (upper + lower) squares each iteration; run
 * until e0^(2^k) <= 2^-(f+2), plus one iteration to absorb rounding.
 * @param lower - smallest input, > 0
 * @param upper - largest input, > lower
 * @param fracBits - fractional bits f
 * @returns the iteration count
 */
export function reciprocalIterations(lower: number, upper: number, fracBits: number): number {
  const e0 = (upper - lower) / (upper + lower);
  if (e0 === 0) return 1;
  const k = Math.ceil(Math.log2((-(fracBits + 2) * Math.LN2) / Math.log(e0)));
  return Math.max(0, k) + 1;
}

/**
 * Shares of 1/x for x promised in [lower, upper] (default [1, 100]) by Newton-Raphson, y <- y (2 - x y), from
 * the public start y0 = 2 / (lower + upper) (the first iteration is local). Error: at most (2 + 2/x) ulp from
 * 1/x for the encoded x in the range (4 ulp = 2^-14 on [1, 100] at f = 16): each iteration's two truncations
 * leave about (1 + 1/x) ulp, which Newton's step does not remove. Encoding x itself (1/2 ulp) moves 1/x by a
 * further 1/(2 x^2) ulp. For x outside the range the result is meaningless (no check: x is secret).
 * Cost: 2 Beaver products per iteration after the first ({@link reciprocalIterations}: 11 for [1, 100], so
 * 20 rounds).
 * Each truncated product is below 2 in magnitude, so each fails with probability at most 2^(2f+2-64).
 * @param party - this party's session (with a triple source)
 * @param x - shares of values in [lower, upper]
 * @param options - `lower` and `upper`
 * @returns shares of 1/x
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad range or without a triple source
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
 */
export async function reciprocal(
  party: ArithParty,
  x: RingShares,
  options: ReciprocalOptions = {},
): Promise<RingShares> {
  const fn = 'reciprocal';
  const lower = options.lower ?? 1;
  const upper = options.upper ?? 100;
  const limit = maxEncodable(party.fracBits);
  if (!(Number.isFinite(lower) && lower > 0 && lower < limit)) {
    throw new InvalidParameterError({
      fn,
      param: 'options.lower',
      value: lower,
      allowed: `a number in (0, ${limit})`,
    });
  }
  if (!(Number.isFinite(upper) && upper > lower && upper < limit)) {
    throw new InvalidParameterError({
      fn,
      param: 'options.upper',
      value: upper,
      allowed: `a number in (${lower}, ${limit})`,
    });
  }
  const y0 = 2 / (lower + upper);
  // first iteration with the public y0: y1 = y0 (2 - x y0), no communication
  let y = party.mulPublic(party.addPublic(party.mulPublic(x, -y0), 2), y0);
  const iterations = reciprocalIterations(lower, upper, party.fracBits);
  for (let i = 1; i < iterations; i++) {
    const xy = await party.mul(x, y);
    const twoMinus = party.addPublic(party.sub(new BigUint64Array(xy.length), xy), 2);
    y = await party.mul(y, twoMinus);
  }
  return y;
}
