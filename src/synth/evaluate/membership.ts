/**
 * A black-box membership-inference check against a generator, from its synthetic rows only: members (rows it was
 * fitted on) and non-members (held-out rows from the same population) are scored by their closeness to the
 * synthetic rows, and the attack's ROC is compared with what (epsilon, delta)-DP allows any test to reach.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import type { SynthData } from '../data.js';
import { checkSameDomain, closestRecords, rowCount, sampleRows } from './records.js';
import { rocAuc, rocCurve, tprAtFpr } from './scores.js';

/** The false-positive rates the attack's true-positive rate is reported at. */
export const MEMBERSHIP_FPRS = [0.01, 0.1] as const;

/** The attack's TPR at one FPR, and the DP bound there when (epsilon, delta) is known. */
export interface TprAt {
  readonly fpr: number;
  readonly tpr: number;
  /** The largest TPR any test can reach at this FPR against an (epsilon, delta)-DP generator; null: not known. */
  readonly bound: number | null;
}

/** What {@link membershipInference} returns. */
export interface MembershipResult {
  /** Members scored (a seeded sample of the training rows), and as many non-members (held-out rows). */
  readonly members: number;
  readonly nonMembers: number;
  readonly auc: number | null;
  readonly tprAt: readonly TprAt[];
  /** The generator's privacy when known, and the largest AUC it allows (the area under the bound's ROC). */
  readonly privacy: { readonly epsilon: number; readonly delta: number; readonly aucBound: number } | null;
  /** Whether the attack stays within the bound at every reported FPR (null: no bound). */
  readonly withinBound: boolean | null;
}

/**
 * The largest true-positive rate of any membership test at false-positive rate `fpr` against an
 * (epsilon, delta)-DP mechanism: min(1, e^eps fpr + delta, 1 - e^-eps (1 - delta - fpr))
 * (Kairouz, Oh & Viswanath 2015, Thm. 2.1, the hypothesis-testing view of DP).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for epsilon < 0, delta or fpr outside [0, 1]
 */
export function dpTprBound(epsilon: number, delta: number, fpr: number): number {
  checkPrivacy('dpTprBound', epsilon, delta);
  if (!(fpr >= 0 && fpr <= 1))
    throw new InvalidParameterError({
      fn: 'dpTprBound',
      param: 'fpr',
      value: fpr,
      allowed: 'a number in [0, 1]',
    });
  const e = Math.exp(epsilon);
  return Math.min(1, e * fpr + delta, 1 - (1 - delta - fpr) / e);
}

/**
 * The area under the ROC bound of {@link dpTprBound}: the largest AUC a membership test can have against an
 * (epsilon, delta)-DP mechanism. The bound is linear on [0, x*] and [x*, 1 - delta] (x* = (1 - delta)/(1 + e^eps),
 * where its two lines meet) and 1 beyond, so the trapezoids are exact.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for epsilon < 0 or delta outside [0, 1]
 */
export function dpAucBound(epsilon: number, delta: number): number {
  checkPrivacy('dpAucBound', epsilon, delta);
  if (!Number.isFinite(epsilon)) return 1;
  const xs = [0, (1 - delta) / (1 + Math.exp(epsilon)), 1 - delta, 1];
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    const a = xs[i - 1]!;
    const b = xs[i]!;
    area += ((b - a) * (dpTprBound(epsilon, delta, a) + dpTprBound(epsilon, delta, b))) / 2;
  }
  return Math.min(1, area);
}

function checkPrivacy(fn: string, epsilon: number, delta: number): void {
  if (!(epsilon >= 0))
    throw new InvalidParameterError({ fn, param: 'epsilon', value: epsilon, allowed: 'a number >= 0' });
  if (!(delta >= 0 && delta <= 1))
    throw new InvalidParameterError({ fn, param: 'delta', value: delta, allowed: 'a number in [0, 1]' });
}

/** Options of {@link membershipInference}. */
export interface MembershipOptions {
  /** Members and non-members scored, each (default 2000; fewer when either table is smaller). */
  readonly samples?: number;
  /** The generator's (epsilon, delta), when known: the report shows the DP bound beside the attack. */
  readonly privacy?: { readonly epsilon: number; readonly delta: number };
}

/**
 * Runs the distance-based membership-inference attack: equal-size seeded samples of `members` (the generator's
 * training rows) and `nonMembers` (held-out rows), each scored by closeness to the synthetic rows: minus the
 * Hamming distance to the closest synthetic row, ties broken by the number of synthetic rows at that distance
 * (score = -distance + count/(synthetic rows + 1), so a closer row always scores higher). The AUC of an attack that
 * learns nothing is 0.5.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for tables over different domains, empty tables,
 *   `samples` < 1 or a bad (epsilon, delta)
 * @example membershipInference(train, holdout, synthetic, seededRng(1), { privacy: { epsilon: 1, delta: 1e-9 } });
 */
export function membershipInference(
  members: SynthData,
  nonMembers: SynthData,
  synthetic: SynthData,
  rng: Rng,
  options: MembershipOptions = {},
): MembershipResult {
  const fn = 'membershipInference';
  checkSameDomain(fn, members, nonMembers);
  checkSameDomain(fn, members, synthetic);
  const samples = options.samples ?? 2000;
  if (!(Number.isSafeInteger(samples) && samples >= 1))
    throw new InvalidParameterError({ fn, param: 'samples', value: samples, allowed: 'an integer >= 1' });
  const privacy = options.privacy;
  if (privacy) checkPrivacy(fn, privacy.epsilon, privacy.delta);
  const m = Math.min(samples, rowCount(members), rowCount(nonMembers));
  if (m === 0 || rowCount(synthetic) === 0)
    throw new InvalidParameterError({ fn, param: 'members', value: 0, allowed: 'non-empty tables' });
  const inRows = sampleRows(rowCount(members), m, rng);
  const outRows = sampleRows(rowCount(nonMembers), m, rng);
  const n = rowCount(synthetic);
  const scoresOf = (data: SynthData, rows: Int32Array): Float64Array => {
    const { distance, ties } = closestRecords(data, synthetic, { rows });
    return Float64Array.from(distance, (d, i) => -d + ties[i]! / (n + 1));
  };
  const scores = new Float64Array(2 * m);
  scores.set(scoresOf(members, inRows), 0);
  scores.set(scoresOf(nonMembers, outRows), m);
  const labels = Int32Array.from({ length: 2 * m }, (_, i) => (i < m ? 1 : 0));
  const curve = rocCurve(scores, labels);
  const tprAt = MEMBERSHIP_FPRS.map(
    (fpr): TprAt => ({
      fpr,
      tpr: tprAtFpr(curve, fpr),
      bound: privacy ? dpTprBound(privacy.epsilon, privacy.delta, fpr) : null,
    }),
  );
  return {
    members: m,
    nonMembers: m,
    auc: rocAuc(scores, labels),
    tprAt,
    privacy: privacy ? { ...privacy, aucBound: dpAucBound(privacy.epsilon, privacy.delta) } : null,
    withinBound: privacy ? tprAt.every((t) => t.tpr <= t.bound!) : null,
  };
}
