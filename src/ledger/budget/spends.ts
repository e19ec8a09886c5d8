/**
 * Spends and refunds. Check-and-spend is atomic: the consent check, every ancestor's budget check, the insert, the
 * running totals and the audit entry run in one serialised write transaction (LedgerContext.write), so two
 * writers never both pass a check on the same history and a crash leaves the spend in the ledger or not, never
 * half. A spend must fit its account and every ancestor, each composed under its own accountant at its delta.
 */
import type { Kysely } from 'kysely';
import {
  createAccountant,
  type PrivacyEvent,
  PrivacyEventSchema,
  validateEvent,
} from '../../accounting/index.js';
import {
  assertInteger,
  BudgetExceededError,
  ConfigError,
  ConsentError,
  IntegrityError,
  InvalidParameterError,
  UnsupportedError,
} from '../../core/index.js';
import { entryBytes, hex } from '../audit/format.js';
import { leafHash } from '../audit/merkle.js';
import { consentError, datasetLabel, refusalOf } from '../consent/datasets.js';
import { datasetIn } from '../consent/registry.js';
import type { LedgerSchema } from '../store/schema.js';
import { addToTotals, subtreeTotals } from '../store/totals.js';
import { ancestorsOf, checkPath, inSubtree, type SpendReceipt, toAccount } from './accounts.js';
import { composedEpsilonOfGroups } from './compose.js';
import type { Alongside, LedgerContext } from './context.js';
import { checkBudgetState } from './state.js';

/** A spend as {@link spendsIn} reads it. */
export interface SpendRecord {
  id: number;
  account: string;
  purpose: string;
  status: string;
  events: PrivacyEvent[];
  dataset: string | null;
  actor: string | null;
  createdAt: string;
  refundReason: string | null;
}

/** Options of a spend. */
export interface SpendOptions {
  readonly purpose: string;
  /**
   * The registered dataset the events are spent on: its consent terms are checked (purpose allowed, retention not
   * over) in the same transaction; a refusal throws {@link ConsentError} and is audited.
   */
  readonly dataset?: string;
  /** Called inside the transaction after the checks and the insert, before the commit (crash tests). */
  readonly beforeCommit?: () => Promise<void>;
  /** The caller's own writes, committed with the spend or rolled back with it (context.ts). */
  readonly alongside?: Alongside;
}

/**
 * Spends `events` on `account` for `purpose`, atomically: granted only if, with them, the account and every
 * ancestor stay within their limits (composed under each one's accountant at its delta).
 * @throws {BudgetExceededError} naming the account that would overflow and what remained there; nothing spent
 * @throws {InvalidParameterError} for malformed events or an empty purpose
 * @throws {UnsupportedError} when an account's accountant cannot compose an event
 * @throws {ConsentError} when the dataset's terms do not allow the purpose; nothing spent, refusal audited
 */
export async function spend(
  ctx: LedgerContext,
  account: string,
  events: readonly PrivacyEvent[],
  options: SpendOptions,
): Promise<SpendReceipt> {
  const fn = 'Ledger.spend';
  checkPath(fn, account);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'events',
      value: events,
      allowed: 'a non-empty array of privacy events',
    });
  }
  const checked = events.map((e) => validateEvent(e, fn));
  if (typeof options?.purpose !== 'string' || options.purpose.trim() === '' || options.purpose.length > 200) {
    throw new InvalidParameterError({
      fn,
      param: 'purpose',
      value: options?.purpose,
      allowed: 'a non-empty description of at most 200 characters',
    });
  }
  const purpose = options.purpose;
  let datasetName: string | null = options.dataset ?? null;
  try {
    return await ctx.write(async (trx, log, head) => {
      const state = await checkBudgetState(trx, head, ancestorsOf(account), ctx.budgetCache);
      if (options.dataset !== undefined) {
        const d = await datasetIn(trx, options.dataset);
        datasetName = datasetLabel(d);
        const refusal = refusalOf(d, purpose, ctx.now());
        if (refusal) throw consentError(d.name, purpose, refusal);
      }
      const epsilonAfter: Record<string, number> = {};
      for (const path of ancestorsOf(account)) {
        epsilonAfter[path] = await epsilonAfterSpend(trx, path, checked);
      }
      const createdAt = ctx.now().toISOString();
      const inserted = await trx
        .insertInto('spends')
        .values({
          account,
          events: JSON.stringify(checked),
          purpose: options.purpose,
          status: 'granted',
          dataset: options.dataset ?? null,
          actor: ctx.actor,
          created_at: createdAt,
          refunded_at: null,
          refund_reason: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await addToTotals(trx, account, checked, 1);
      await log({
        action: 'budget.spend',
        account,
        dataset: datasetName,
        purpose,
        events: checked,
        outcome: 'granted',
        detail: { spendId: inserted.id, epsilonAfter, budgetState: await state.update(ancestorsOf(account)) },
      });
      await options.alongside?.(trx, { spendId: inserted.id });
      await options.beforeCommit?.();
      return { id: inserted.id, account, purpose: options.purpose, epsilonAfter, createdAt };
    });
  } catch (err) {
    if (err instanceof BudgetExceededError || err instanceof ConsentError) {
      // the spend's transaction rolled back; the refusal is recorded in one of its own
      await ctx.write(async (_trx, log) =>
        log({
          action: 'budget.spend',
          account,
          dataset: datasetName,
          purpose,
          events: checked,
          outcome: 'refused',
          detail: {
            reason: err instanceof ConsentError ? (err.details as { reason?: string }).reason : 'budget',
            message: err.message,
          },
        }),
      );
    }
    throw err;
  }
}

/**
 * The epsilon of account `path` with the spend's `checked` events added to its subtree's history, composed under
 * its accountant at its delta. Call it inside the spend's write transaction, so that the history cannot change
 * before the insert.
 * @throws {ConfigError} no account at `path`
 * @throws {UnsupportedError} its accountant cannot compose one of the events
 * @throws {BudgetExceededError} the spend would take it past its limit
 */
async function epsilonAfterSpend(
  trx: Kysely<LedgerSchema>,
  path: string,
  checked: readonly PrivacyEvent[],
): Promise<number> {
  const row = await trx.selectFrom('accounts').selectAll().where('path', '=', path).executeTakeFirst();
  if (!row)
    throw new ConfigError([{ path: 'account', value: path, allowed: 'an existing account' }], 'budget spend');
  const acc = toAccount(row);
  const probe = createAccountant(acc.accountant);
  for (const e of checked) {
    if (!probe.supports(e)) {
      throw new UnsupportedError(
        `account "${path}" composes with the ${acc.accountant} accountant, which cannot compose a '${e.kind}' event`,
        { account: path, event: e.kind },
      );
    }
  }
  const history = await subtreeTotals(trx, path);
  const after = composedEpsilonOfGroups(acc.accountant, history.clone().addAll(checked), acc.deltaLimit);
  if (!(after <= acc.epsilonLimit)) {
    // the refusal's "before" only: a granted spend never needs it
    const spent = composedEpsilonOfGroups(acc.accountant, history, acc.deltaLimit);
    const before = { epsilonSpent: spent, epsilonRemaining: acc.epsilonLimit - spent };
    throw new BudgetExceededError(
      `spend refused: account "${path}" has epsilon ${acc.epsilonLimit} at delta ${acc.deltaLimit}, ` +
        `${before.epsilonSpent.toFixed(6)} spent (${Math.max(0, before.epsilonRemaining).toFixed(6)} remaining); ` +
        `this spend would bring it to ${after.toFixed(6)}. Nothing was spent.`,
      {
        account: path,
        requested: after - before.epsilonSpent,
        remaining: Math.max(0, before.epsilonRemaining),
      },
    );
  }
  return after;
}

/**
 * Refunds a granted spend whose events never ran (the job failed before any release). The spend stays in the
 * ledger, marked refunded with the reason; a spend whose events ran must never be refunded.
 * @throws {ConfigError} for an unknown or already refunded spend
 */
export async function refund(
  ctx: LedgerContext,
  id: number,
  reason: string,
  options: { readonly alongside?: Alongside } = {},
): Promise<void> {
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new InvalidParameterError({ fn: 'Ledger.refund', param: 'id', value: id, allowed: 'a spend id' });
  }
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new InvalidParameterError({
      fn: 'Ledger.refund',
      param: 'reason',
      value: reason,
      allowed: 'why the events never ran',
    });
  }
  await ctx.write(async (trx, log, head) => {
    const row = await trx
      .selectFrom('spends')
      .select(['status', 'account', 'purpose', 'dataset', 'events'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row?.status !== 'granted') {
      throw new ConfigError([{ path: 'spend', value: id, allowed: 'a granted spend' }], 'budget refund');
    }
    const state = await checkBudgetState(trx, head, ancestorsOf(row.account), ctx.budgetCache);
    await checkRefundable(trx, id, row.account, row.events);
    await trx
      .updateTable('spends')
      .set({ status: 'refunded', refunded_at: ctx.now().toISOString(), refund_reason: reason })
      .where('id', '=', id)
      .execute();
    await addToTotals(trx, row.account, JSON.parse(row.events) as PrivacyEvent[], -1);
    await log({
      action: 'budget.refund',
      account: row.account,
      purpose: row.purpose,
      outcome: 'refunded',
      detail: { spendId: id, reason, budgetState: await state.update(ancestorsOf(row.account)) },
    });
    await options.alongside?.(trx, {});
  });
}

/**
 * Records that a granted spend is being used: its events are about to run (noise may be drawn from now on), so it
 * can never be refunded. The mark is an audit entry (`budget.use`), which {@link refund} reads: a job's own
 * bookkeeping (the service's job table) edited to say the spend was never used cannot free its budget.
 * @returns the spend's receipt as granted (its `epsilonAfter` from the grant's audit entry), for a job that runs
 *   on a spend made earlier (the service reserves a job's charge at submission)
 * @throws {ConfigError} for an unknown or refunded spend
 * @throws {IntegrityError} `details.check` 'budget-state' for a spend already used, or one the log never granted
 */
export async function markUsed(
  ctx: LedgerContext,
  id: number,
  options: { readonly alongside?: Alongside } = {},
): Promise<SpendReceipt> {
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new InvalidParameterError({ fn: 'Ledger.markUsed', param: 'id', value: id, allowed: 'a spend id' });
  }
  return ctx.write(async (trx, log) => {
    const row = await trx
      .selectFrom('spends')
      .select(['status', 'account', 'purpose', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row?.status !== 'granted') {
      throw new ConfigError([{ path: 'spend', value: id, allowed: 'a granted spend' }], 'budget use');
    }
    const entries = (
      await trx
        .selectFrom('audit_entries')
        .select(['seq', 'action', 'detail'])
        .where('account', '=', row.account)
        .where('action', 'in', ['budget.spend', 'budget.use'])
        .where('outcome', 'in', ['granted', 'used'])
        .execute()
    )
      .map((e) => ({ ...e, detail: JSON.parse(e.detail) as { spendId?: unknown; epsilonAfter?: unknown } }))
      .filter((e) => e.detail.spendId === id);
    const grant = entries.find((e) => e.action === 'budget.spend');
    const earlier = entries.find((e) => e.action === 'budget.use');
    if (!grant) {
      throw new IntegrityError(
        `spend ${id} on "${row.account}" is not a spend the audit log granted: the spends table was edited; nothing was recorded. Run \`veil audit verify\` for the full comparison`,
        { check: 'budget-state', spendId: id, account: row.account },
      );
    }
    if (earlier) {
      throw new IntegrityError(
        `spend ${id} on "${row.account}" was already used (audit entry ${earlier.seq}): a spend's events run once; nothing was recorded`,
        { check: 'budget-state', spendId: id, account: row.account },
      );
    }
    await log({
      action: 'budget.use',
      account: row.account,
      purpose: row.purpose,
      outcome: 'used',
      detail: { spendId: id },
    });
    await options.alongside?.(trx, {});
    return {
      id,
      account: row.account,
      purpose: row.purpose,
      epsilonAfter: epsilonAfterOf(grant.detail.epsilonAfter),
      createdAt: row.created_at,
    };
  });
}

/** A grant entry's `epsilonAfter` (epsilon by account path), its numbers only. */
function epsilonAfterOf(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((kv): kv is [string, number] => typeof kv[1] === 'number'),
  );
}

/**
 * A refund gives back what the spend's row says it spent: the row must be the spend the log granted (same account
 * and events) and not refunded since, or an edited row (events made larger, a refunded spend set back to granted)
 * would free budget. Reads the account's budget entries (an index on account), each checked against its own leaf
 * hash; a rewritten entry with a recomputed hash is what `veil audit verify` reports.
 * @throws {IntegrityError} `details.check` 'budget-state'
 */
async function checkRefundable(
  trx: Kysely<LedgerSchema>,
  id: number,
  account: string,
  events: string,
): Promise<void> {
  const rows = await trx
    .selectFrom('audit_entries')
    .selectAll()
    .where('account', '=', account)
    .where('action', 'in', ['budget.spend', 'budget.refund', 'budget.use'])
    .where('outcome', 'in', ['granted', 'refunded', 'used'])
    .orderBy('seq')
    .execute();
  let granted = false;
  let refunded = false;
  let used = false;
  for (const r of rows) {
    if ((JSON.parse(r.detail) as { spendId?: unknown }).spendId !== id) continue;
    if (hex(leafHash(entryBytes(r))) !== r.leaf_hash) continue;
    if (r.action === 'budget.spend') granted = r.events === events;
    else if (r.action === 'budget.use') used = true;
    else refunded = true;
  }
  if (used) {
    throw new IntegrityError(
      `spend ${id} on "${account}" was used (audit entry budget.use: its events ran, noise may have been drawn) and can never be refunded; nothing was refunded`,
      { check: 'budget-state', spendId: id, account },
    );
  }
  if (!granted || refunded) {
    throw new IntegrityError(
      `spend ${id} on "${account}" ${refunded ? 'was already refunded' : 'is not the spend the audit log granted (its events or account differ)'}: ` +
        'the spends table was edited; nothing was refunded. Run `veil audit verify` for the full comparison',
      { check: 'budget-state', spendId: id, account },
    );
  }
}

/** The spends of an account's subtree, oldest first. */
/** A page of spends: those after spend id `after`, at most `limit` of them. */
export interface SpendPage {
  readonly after?: number;
  readonly limit?: number;
}

export async function spendsIn(
  db: Kysely<LedgerSchema>,
  path: string,
  page: SpendPage = {},
): Promise<SpendRecord[]> {
  checkPath('Ledger.spends', path);
  if (page.after !== undefined)
    assertInteger('Ledger.spends', 'after', page.after, 0, Number.MAX_SAFE_INTEGER);
  if (page.limit !== undefined)
    assertInteger('Ledger.spends', 'limit', page.limit, 1, Number.MAX_SAFE_INTEGER);
  let query = db.selectFrom('spends').selectAll().where(inSubtree(path));
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  if (page.limit !== undefined) query = query.limit(page.limit);
  const rows = await query.orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    account: r.account,
    purpose: r.purpose,
    status: r.status,
    events: (JSON.parse(r.events) as unknown[]).map((e) => PrivacyEventSchema.parse(e)),
    dataset: r.dataset,
    actor: r.actor,
    createdAt: r.created_at,
    refundReason: r.refund_reason,
  }));
}
