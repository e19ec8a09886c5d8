/**
 * The discretised privacy-loss distribution (PLD) of one adjacency direction: probability masses on the grid
 * of losses `index * interval`, plus a mass at +infinity. Builders (privacy buckets, connect-the-dots) and the
 * two queries, delta(epsilon) (the hockey-stick divergence) and epsilon(delta).
 *
 * A PLD of a pair (P, Q) is the law of L = ln(P(o)/Q(o)) for o ~ P. The pair is (epsilon, delta)-close, i.e.
 * sup_S P(S) - e^epsilon Q(S) <= delta, iff delta >= E[(1 - e^{epsilon - L})_+] (Sommer, Meiser & Mohammadi
 * 2019, "Privacy Loss Classes", PoPETs 2019(2); Koskela, Jälkö & Honkela 2020, arXiv:1906.03049). Every
 * builder here is pessimistic: its delta(epsilon) upper-bounds the true one at every epsilon, and so does every
 * composition of such PMFs (Meiser & Mohammadi 2018, "Tight on Budget?", CCS; Doroshenko, Ghazi, Kamath,
 * Kumar & Manurangsi 2022, arXiv:2207.04380).
 */
import { invariant, NumericError, UnsupportedError } from '../../core/index.js';

/**
 * The most grid points one PMF may hold (2^23, 64 MiB of masses): beyond it Veil refuses rather than exhaust
 * memory. Raise `valueDiscretizationInterval` to fit, or use the RDP accountant.
 */
export const MAX_PLD_POINTS = 2 ** 23;

/** @throws {UnsupportedError} VEIL_UNSUPPORTED when a PMF would need more than {@link MAX_PLD_POINTS} points. */
export function assertGridSize(points: number, interval: number, what: string): void {
  if (!(points <= MAX_PLD_POINTS)) {
    throw new UnsupportedError(
      `PldAccountant: ${what} spans ${points} grid points at valueDiscretizationInterval ${interval}, more than ` +
        `${MAX_PLD_POINTS}; use a larger valueDiscretizationInterval or the RDP accountant`,
      { points, interval, limit: MAX_PLD_POINTS },
    );
  }
}

/** The PLD of one adjacency direction on the grid `(lowerIndex + i) * interval`, with a mass at +infinity. */
export interface PldPmf {
  /** The grid step of the losses (the value discretisation interval), > 0. */
  readonly interval: number;
  /** The grid index of `probs[0]`: its loss is `lowerIndex * interval`. A safe integer. */
  readonly lowerIndex: number;
  /** Non-negative masses; the last entry is > 0 unless the PMF is empty of finite mass. */
  readonly probs: Float64Array;
  /** The mass of an infinite privacy loss (outcomes possible under P only, and pessimistic truncation). */
  readonly infinityMass: number;
}

/** A finite privacy loss and its mass, before discretisation. */
export interface LossAtom {
  readonly loss: number;
  readonly mass: number;
}

/** The PLD of a mechanism that reveals nothing: all mass at loss 0. */
export function identityPmf(interval: number): PldPmf {
  return { interval, lowerIndex: 0, probs: Float64Array.of(1), infinityMass: 0 };
}

/**
 * The grid index of a loss rounded up: the smallest k with k * interval >= loss, as the product is computed
 * in floating point (so that the represented loss is never below the computed one). A loss within a few ulps
 * above a grid point counts as on it: the loss itself carries that much round-off (0.4 * 3 is
 * 1.2000000000000002), and stepping a whole grid interval up for it would only add noise.
 */
export function ceilIndex(loss: number, interval: number): number {
  let k = Math.ceil(loss / interval);
  const slack = 4 * Number.EPSILON * Math.abs(loss);
  while ((k - 1) * interval >= loss - slack) k -= 1;
  while (k * interval < loss - slack) k += 1;
  return k;
}

/**
 * A PMF from finite loss atoms by pessimistic rounding: each loss is rounded up to the grid (the "privacy
 * buckets" of Meiser & Mohammadi 2018; dp_accounting's `from_two_probability_mass_functions`). Raising a loss
 * can only raise delta(epsilon) = E[(1 - e^{epsilon - L})_+] at every epsilon.
 */
export function pmfFromAtoms(atoms: readonly LossAtom[], infinityMass: number, interval: number): PldPmf {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const indices = atoms.map((a) => ceilIndex(a.loss, interval));
  atoms.forEach((a, i) => {
    if (a.mass > 0) {
      lo = Math.min(lo, indices[i]!);
      hi = Math.max(hi, indices[i]!);
    }
  });
  if (lo > hi) return { interval, lowerIndex: 0, probs: Float64Array.of(0), infinityMass };
  assertGridSize(hi - lo + 1, interval, 'the privacy-loss distribution');
  const probs = new Float64Array(hi - lo + 1);
  atoms.forEach((a, i) => {
    if (a.mass > 0) probs[indices[i]! - lo]! += a.mass;
  });
  return { interval, lowerIndex: lo, probs, infinityMass };
}

/**
 * The pessimistic connect-the-dots PMF on the contiguous grid `lowerIndex .. lowerIndex + deltas.length - 1`
 * from the exact hockey-stick divergences `deltas[i] = delta(epsilon_i)` of the mechanism at those grid points
 * (Doroshenko, Ghazi, Kamath, Kumar & Manurangsi 2022, "Connect the Dots", arXiv:2207.04380, Algorithm 1, in
 * the fixed-gap form of dp_accounting's `create_pmf_pessimistic_connect_dots_fixed_gap`). With d the gap:
 *   p_1 = 1 - delta_1 + (delta_2 - delta_1) / (e^d - 1),
 *   p_i = ((delta_{i+1} - delta_i) - e^d (delta_i - delta_{i-1})) / (e^d - 1),  1 < i < n,
 *   p_n = (delta_n - delta_{n-1}) / (e^{-d} - 1),     mass at +infinity = delta_n.
 * Its delta curve interpolates the true one at the grid points and lies above it in between and outside
 * (the true curve is convex in e^epsilon), so it is an upper bound for any grid.
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if the deltas are not a non-increasing sequence in [0, 1].
 */
export function pmfFromConnectDots(deltas: Float64Array, lowerIndex: number, interval: number): PldPmf {
  const n = deltas.length;
  invariant(n >= 1, () => 'pmfFromConnectDots: no grid points');
  // The true sequence is non-increasing; round-off can break that by ~1e-16. Restore it pessimistically, by
  // raising each delta to the largest delta at a larger epsilon (suffix maximum), and fail on real breaks.
  const d = Float64Array.from(deltas);
  for (let i = n - 1; i >= 0; i--) {
    const v = d[i]!;
    if (!(v >= 0 && v <= 1)) {
      throw new NumericError('pld: hockey-stick divergence outside [0, 1]', {
        index: i + lowerIndex,
        delta: v,
      });
    }
    if (i < n - 1 && d[i + 1]! > v) {
      if (d[i + 1]! - v > 1e-12) {
        throw new NumericError('pld: hockey-stick divergences are not non-increasing', {
          index: i + lowerIndex,
          delta: v,
          next: d[i + 1],
        });
      }
      d[i] = d[i + 1]!;
    }
  }
  if (n === 1) return { interval, lowerIndex, probs: Float64Array.of(1 - d[0]!), infinityMass: d[0]! };
  const em1 = Math.expm1(interval);
  const e = Math.exp(interval);
  const probs = new Float64Array(n);
  probs[0] = 1 - d[0]! + (d[1]! - d[0]!) / em1;
  for (let i = 1; i < n - 1; i++) probs[i] = (d[i + 1]! - d[i]! - e * (d[i]! - d[i - 1]!)) / em1;
  probs[n - 1] = (d[n - 1]! - d[n - 2]!) / Math.expm1(-interval);
  for (let i = 0; i < n; i++) if (!(probs[i]! > 0)) probs[i] = 0;
  return trimZeros({ interval, lowerIndex, probs, infinityMass: d[n - 1]! });
}

/** The same PMF without zero masses at either end. */
export function trimZeros(pmf: PldPmf): PldPmf {
  const p = pmf.probs;
  let lo = 0;
  let hi = p.length - 1;
  while (lo < hi && p[lo] === 0) lo++;
  while (hi > lo && p[hi] === 0) hi--;
  if (lo === 0 && hi === p.length - 1) return pmf;
  return { ...pmf, lowerIndex: pmf.lowerIndex + lo, probs: p.slice(lo, hi + 1) };
}

/**
 * Drops at most `tailMass / 2` from each end of the PMF, pessimistically: the left tail's mass moves up to the
 * first kept loss (a larger loss), the right tail's mass moves to +infinity (dp_accounting's `_truncate_tails`
 * with `pessimistic_estimate=True`).
 */
export function truncateTails(pmf: PldPmf, tailMass: number): PldPmf {
  const p = pmf.probs;
  if (tailMass <= 0 || p.length <= 1) return trimZeros(pmf);
  const half = tailMass / 2;
  let lo = 0;
  let left = 0;
  while (lo < p.length - 1 && left + p[lo]! <= half) left += p[lo++]!;
  let hi = p.length - 1;
  let right = 0;
  while (hi > lo && right + p[hi]! <= half) right += p[hi--]!;
  const probs = p.slice(lo, hi + 1);
  probs[0]! += left;
  return trimZeros({
    ...pmf,
    lowerIndex: pmf.lowerIndex + lo,
    probs,
    infinityMass: pmf.infinityMass + right,
  });
}

/**
 * The hockey-stick divergence of the discretised PLD at `epsilon` (dp_accounting's `get_delta_for_epsilon`):
 *   delta = infinityMass + sum over losses L > epsilon of (1 - e^{epsilon - L}) p_L.
 */
export function pmfDelta(pmf: PldPmf, epsilon: number): number {
  const { probs, interval, lowerIndex } = pmf;
  let delta = 0;
  for (let i = probs.length - 1; i >= 0; i--) {
    const loss = (lowerIndex + i) * interval;
    if (loss <= epsilon) break;
    delta += -Math.expm1(epsilon - loss) * probs[i]!;
  }
  return Math.min(1, pmf.infinityMass + delta);
}

/**
 * The smallest epsilon >= 0 with pmfDelta(pmf, epsilon) <= delta, or Infinity when the mass at +infinity
 * exceeds delta (dp_accounting's `get_epsilon_for_delta`). On the stretch between two grid losses the
 * divergence is M_up - e^epsilon M_low, with M_up the infinity mass plus the masses above and M_low the
 * e^{-L}-weighted masses above, so the answer is ln((M_up - delta) / M_low) on the right stretch. The result
 * is checked against pmfDelta and raised by a few ulps if round-off made it fall short.
 */
export function pmfEpsilon(pmf: PldPmf, delta: number): number {
  const { probs, interval, lowerIndex } = pmf;
  if (pmf.infinityMass > delta) return Number.POSITIVE_INFINITY;
  let massUpper = pmf.infinityMass;
  let massLower = 0;
  let epsilon = Number.NaN;
  for (let i = probs.length - 1; i >= 0; i--) {
    const loss = (lowerIndex + i) * interval;
    if (massUpper > delta && massLower > 0 && Math.log((massUpper - delta) / massLower) >= loss) {
      epsilon = Math.log((massUpper - delta) / massLower);
      break;
    }
    const p = probs[i]!;
    massUpper += p;
    massLower += Math.exp(-loss) * p;
    if (massUpper >= delta && massLower === 0) {
      // exp(-loss) underflowed: the answer is this (huge) loss itself.
      epsilon = Math.max(0, loss);
      break;
    }
  }
  if (Number.isNaN(epsilon)) {
    epsilon = massUpper <= massLower + delta ? 0 : Math.log((massUpper - delta) / massLower);
  }
  epsilon = Math.max(0, epsilon);
  for (let tries = 0; pmfDelta(pmf, epsilon) > delta; tries++) {
    if (tries >= 60) throw new NumericError('pld: epsilon search did not settle', { delta, epsilon });
    epsilon += Math.max(Math.abs(epsilon) * 2 ** -50, 2 ** -1000) * 2 ** tries;
  }
  return epsilon;
}
