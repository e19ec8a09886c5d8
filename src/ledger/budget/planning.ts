/**
 * Budget planning on top of the ledger: how an account's budget burned down, when it runs out at the current
 * rate, and how to split what remains across planned jobs. Everything composes with the account's own
 * accountant at its own delta (as the ledger does), never by adding or dividing epsilons: composition is
 * sublinear, so a division would under-use the budget and a sum would over-state what was spent.
 *
 * What this does not do: it reads the ledger and plans, it never spends. Projections assume the future looks
 * like the recent past; allocations find the least noise (or the most epsilon) that fits for the weights given,
 * which is feasibility, not utility.
 */
import { z } from 'zod';
import {
  type AccountantKind,
  createAccountant,
  dpSgdEvent,
  type PrivacyEvent,
} from '../../accounting/index.js';
import { BudgetExceededError, InvalidParameterError, UnsupportedError } from '../../core/index.js';
import type { Account } from './accounts.js';
import { composedEpsilon, composedEpsilonOfGroups, EventGroups } from './compose.js';
import type { Ledger } from './ledger.js';

/** A granted spend as planning reads it. */
export interface PlannedSpend {
  readonly id: number;
  readonly account: string;
  readonly purpose: string;
  readonly createdAt: string;
  readonly events: readonly PrivacyEvent[];
}

/** One step of a burn-down: the account after a granted spend. */
export interface BurnDownPoint {
  readonly id: number;
  readonly account: string;
  readonly purpose: string;
  readonly createdAt: string;
  /** The spend's own epsilon at the account's delta. */
  readonly epsilon: number;
  /** The composed epsilon of every granted spend up to and including this one. */
  readonly epsilonAfter: number;
  /** The naive sum of the spends' own epsilons up to this one (what a spreadsheet would add up). */
  readonly naiveSumAfter: number;
}

/**
 * The composed epsilon after each spend, oldest first: one accountant composes the spends in turn and is asked
 * after each (O(n) composition, not n rebuilds; for PLD each answer is one FFT composition of the groups so
 * far, so long PLD histories take seconds).
 */
export function burnDown(
  kind: AccountantKind,
  delta: number,
  spends: readonly PlannedSpend[],
): BurnDownPoint[] {
  const acc = createAccountant(kind);
  let naive = 0;
  return spends.map((s) => {
    for (const e of s.events) acc.compose(e);
    const own = composedEpsilon(kind, s.events, delta);
    naive += own;
    return {
      id: s.id,
      account: s.account,
      purpose: s.purpose,
      createdAt: s.createdAt,
      epsilon: own,
      epsilonAfter: acc.epsilon({ delta }),
      naiveSumAfter: naive,
    };
  });
}

/** Where the projection of {@link projectExhaustion} stands. */
export type Projection =
  | { readonly status: 'not-enough-history'; readonly reason: string }
  | {
      readonly status: 'projected';
      /** The spends the projection repeats: the last `spends` granted ones, from `from` to `to`. */
      readonly window: { readonly spends: number; readonly from: string; readonly to: string };
      /** Mean time between the window's spends, in milliseconds (0 when they share a timestamp). */
      readonly meanIntervalMs: number;
      /** How many more such spends fit under the limit; null when more than `cap` fit. */
      readonly spendsThatFit: number | null;
      /** The composed epsilon after those spends (after `cap` of them when more fit). */
      readonly epsilonAtLastFitting: number;
      /** When the first spend that no longer fits would come, at the window's rate; null without a rate or a bound. */
      readonly exhaustedAt: string | null;
      /** The naive division (remaining / mean epsilon of a window spend), for comparison only. */
      readonly naiveSpendsThatFit: number;
    };

const PROJECTION_CAP = 2 ** 20;

/**
 * How many more spends like the recent ones fit under `limit`, and when the budget runs out at their rate.
 * The future is the window's spends repeated in order (a cycle), composed with the history: the answer counts
 * spends by composition (sublinear), not by dividing the remaining epsilon. Exponential then binary search on
 * the count; each step is one grouped composition.
 * @param window the last `window` granted spends (>= 2) set the pattern and the rate
 */
export function projectExhaustion(
  options: { readonly kind: AccountantKind; readonly limit: number; readonly delta: number },
  spends: readonly PlannedSpend[],
  window = 10,
): Projection {
  if (spends.length < 2) {
    return {
      status: 'not-enough-history',
      reason: `not enough history: ${spends.length} granted spend(s); a projection needs at least 2 to see a rate`,
    };
  }
  const { kind, limit, delta } = options;
  const recent = spends.slice(-Math.max(2, window));
  const history = new EventGroups();
  for (const s of spends) history.addAll(s.events);
  const cycle = new EventGroups();
  for (const s of recent) cycle.addAll(s.events);
  const prefixes = recent.map((_, i) => {
    const g = new EventGroups();
    for (const s of recent.slice(0, i)) g.addAll(s.events);
    return g;
  });
  const epsilonAfter = (m: number): number => {
    const full = Math.floor(m / recent.length);
    const groups = history
      .clone()
      .merge(cycle, full)
      .merge(prefixes[m % recent.length]!);
    return composedEpsilonOfGroups(kind, groups, delta);
  };
  const fits = (m: number) => epsilonAfter(m) <= limit;
  let lo = 0; // fits (the history fits, or nothing does: then 0)
  let hi = 1;
  while (hi <= PROJECTION_CAP && fits(hi)) {
    lo = hi;
    hi *= 2;
  }
  let spendsThatFit: number | null;
  if (hi > PROJECTION_CAP) spendsThatFit = null;
  else {
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    spendsThatFit = lo;
  }
  const t0 = Date.parse(recent[0]!.createdAt);
  const t1 = Date.parse(recent[recent.length - 1]!.createdAt);
  const meanIntervalMs = (t1 - t0) / (recent.length - 1);
  const exhaustedAt =
    spendsThatFit === null || !(meanIntervalMs > 0)
      ? null
      : new Date(t1 + (spendsThatFit + 1) * meanIntervalMs).toISOString();
  const spent = epsilonAfter(0);
  const meanEpsilon = recent.reduce((s, x) => s + composedEpsilon(kind, x.events, delta), 0) / recent.length;
  return {
    status: 'projected',
    window: { spends: recent.length, from: recent[0]!.createdAt, to: recent[recent.length - 1]!.createdAt },
    meanIntervalMs,
    spendsThatFit,
    epsilonAtLastFitting: epsilonAfter(spendsThatFit ?? PROJECTION_CAP),
    exhaustedAt,
    naiveSpendsThatFit:
      meanEpsilon > 0 ? Math.max(0, Math.floor((limit - spent) / meanEpsilon)) : Number.POSITIVE_INFINITY,
  };
}

/** An account's burn-down and projection ({@link forecast}). */
export interface Forecast {
  readonly account: Account;
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  readonly burnDown: readonly BurnDownPoint[];
  readonly projection: Projection;
}

async function grantedSpends(ledger: Ledger, path: string): Promise<PlannedSpend[]> {
  return (await ledger.spends(path))
    .filter((s) => s.status === 'granted')
    .map((s) => ({
      id: s.id,
      account: s.account,
      purpose: s.purpose,
      createdAt: s.createdAt,
      events: s.events,
    }));
}

/**
 * The burn-down of `path`'s subtree and its projected exhaustion at the rate of the last `window` spends
 * (default 10). Projects against the account's own limit: its ancestors may run out sooner through other
 * subtrees' spends.
 * @throws {InvalidParameterError} for a window that is not an integer >= 2
 */
export async function forecast(
  ledger: Ledger,
  path: string,
  options: { readonly window?: number } = {},
): Promise<Forecast> {
  const window = options.window ?? 10;
  if (!Number.isSafeInteger(window) || window < 2) {
    throw new InvalidParameterError({
      fn: 'forecast',
      param: 'window',
      value: window,
      allowed: 'an integer >= 2',
    });
  }
  const account = await ledger.account(path);
  const spends = await grantedSpends(ledger, path);
  const points = burnDown(account.accountant, account.deltaLimit, spends);
  const spent = points.at(-1)?.epsilonAfter ?? 0;
  return {
    account,
    epsilonSpent: spent,
    epsilonRemaining: account.epsilonLimit - spent,
    burnDown: points,
    projection: projectExhaustion(
      { kind: account.accountant, limit: account.epsilonLimit, delta: account.deltaLimit },
      spends,
      window,
    ),
  };
}

// ------------------------------------------------------------------------------------------------ allocation

const weight = z.number().finite().gt(0).optional();
const name = z.string().min(1).max(100).optional();

/** A planned job, as `veil budget allocate --jobs FILE` reads it (a JSON array of these, all of one kind). */
export const PlannedJobSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('dp-sgd'),
      name,
      sampleRate: z.number().gt(0).lte(1),
      steps: z.number().int().gte(1),
      weight,
    })
    .strict(),
  z
    .object({ kind: z.literal('epsilon-delta'), name, delta: z.number().gte(0).lt(1).optional(), weight })
    .strict(),
]);

/** A planned job. */
export type PlannedJob = z.infer<typeof PlannedJobSchema>;

/** One job of an allocation. */
export interface AllocatedJob {
  readonly name: string;
  readonly kind: PlannedJob['kind'];
  readonly weight: number;
  /** DP-SGD jobs: the noise multiplier (noise std / clipping norm) to train with. */
  readonly noiseMultiplier?: number;
  /** The job's own epsilon at the account's delta (epsilon-delta jobs: the epsilon to spend). */
  readonly epsilon: number;
  /** Epsilon-delta jobs: the delta to spend. */
  readonly delta?: number;
  /** The events to spend when the job runs. */
  readonly events: readonly PrivacyEvent[];
}

/** An allocation ({@link allocate}). */
export interface Allocation {
  readonly account: Account;
  readonly mode: PlannedJob['kind'];
  /** DP-SGD: the noise scale s (job i trains with s / weight_i); epsilon-delta: t (job i gets t * weight_i). */
  readonly scale: number;
  readonly jobs: readonly AllocatedJob[];
  /** Every account the plan must fit (the account and its ancestors): composed epsilon with all jobs run. */
  readonly accounts: readonly {
    readonly path: string;
    readonly limit: number;
    readonly epsilonAfter: number;
  }[];
  /** The account whose limit binds (the one closest to its limit after the plan). */
  readonly binding: string;
}

interface Constraint {
  readonly path: string;
  readonly kind: AccountantKind;
  readonly limit: number;
  readonly delta: number;
  readonly history: EventGroups;
}

const NOISE_RANGE = [0.05, 1e4] as const;
const SEARCH_STEPS = 40;

/** Rounds up (or down) to 4 significant digits. */
function roundTo4(x: number, direction: 'up' | 'down'): number {
  const unit = 10 ** (Math.floor(Math.log10(x)) - 3);
  const r = (direction === 'up' ? Math.ceil(x / unit - 1e-9) : Math.floor(x / unit + 1e-9)) * unit;
  return Number(r.toPrecision(4));
}

/**
 * Splits `path`'s remaining budget across planned jobs so that its history plus every planned job composes to
 * at most the limit of the account and of each ancestor (each with its own accountant and delta).
 *
 * - `dp-sgd` jobs: one noise scale s for all, job i training with noise multiplier s / weight_i (weight 1 by
 *   default: a common multiplier). Binary search (in log s, [0.05, 10^4]) for the least noise that fits,
 *   rounded up to 4 digits. The search minimises noise for the given weights; it does not weigh utility.
 * - `epsilon-delta` jobs: job i gets epsilon t * weight_i at its own delta (default 0: pure DP), t the largest
 *   that fits (binary search, rounded down to 4 digits). Because the plan is composed, t is usually larger than
 *   remaining / sum(weights).
 * @throws {InvalidParameterError} for no jobs, jobs of two kinds, or a job that does not parse
 * @throws {UnsupportedError} when an account's accountant cannot compose the jobs' events (zCDP and DP-SGD)
 * @throws {BudgetExceededError} when no allocation fits (even the most noise, or the least epsilon)
 */
export async function allocate(ledger: Ledger, path: string, jobs: readonly unknown[]): Promise<Allocation> {
  const fn = 'allocate';
  if (!Array.isArray(jobs) || jobs.length === 0 || jobs.length > 1000) {
    throw new InvalidParameterError({
      fn,
      param: 'jobs',
      value: jobs,
      allowed: 'an array of 1 to 1000 planned jobs',
    });
  }
  const parsed = jobs.map((j, i) => {
    const r = PlannedJobSchema.safeParse(j);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new InvalidParameterError({
        fn,
        param: `jobs[${i}]${issue.path.length ? `.${issue.path.map(String).join('.')}` : ''}`,
        value: j,
        allowed: `${issue.message} (a job is {kind:'dp-sgd', sampleRate, steps, weight?, name?} or {kind:'epsilon-delta', delta?, weight?, name?})`,
      });
    }
    return r.data;
  });
  const mode = parsed[0]!.kind;
  if (parsed.some((j) => j.kind !== mode)) {
    throw new InvalidParameterError({
      fn,
      param: 'jobs',
      value: parsed.map((j) => j.kind),
      allowed: "jobs of one kind: all 'dp-sgd' or all 'epsilon-delta'",
    });
  }
  const account = await ledger.account(path);
  const parts = path.split('/');
  const constraints: Constraint[] = [];
  for (let i = parts.length; i >= 1; i--) {
    const p = parts.slice(0, i).join('/');
    const a = i === parts.length ? account : await ledger.account(p);
    const history = new EventGroups();
    for (const s of await grantedSpends(ledger, p)) history.addAll(s.events);
    constraints.push({ path: p, kind: a.accountant, limit: a.epsilonLimit, delta: a.deltaLimit, history });
  }
  const weights = parsed.map((j) => j.weight ?? 1);
  const names = parsed.map((j, i) => j.name ?? `job-${i + 1}`);
  const eventsAt = (scale: number): PrivacyEvent[][] =>
    parsed.map((j, i) =>
      j.kind === 'dp-sgd'
        ? [dpSgdEvent({ sampleRate: j.sampleRate, noiseMultiplier: scale / weights[i]!, steps: j.steps })]
        : [
            (j.delta ?? 0) > 0
              ? { kind: 'approx-dp', epsilon: scale * weights[i]!, delta: j.delta! }
              : { kind: 'pure-dp', epsilon: scale * weights[i]! },
          ],
    );
  const probe = eventsAt(1).flat();
  for (const c of constraints) {
    const acc = createAccountant(c.kind);
    const bad = probe.find((e) => !acc.supports(e));
    if (bad) {
      throw new UnsupportedError(
        `account "${c.path}" composes with the ${c.kind} accountant, which cannot compose the planned '${bad.kind}' events; plan on an account using rdp or pld`,
        { account: c.path, event: bad.kind },
      );
    }
  }
  const after = (scale: number) => {
    const planned = new EventGroups();
    for (const es of eventsAt(scale)) planned.addAll(es);
    return constraints.map((c) => composedEpsilonOfGroups(c.kind, c.history.clone().merge(planned), c.delta));
  };
  const fits = (scale: number) => after(scale).every((e, i) => e <= constraints[i]!.limit);
  let scale: number;
  if (mode === 'dp-sgd') {
    let [lo, hi] = NOISE_RANGE.map(Math.log) as [number, number];
    if (!fits(Math.exp(hi))) {
      throw new BudgetExceededError(
        `allocate: no noise multiplier up to ${NOISE_RANGE[1]} fits these jobs into what remains of "${path}" and its ancestors. Nothing was spent.`,
        {
          account: path,
          requested: Number.NaN,
          remaining: Math.max(
            0,
            account.epsilonLimit -
              composedEpsilonOfGroups(account.accountant, constraints[0]!.history, account.deltaLimit),
          ),
        },
      );
    }
    if (fits(Math.exp(lo))) hi = lo;
    for (let i = 0; i < SEARCH_STEPS && hi - lo > 1e-6; i++) {
      const mid = (lo + hi) / 2;
      if (fits(Math.exp(mid))) hi = mid;
      else lo = mid;
    }
    scale = roundTo4(Math.exp(hi), 'up');
    if (!fits(scale)) scale = Math.exp(hi);
  } else {
    let lo = 0;
    let hi = Math.max(...constraints.map((c) => c.limit)) / Math.min(...weights);
    const tiny = hi * 1e-9;
    if (!fits(tiny)) {
      throw new BudgetExceededError(
        `allocate: even an epsilon of ${tiny.toExponential(2)} per unit of weight does not fit what remains of "${path}" and its ancestors (or the jobs' deltas exceed an account's delta). Nothing was spent.`,
        { account: path, requested: tiny, remaining: 0 },
      );
    }
    lo = tiny;
    for (let i = 0; i < SEARCH_STEPS * 2 && (hi - lo) / hi > 1e-7; i++) {
      const mid = (lo + hi) / 2;
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    scale = roundTo4(lo, 'down');
    if (!fits(scale)) scale = lo;
  }
  const events = eventsAt(scale);
  const totals = after(scale);
  const slack = totals.map((e, i) => constraints[i]!.limit - e);
  const binding = constraints[slack.indexOf(Math.min(...slack))]!.path;
  return {
    account,
    mode,
    scale,
    jobs: parsed.map((j, i) => ({
      name: names[i]!,
      kind: j.kind,
      weight: weights[i]!,
      ...(j.kind === 'dp-sgd' ? { noiseMultiplier: scale / weights[i]! } : { delta: j.delta ?? 0 }),
      epsilon:
        j.kind === 'dp-sgd'
          ? composedEpsilon(account.accountant, events[i]!, account.deltaLimit)
          : scale * weights[i]!,
      events: events[i]!,
    })),
    accounts: constraints.map((c, i) => ({ path: c.path, limit: c.limit, epsilonAfter: totals[i]! })),
    binding,
  };
}
