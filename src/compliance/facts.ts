/**
 * Facts derived from the evidence once, shared by every regulation's controls: which spends used which datasets
 * for which purposes, which broke consent or retention terms, which accounts went over their limits, and the
 * processing activities (GDPR Art. 30) the spends amount to. Pure functions of the evidence.
 */
import type { ComplianceEvidence, DatasetEvidence, SpendEvidence } from './evidence.js';

/** One processing activity: the granted spends of one purpose on one dataset under one account. */
export interface ProcessingActivity {
  readonly purpose: string;
  readonly dataset: string | null;
  readonly account: string;
  readonly spends: number;
  readonly first: string;
  readonly last: string;
  readonly actors: readonly string[];
  /** The dataset's retention date, when it has one. */
  readonly retainUntil: string | null;
}

/** A granted spend whose purpose its dataset's consent terms do not list. */
export interface PurposeViolation {
  readonly spend: number;
  readonly dataset: string;
  readonly purpose: string;
}

/** A granted spend on a dataset after its retention date. */
export interface RetentionViolation {
  readonly spend: number;
  readonly dataset: string;
  readonly retainUntil: string;
  readonly createdAt: string;
}

export interface Facts {
  readonly granted: readonly SpendEvidence[];
  readonly refunded: readonly SpendEvidence[];
  /** Registered datasets that granted spends used, by name. */
  readonly datasetsUsed: ReadonlyMap<string, number>;
  /** Granted spends that name no dataset. */
  readonly withoutDataset: readonly SpendEvidence[];
  /** Granted spends that name a dataset that is not registered. */
  readonly unregistered: readonly SpendEvidence[];
  readonly purposeViolations: readonly PurposeViolation[];
  readonly retentionViolations: readonly RetentionViolation[];
  readonly datasetsWithoutRetention: readonly DatasetEvidence[];
  readonly expired: readonly DatasetEvidence[];
  /** Granted spends with no privacy event (nothing says they were differentially private). */
  readonly withoutEvents: readonly SpendEvidence[];
  readonly accountsOverLimit: readonly string[];
  readonly purposes: readonly string[];
  readonly activities: readonly ProcessingActivity[];
  /** First and last granted spend, or null when none. */
  readonly period: { readonly first: string; readonly last: string } | null;
}

const normalise = (purpose: string) => purpose.trim().toLowerCase();

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NaN : t;
}

/** A spend is after the retention date when its time is past the end of that day (a date-only value). */
function afterRetention(createdAt: string, retainUntil: string): boolean {
  const end = /^\d{4}-\d{2}-\d{2}$/.test(retainUntil) ? `${retainUntil}T23:59:59.999Z` : retainUntil;
  const spent = time(createdAt);
  const limit = time(end);
  // An unreadable date fails closed: it counts as a violation, so a person looks at it.
  return Number.isNaN(spent) || Number.isNaN(limit) || spent > limit;
}

function activitiesOf(granted: readonly SpendEvidence[], datasets: ReadonlyMap<string, DatasetEvidence>) {
  const groups = new Map<string, SpendEvidence[]>();
  for (const spend of granted) {
    const key = JSON.stringify([spend.purpose, spend.dataset, spend.account]);
    const group = groups.get(key) ?? [];
    group.push(spend);
    groups.set(key, group);
  }
  return [...groups.values()].map((group): ProcessingActivity => {
    const times = group.map((s) => s.createdAt).sort();
    const first = group[0]!;
    return {
      purpose: first.purpose,
      dataset: first.dataset,
      account: first.account,
      spends: group.length,
      first: times[0]!,
      last: times[times.length - 1]!,
      actors: [...new Set(group.map((s) => s.actor).filter((a): a is string => a !== null))].sort(),
      retainUntil: first.dataset === null ? null : (datasets.get(first.dataset)?.retainUntil ?? null),
    };
  });
}

/** Derives the shared facts from the evidence. */
export function deriveFacts(evidence: ComplianceEvidence): Facts {
  const datasets = new Map(evidence.datasets.map((d) => [d.name, d]));
  const granted = evidence.spends.filter((s) => s.status === 'granted');
  const datasetsUsed = new Map<string, number>();
  const purposeViolations: PurposeViolation[] = [];
  const retentionViolations: RetentionViolation[] = [];
  const unregistered: SpendEvidence[] = [];
  for (const spend of granted) {
    if (spend.dataset === null) continue;
    const dataset = datasets.get(spend.dataset);
    if (!dataset) {
      unregistered.push(spend);
      continue;
    }
    datasetsUsed.set(dataset.name, (datasetsUsed.get(dataset.name) ?? 0) + 1);
    if (!dataset.purposes.some((p) => normalise(p) === normalise(spend.purpose))) {
      purposeViolations.push({ spend: spend.id, dataset: dataset.name, purpose: spend.purpose });
    }
    if (dataset.retainUntil !== null && afterRetention(spend.createdAt, dataset.retainUntil)) {
      retentionViolations.push({
        spend: spend.id,
        dataset: dataset.name,
        retainUntil: dataset.retainUntil,
        createdAt: spend.createdAt,
      });
    }
  }
  const times = granted.map((s) => s.createdAt).sort();
  return {
    granted,
    refunded: evidence.spends.filter((s) => s.status === 'refunded'),
    datasetsUsed,
    withoutDataset: granted.filter((s) => s.dataset === null),
    unregistered,
    purposeViolations,
    retentionViolations,
    datasetsWithoutRetention: evidence.datasets.filter((d) => d.retainUntil === null),
    expired: evidence.datasets.filter((d) => d.expired),
    withoutEvents: granted.filter((s) => s.eventKinds.length === 0),
    accountsOverLimit: evidence.accounts
      .filter((a) => !(a.epsilonSpent <= a.epsilonLimit * (1 + 1e-12)))
      .map((a) => a.path),
    purposes: [...new Set(granted.map((s) => s.purpose))].sort(),
    activities: activitiesOf(granted, datasets),
    period: times.length === 0 ? null : { first: times[0]!, last: times[times.length - 1]! },
  };
}

/** '1 spend', '3 spends'. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** A number for prose: at most 4 significant digits ('5.632', '0.0001', '1e-5' stays '0.00001'). */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(1).replace(/\.0e/, 'e');
  return String(Number(x.toPrecision(4)));
}

/** 'a, b and c', cut to `max` items ('a, b, c and 4 more'). */
export function list(items: readonly string[], max = 5): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max);
  const rest = items.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** The date part of an ISO time. */
export function day(iso: string): string {
  return iso.slice(0, 10);
}
