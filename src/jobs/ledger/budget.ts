/**
 * The budget ledger's jobs: create an account, spend from it (checked against every ancestor's limit, audited),
 * show it, forecast its exhaustion and split what remains across planned jobs. Each opens the ledger through the
 * context for its duration; forecast and allocate only read.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import {
  type Account,
  type AccountStatus,
  type Allocation,
  allocate,
  type Forecast,
  forecast,
  type Ledger,
  type SpendPage,
  type SpendReceipt,
} from '../../ledger/index.js';
import type { JobContext, LedgerUse } from '../context.js';
import type {
  BudgetAllocateSpec,
  BudgetCreateSpec,
  BudgetForecastSpec,
  BudgetShowSpec,
  BudgetSpendSpec,
} from './spec.js';

/** What a ledger job needs of its context. */
export type LedgerJobContext = Pick<JobContext, 'ledger'>;

/**
 * How a job that only reads (or checks) opens the ledger: a missing one is refused, never created (a typo in
 * `--db` would otherwise leave a new empty ledger behind and answer from it).
 */
export const MUST_EXIST: LedgerUse = { create: false };

/** A spend as the ledger lists it. */
export type SpendRecord = Awaited<ReturnType<Ledger['spends']>>[number];

/** Creates the account. @throws {ConfigError} when the path is taken or its parent does not exist */
export function runBudgetCreate(spec: BudgetCreateSpec, ctx: LedgerJobContext): Promise<Account> {
  const { account: path, epsilon, delta, accountant } = spec;
  return ctx.ledger.use((l) => l.createAccount({ path, epsilon, delta, accountant }));
}

/** The events a spend records: the given ones, or one pure-DP (delta 0) or approximate-DP event. */
export function spendEvents(release: BudgetSpendSpec['release']): PrivacyEvent[] {
  if (release.kind === 'events') return release.events;
  const { epsilon, delta } = release;
  return [delta > 0 ? { kind: 'approx-dp', epsilon, delta } : { kind: 'pure-dp', epsilon }];
}

/**
 * Spends from the account, and its status after.
 * @throws {BudgetExceededError} when the account or an ancestor would exceed its limit (nothing is spent)
 * @throws {ConsentError} when the dataset's terms do not allow the purpose
 */
export function runBudgetSpend(
  spec: BudgetSpendSpec,
  ctx: LedgerJobContext,
): Promise<{ readonly receipt: SpendReceipt; readonly status: AccountStatus }> {
  const events = spendEvents(spec.release);
  return ctx.ledger.use(async (l) => {
    const receipt = await l.spend(spec.account, events, {
      purpose: spec.purpose,
      ...(spec.dataset === undefined ? {} : { dataset: spec.dataset }),
    });
    return { receipt, status: await l.status(spec.account) };
  });
}

/** The account's composed spend (and the naive sum of its spends' epsilons), and its spends. */
export function runBudgetShow(
  spec: BudgetShowSpec,
  ctx: LedgerJobContext,
  page?: SpendPage,
): Promise<{ readonly status: AccountStatus; readonly spends: readonly SpendRecord[] }> {
  return ctx.ledger.use(
    async (l) => ({
      status: await l.status(spec.account, { naiveSum: true }),
      spends: await l.spends(spec.account, page),
    }),
    MUST_EXIST,
  );
}

/** Burn-down and projected exhaustion at the recent rate. */
export function runBudgetForecast(spec: BudgetForecastSpec, ctx: LedgerJobContext): Promise<Forecast> {
  return ctx.ledger.use((l) => forecast(l, spec.account, { window: spec.window }), MUST_EXIST);
}

/** The remaining budget split across the planned jobs. @throws {InvalidParameterError} for a bad job */
export function runBudgetAllocate(spec: BudgetAllocateSpec, ctx: LedgerJobContext): Promise<Allocation> {
  return ctx.ledger.use((l) => allocate(l, spec.account, spec.jobs), MUST_EXIST);
}
