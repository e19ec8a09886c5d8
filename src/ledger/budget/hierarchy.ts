/**
 * The account hierarchy in the database: creating an account under its parent (audited), reading one or all of
 * them, and where one stands (its subtree's granted events composed under its own accountant).
 */
import type { Kysely } from 'kysely';
import { ACCOUNTANT_KINDS, type AccountantKind } from '../../accounting/index.js';
import { assertOneOf, ConfigError, InvalidParameterError } from '../../core/index.js';
import type { LedgerSchema } from '../store/schema.js';
import { subtreeSpends, subtreeTotals } from '../store/totals.js';
import {
  type Account,
  type AccountStatus,
  ancestorsOf,
  checkPath,
  grantedEvents,
  toAccount,
} from './accounts.js';
import { composedEpsilonOfGroups, composeStoredSpends } from './compose.js';
import type { LedgerContext } from './context.js';
import { checkBudgetState } from './state.js';

/**
 * Creates an account. Its parent must exist (create the hierarchy top-down); a child's limit may not exceed
 * its parent's (it could never be used).
 * @throws {InvalidParameterError} bad path or limits; {@link ConfigError} an existing account or missing parent
 */
export async function createAccount(
  ctx: LedgerContext,
  options: {
    readonly path: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly accountant?: AccountantKind;
  },
): Promise<Account> {
  const fn = 'Ledger.createAccount';
  checkPath(fn, options.path);
  if (!(options.epsilon > 0 && Number.isFinite(options.epsilon))) {
    throw new InvalidParameterError({
      fn,
      param: 'epsilon',
      value: options.epsilon,
      allowed: 'a finite number > 0',
    });
  }
  if (!(options.delta >= 0 && options.delta < 1)) {
    throw new InvalidParameterError({
      fn,
      param: 'delta',
      value: options.delta,
      allowed: 'a number in [0, 1)',
    });
  }
  const accountant = options.accountant ?? 'rdp';
  assertOneOf(fn, 'accountant', accountant, ACCOUNTANT_KINDS);
  const parts = options.path.split('/');
  const parent = parts.length > 1 ? parts.slice(0, -1).join('/') : null;
  return ctx.write(async (trx, log, head) => {
    // the parent's limits bound the child's: they must be the ones the log signed
    const state = await checkBudgetState(trx, head, parent ? ancestorsOf(parent) : [], ctx.budgetCache);
    const existing = await trx
      .selectFrom('accounts')
      .select('path')
      .where('path', '=', options.path)
      .executeTakeFirst();
    if (existing) {
      throw new ConfigError(
        [{ path: 'account', value: options.path, allowed: 'a path not used by another account' }],
        'budget create',
      );
    }
    if (parent) {
      const p = await trx.selectFrom('accounts').selectAll().where('path', '=', parent).executeTakeFirst();
      if (!p) {
        throw new ConfigError(
          [
            {
              path: 'account',
              value: options.path,
              allowed: `a child of an existing account (create "${parent}" first)`,
            },
          ],
          'budget create',
        );
      }
      if (options.epsilon > p.epsilon_limit || options.delta > p.delta_limit) {
        throw new ConfigError(
          [
            {
              path: 'limits',
              value: { epsilon: options.epsilon, delta: options.delta },
              allowed: `at most the parent's (epsilon ${p.epsilon_limit}, delta ${p.delta_limit})`,
            },
          ],
          'budget create',
        );
      }
    }
    const row = {
      path: options.path,
      parent,
      epsilon_limit: options.epsilon,
      delta_limit: options.delta,
      accountant,
      created_at: ctx.now().toISOString(),
    };
    await trx.insertInto('accounts').values(row).execute();
    await log({
      action: 'account.create',
      account: row.path,
      outcome: 'created',
      detail: {
        epsilon: row.epsilon_limit,
        delta: row.delta_limit,
        accountant,
        budgetState: await state.update([row.path]),
      },
    });
    return toAccount(row);
  });
}

/** The account at `path`. @throws {ConfigError} when there is none */
export async function accountIn(db: Kysely<LedgerSchema>, path: string): Promise<Account> {
  checkPath('Ledger.account', path);
  const row = await db.selectFrom('accounts').selectAll().where('path', '=', path).executeTakeFirst();
  if (!row)
    throw new ConfigError([{ path: 'account', value: path, allowed: 'an existing account' }], 'ledger');
  return toAccount(row);
}

/** Where `path` stands: its subtree's granted events composed under its accountant. */
export async function statusIn(
  db: Kysely<LedgerSchema>,
  path: string,
  options: { readonly naiveSum?: boolean } = {},
): Promise<AccountStatus> {
  const account = await accountIn(db, path);
  // the subtree's history from its running totals (a few dozen rows), not from every spend below it
  const spent = composedEpsilonOfGroups(
    account.accountant,
    await subtreeTotals(db, account.path),
    account.deltaLimit,
  );

  const naive = options.naiveSum
    ? composeStoredSpends(account.accountant, await grantedEvents(db, account.path), account.deltaLimit, {
        naiveSum: true,
      }).naiveSum
    : null;
  return {
    account,
    epsilonSpent: spent,
    epsilonRemaining: account.epsilonLimit - spent,
    spends: await subtreeSpends(db, account.path),
    epsilonNaiveSum: naive,
  };
}

/** Every account, by path. */
export async function accountsIn(db: Kysely<LedgerSchema>): Promise<Account[]> {
  const rows = await db.selectFrom('accounts').selectAll().orderBy('path').execute();
  return rows.map(toAccount);
}
