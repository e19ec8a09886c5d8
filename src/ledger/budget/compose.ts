/**
 * Composition of an account's history under its accountant: the hot path of every spend and status query.
 *
 * Why there is a fast path: a ledger's history repeats itself. The same DP-SGD configuration, the same Gaussian
 * count query, the same pure-DP release recur across thousands of spends, and every accountant composes `n`
 * copies of an event exactly as one event applied `n` times. So the history is first flattened (a
 * `self-composed` event becomes its inner event with a multiplied count, a `composed` event its parts, the
 * same rules the RDP accountant's `increment` and the PLD accountant's `eventTerms` apply) and grouped by the
 * event's JSON; each distinct unit event is then composed once with `times: count`. One accountant call per
 * distinct unit instead of one per event: the zod validation, the memo lookups and, for RDP, the order-by-order
 * curve are paid per distinct unit.
 *
 * Results: RDP and zCDP add `count * f(order)` (resp. `count * rho`) instead of adding `f(order)` `count`
 * times, so they agree with the plain composition up to floating-point rounding of the sums (tested within
 * 1e-9 relative, see compose.test.ts). PLD already groups unit mechanisms by key and self-composes each group
 * once, in a fixed order, so it sees the same groups either way.
 *
 * Whole answers are also memoised (bounded, first-in first-out) by (accountant, delta, grouped history): the
 * per-spend epsilons behind a status query's naive sum recur as often as the spends do.
 */
import { type AccountantKind, createAccountant, type PrivacyEvent } from '../../accounting/index.js';

/** A distinct unit event of a history and how many times it ran. */
export interface EventGroup {
  readonly event: PrivacyEvent;
  readonly count: number;
}

/** Flattens self-composed and composed events into unit events with counts, grouped by their JSON. */
export class EventGroups {
  private readonly groups = new Map<string, { event: PrivacyEvent; count: number }>();

  /** Adds `event` run `times` times (default 1). */
  add(event: PrivacyEvent, times = 1): this {
    switch (event.kind) {
      case 'self-composed':
        return this.add(event.event, times * event.count);
      case 'composed':
        for (const sub of event.events) this.add(sub, times);
        return this;
      default: {
        const key = JSON.stringify(event);
        const known = this.groups.get(key);
        if (known) known.count += times;
        else this.groups.set(key, { event, count: times });
        return this;
      }
    }
  }

  /** Adds every event of `events`, each run `times` times. */
  addAll(events: readonly PrivacyEvent[], times = 1): this {
    for (const e of events) this.add(e, times);
    return this;
  }

  /** Adds every group of `other`, its counts multiplied by `times`. */
  merge(other: EventGroups, times = 1): this {
    for (const [key, g] of other.groups) {
      const known = this.groups.get(key);
      if (known) known.count += g.count * times;
      else this.groups.set(key, { event: g.event, count: g.count * times });
    }
    return this;
  }

  /** A copy. */
  clone(): EventGroups {
    return new EventGroups().merge(this);
  }

  /** Number of distinct unit events. */
  get size(): number {
    return this.groups.size;
  }

  /** The groups, sorted by key (the order the memo key and the accountants see). */
  entries(): EventGroup[] {
    return [...this.groups.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, g]) => ({ event: g.event, count: g.count }));
  }

  /** A string that identifies the grouped history (sorted keys and counts). */
  signature(): string {
    return [...this.groups.entries()]
      .map(([key, g]) => `${g.count}*${key}`)
      .sort()
      .join('\n');
  }
}

const MEMO_LIMIT = 4096;
const memo = new Map<string, number>();

function remember(key: string, value: number): number {
  if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
  memo.set(key, value);
  return value;
}

/** Forgets every memoised answer (benchmarks time the first query after a spend with it; tests). */
export function clearCompositionMemo(): void {
  memo.clear();
}

/**
 * Epsilon at `delta` of grouped events composed under `kind`: one `compose(event, { times: count })` per group.
 * @throws the accountant's errors (UnsupportedError for an event it cannot compose, InvalidParameterError)
 */
export function composedEpsilonOfGroups(kind: AccountantKind, groups: EventGroups, delta: number): number {
  if (groups.size === 0) return 0;
  const key = `${kind}|${delta}|${groups.signature()}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const acc = createAccountant(kind);
  for (const g of groups.entries()) acc.compose(g.event, { times: g.count });
  return remember(key, acc.epsilon({ delta }));
}

/**
 * Composes `events` under `kind` and returns epsilon at `delta` (0 for no events). Groups identical unit events
 * first (see the file header); equal to {@link composedEpsilonPlain} up to floating-point rounding.
 */
export function composedEpsilon(
  kind: AccountantKind,
  events: readonly PrivacyEvent[],
  delta: number,
): number {
  if (events.length === 0) return 0;
  return composedEpsilonOfGroups(kind, new EventGroups().addAll(events), delta);
}

/** The obvious composition, one `compose` per event: the oracle of the fast path's tests. */
export function composedEpsilonPlain(
  kind: AccountantKind,
  events: readonly PrivacyEvent[],
  delta: number,
): number {
  if (events.length === 0) return 0;
  const acc = createAccountant(kind);
  for (const e of events) acc.compose(e);
  return acc.epsilon({ delta });
}

/** Spends as stored: the events column (a JSON array of events) and how many granted spends share it. */
export interface StoredSpendRow {
  readonly events: string;
  /** Spends with exactly this events text (a `GROUP BY events` count); default 1. */
  readonly count?: number | string | bigint;
}

/** Groups stored spends' events (rows one per spend, or `GROUP BY events` with a count) into unit events. */
export function groupStoredSpends(rows: readonly StoredSpendRow[]): {
  readonly groups: EventGroups;
  /** Each distinct events text (parsed) and how many spends had it. */
  readonly distinct: readonly { readonly events: PrivacyEvent[]; readonly count: number }[];
  readonly spends: number;
} {
  const byText = new Map<string, number>();
  for (const r of rows) byText.set(r.events, (byText.get(r.events) ?? 0) + Number(r.count ?? 1));
  const groups = new EventGroups();
  const distinct: { events: PrivacyEvent[]; count: number }[] = [];
  let spends = 0;
  for (const [text, count] of byText) {
    const events = JSON.parse(text) as PrivacyEvent[];
    groups.addAll(events, count);
    distinct.push({ events, count });
    spends += count;
  }
  return { groups, distinct, spends };
}

/**
 * What a status query needs from stored spends, parsing each distinct events text once: the composed epsilon of
 * all their events and, only when asked (it composes every distinct spend on its own: seconds for a history of
 * tens of thousands of distinct spends), the naive sum of each spend's own epsilon, both at `delta` under `kind`.
 */
export function composeStoredSpends(
  kind: AccountantKind,
  rows: readonly StoredSpendRow[],
  delta: number,
  options: { readonly naiveSum?: boolean } = {},
): { readonly epsilon: number; readonly naiveSum: number | null; readonly spends: number } {
  const { groups, distinct, spends } = groupStoredSpends(rows);
  const naiveSum = options.naiveSum
    ? distinct.reduce((sum, d) => sum + d.count * composedEpsilon(kind, d.events, delta), 0)
    : null;
  return { epsilon: composedEpsilonOfGroups(kind, groups, delta), naiveSum, spends };
}
