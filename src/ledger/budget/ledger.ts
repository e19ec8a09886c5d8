/**
 * The privacy-budget ledger: hierarchical accounts (organisation → project → dataset → job, any depth), each
 * with an (epsilon, delta) limit and an accountant kind; spends are sets of privacy events (ARCHITECTURE
 * decision 2), and an account's spent epsilon is the composition of every granted event in its subtree under
 * its own accountant at its own delta — so the remaining budget is as large as the mathematics allows, not a
 * sum of rounded epsilons.
 *
 * Check-and-spend is atomic: on SQLite the whole check runs inside BEGIN IMMEDIATE (one writer at a time across
 * processes, others wait on the busy timeout), and a spend is one INSERT committed with the check, so a crash
 * leaves the ledger with the spend or without it, never half. A spend must fit its account and every ancestor.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import {
  ACCOUNTANT_KINDS,
  type AccountantKind,
  createAccountant,
  type PrivacyEvent,
  PrivacyEventSchema,
  validateEvent,
} from '../../accounting/index.js';
import {
  assertOneOf,
  BudgetExceededError,
  ConfigError,
  InvalidParameterError,
  UnsupportedError,
} from '../../core/index.js';
import { DEFAULT_LEDGER_URL, type LedgerDatabase, openLedgerDatabase } from '../store/database.js';
import type { LedgerSchema } from '../store/schema.js';
import { composedEpsilon } from './compose.js';

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
  /** The naive sum of each spend's own epsilon at the same delta (what a spreadsheet would add up). */
  readonly epsilonNaiveSum: number;
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
function checkPath(fn: string, path: unknown): asserts path is string {
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

function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/')).reverse(); // self first, root last
}

function toAccount(row: LedgerSchema['accounts']): Account {
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
function inSubtree(path: string) {
  return (eb: ExpressionBuilder<LedgerSchema, 'spends'>) =>
    eb.or([
      eb('account', '=', path),
      eb.and([eb('account', '>=', `${path}/`), eb('account', '<', `${path}0`)]),
    ]);
}

export class Ledger {
  private constructor(
    private readonly store: LedgerDatabase,
    private readonly now: () => Date,
  ) {}

  /** Opens the ledger at `url` (default `sqlite:./veil-data/veil.db`), creating and migrating it if needed. */
  static async open(url: string = DEFAULT_LEDGER_URL, options: { now?: () => Date } = {}): Promise<Ledger> {
    return new Ledger(await openLedgerDatabase(url), options.now ?? (() => new Date()));
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /**
   * Creates an account. Its parent must exist (create the hierarchy top-down); a child's limit may not exceed
   * its parent's (it could never be used).
   * @throws {InvalidParameterError} bad path or limits; {@link ConfigError} an existing account or missing parent
   */
  async createAccount(options: {
    readonly path: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly accountant?: AccountantKind;
  }): Promise<Account> {
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
    return this.write(async (trx) => {
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
        created_at: this.now().toISOString(),
      };
      await trx.insertInto('accounts').values(row).execute();
      return toAccount(row);
    });
  }

  /** The account at `path`. @throws {ConfigError} when there is none */
  async account(path: string): Promise<Account> {
    checkPath('Ledger.account', path);
    const row = await this.store.db
      .selectFrom('accounts')
      .selectAll()
      .where('path', '=', path)
      .executeTakeFirst();
    if (!row)
      throw new ConfigError([{ path: 'account', value: path, allowed: 'an existing account' }], 'ledger');
    return toAccount(row);
  }

  /** Where `path` stands: its subtree's granted events composed under its accountant. */
  async status(path: string): Promise<AccountStatus> {
    const account = await this.account(path);
    return this.statusIn(this.store.db, account);
  }

  private async statusIn(db: Kysely<LedgerSchema>, account: Account): Promise<AccountStatus> {
    const rows = await db
      .selectFrom('spends')
      .select(['events'])
      .where('status', '=', 'granted')
      .where(inSubtree(account.path))
      .execute();
    const perSpend = rows.map((r) => JSON.parse(r.events) as PrivacyEvent[]);
    const all = perSpend.flat();
    const spent = composedEpsilon(account.accountant, all, account.deltaLimit);
    const naive = perSpend.reduce(
      (s, ev) => s + composedEpsilon(account.accountant, ev, account.deltaLimit),
      0,
    );
    return {
      account,
      epsilonSpent: spent,
      epsilonRemaining: account.epsilonLimit - spent,
      spends: rows.length,
      epsilonNaiveSum: naive,
    };
  }

  /**
   * Spends `events` on `account` for `purpose`, atomically: granted only if, with them, the account and every
   * ancestor stay within their limits (composed under each one's accountant at its delta).
   * @throws {BudgetExceededError} naming the account that would overflow and what remained there; nothing spent
   * @throws {InvalidParameterError} for malformed events or an empty purpose
   * @throws {UnsupportedError} when an account's accountant cannot compose an event
   */
  async spend(
    account: string,
    events: readonly PrivacyEvent[],
    options: {
      readonly purpose: string;
      /** Called inside the transaction after the checks and the insert, before the commit (crash tests). */
      readonly beforeCommit?: () => Promise<void>;
    },
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
    if (
      typeof options?.purpose !== 'string' ||
      options.purpose.trim() === '' ||
      options.purpose.length > 200
    ) {
      throw new InvalidParameterError({
        fn,
        param: 'purpose',
        value: options?.purpose,
        allowed: 'a non-empty description of at most 200 characters',
      });
    }
    return this.write(async (trx) => {
      const epsilonAfter: Record<string, number> = {};
      for (const path of ancestorsOf(account)) {
        const row = await trx.selectFrom('accounts').selectAll().where('path', '=', path).executeTakeFirst();
        if (!row)
          throw new ConfigError(
            [{ path: 'account', value: path, allowed: 'an existing account' }],
            'budget spend',
          );
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
        const rows = await trx
          .selectFrom('spends')
          .select(['events'])
          .where('status', '=', 'granted')
          .where(inSubtree(path))
          .execute();
        const history = rows.flatMap((r) => JSON.parse(r.events) as PrivacyEvent[]);
        const after = composedEpsilon(acc.accountant, [...history, ...checked], acc.deltaLimit);
        if (!(after <= acc.epsilonLimit)) {
          // the refusal's "before" only: a granted spend never needs it
          const spent = composedEpsilon(acc.accountant, history, acc.deltaLimit);
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
        epsilonAfter[path] = after;
      }
      const createdAt = this.now().toISOString();
      const inserted = await trx
        .insertInto('spends')
        .values({
          account,
          events: JSON.stringify(checked),
          purpose: options.purpose,
          status: 'granted',
          created_at: createdAt,
          refunded_at: null,
          refund_reason: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await options.beforeCommit?.();
      return { id: inserted.id, account, purpose: options.purpose, epsilonAfter, createdAt };
    });
  }

  /**
   * Refunds a granted spend whose events never ran (the job failed before any release). The spend stays in the
   * ledger, marked refunded with the reason; a spend whose events ran must never be refunded.
   * @throws {ConfigError} for an unknown or already refunded spend
   */
  async refund(id: number, reason: string): Promise<void> {
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
    await this.write(async (trx) => {
      const row = await trx.selectFrom('spends').select(['status']).where('id', '=', id).executeTakeFirst();
      if (!row || row.status !== 'granted') {
        throw new ConfigError([{ path: 'spend', value: id, allowed: 'a granted spend' }], 'budget refund');
      }
      await trx
        .updateTable('spends')
        .set({ status: 'refunded', refunded_at: this.now().toISOString(), refund_reason: reason })
        .where('id', '=', id)
        .execute();
    });
  }

  /** The spends of an account's subtree, oldest first. */
  async spends(path: string): Promise<
    {
      id: number;
      account: string;
      purpose: string;
      status: string;
      events: PrivacyEvent[];
      createdAt: string;
    }[]
  > {
    checkPath('Ledger.spends', path);
    const rows = await this.store.db
      .selectFrom('spends')
      .selectAll()
      .where(inSubtree(path))
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      account: r.account,
      purpose: r.purpose,
      status: r.status,
      events: (JSON.parse(r.events) as unknown[]).map((e) => PrivacyEventSchema.parse(e)),
      createdAt: r.created_at,
    }));
  }

  private write<T>(body: (trx: Kysely<LedgerSchema>) => Promise<T>): Promise<T> {
    return this.store.writeTransaction(body);
  }
}
