/**
 * Accounts as the ledger stores and checks them: the public types, path validation, the ancestors of a path,
 * and the byte-order range that selects an account's subtree (no LIKE: '_' is a valid segment character).
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { AccountantKind } from '../../accounting/index.js';
import { InvalidParameterError } from '../../core/index.js';
import type { LedgerSchema } from '../store/schema.js';

/** An account as stored. */
export interface Account {
  readonly path: string;
  readonly parent: string | null;
  readonly epsilonLimit: number;
  readonly deltaLimit: number;
  readonly accountant: AccountantKind;
  readonly createdAt: string;
}

/** Where an account stands. */
export interface AccountStatus {
  readonly account: Account;
  /** Epsilon of every granted event in the account's subtree, composed by its accountant at its delta limit. */
  readonly epsilonSpent: number;
  /** epsilonLimit - epsilonSpent (composition is not additive: the next spend's cost depends on the history). */
  readonly epsilonRemaining: number;
  /** Granted spends in the subtree. */
  readonly spends: number;
  /**
   * The naive sum of each spend's own epsilon at the same delta (what a spreadsheet would add up); null unless
   * asked for with `status(path, { naiveSum: true })` (it composes every distinct spend on its own).
   */
  readonly epsilonNaiveSum: number | null;
}

/** A granted spend. */
export interface SpendReceipt {
  readonly id: number;
  readonly account: string;
  readonly purpose: string;
  /** The account's spent epsilon after this spend, and that of every ancestor, by path. */
  readonly epsilonAfter: Readonly<Record<string, number>>;
  readonly createdAt: string;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks an account path: 1 to 8 segments of letters, digits, '.', '_' or '-' (64 characters at most each). */
export function checkPath(fn: string, path: unknown): asserts path is string {
  const ok =
    typeof path === 'string' && path.split('/').length <= 8 && path.split('/').every((s) => SEGMENT.test(s));
  if (!ok) {
    throw new InvalidParameterError({
      fn,
      param: 'account',
      value: path,
      allowed: "a path like 'org/project/dataset/job': 1-8 segments of letters, digits, '.', '_', '-'",
    });
  }
}

export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/')).reverse(); // self first, root last
}

export function toAccount(row: LedgerSchema['accounts']): Account {
  return {
    path: row.path,
    parent: row.parent,
    epsilonLimit: row.epsilon_limit,
    deltaLimit: row.delta_limit,
    accountant: row.accountant as AccountantKind,
    createdAt: row.created_at,
  };
}

/**
 * Spends of `path` and its descendants: the account itself, or a path in ['path/', 'path0') — '0' follows '/' in
 * byte order, so this range holds exactly the paths under 'path/' (no LIKE: '_' is a valid segment character).
 */
export function inSubtree(path: string) {
  return (eb: ExpressionBuilder<LedgerSchema, 'spends'>) =>
    eb.or([
      eb('account', '=', path),
      eb.and([eb('account', '>=', `${path}/`), eb('account', '<', `${path}0`)]),
    ]);
}

/** The granted spends' events in `path`'s subtree, one row per distinct events text with its count. */
export async function grantedEvents(
  db: Kysely<LedgerSchema>,
  path: string,
): Promise<{ events: string; count: number }[]> {
  const rows = await db
    .selectFrom('spends')
    .select((eb) => ['events', eb.fn.countAll<number | string>().as('count')])
    .where('status', '=', 'granted')
    .where(inSubtree(path))
    .groupBy('events')
    .execute();
  return rows.map((r) => ({ events: r.events, count: Number(r.count) }));
}
