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
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Kysely } from 'kysely';
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
  ConsentError,
  IntegrityError,
  InvalidParameterError,
  UnsupportedError,
} from '../../core/index.js';
import {
  type AuditEntry,
  type AuditRecord,
  AuditSigner,
  type AuditVerification,
  appendAudit,
  type ConsistencyStep,
  fromHex,
  latestHead,
  nextWitness,
  readWitness,
  type SignedTreeHead,
  toEntry,
  toHex,
  witnessStep,
  writeWitness,
} from '../audit/log.js';
import {
  type AuditExport,
  type AuditQuery,
  auditEntriesIn,
  consistencyProofIn,
  exportAuditIn,
  inclusionProofIn,
  verifyAuditIn,
} from '../audit/queries.js';
import { type SecurityEvent, toAuditRecord } from '../audit/security-event.js';
import {
  consentError,
  type Dataset,
  type DatasetTerms,
  datasetLabel,
  datasetRow,
  refusalOf,
  toDataset,
} from '../consent/datasets.js';
import { DEFAULT_LEDGER_URL, type LedgerDatabase, openLedgerDatabase } from '../store/database.js';
import type { LedgerSchema } from '../store/schema.js';
import { addToTotals, rebuildTotals, subtreeSpends, subtreeTotals } from '../store/totals.js';
import {
  type Account,
  type AccountStatus,
  ancestorsOf,
  checkPath,
  grantedEvents,
  inSubtree,
  type SpendReceipt,
  toAccount,
} from './accounts.js';
import { composedEpsilonOfGroups, composeStoredSpends } from './compose.js';

/** Options of {@link Ledger.open}. */
export interface LedgerOptions {
  /** The clock (tests). */
  readonly now?: () => Date;
  /** Who acts, as recorded in the audit log: default $VEIL_ACTOR, else the OS user name. */
  readonly actor?: string;
  /**
   * The audit signing key file (created on first use, mode 0600). Default: $VEIL_AUDIT_KEY_FILE, else beside a SQLite file
   * (`veil.db.audit-key`); `./veil-data/postgres-<id>.audit-key` for PostgreSQL; in memory for `sqlite::memory:`.
   * The witness head is kept next to it (`….audit-head.json`).
   */
  readonly auditKeyFile?: string;
}

function defaultActor(): string {
  if (process.env.VEIL_ACTOR) return process.env.VEIL_ACTOR;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

function defaultKeyFile(store: LedgerDatabase): string | null {
  // hosts sharing one PostgreSQL ledger must sign with one key: point them all at the same file
  if (process.env.VEIL_AUDIT_KEY_FILE) return resolve(process.env.VEIL_AUDIT_KEY_FILE);
  if (store.dialect === 'sqlite') return store.location === ':memory:' ? null : `${store.location}.audit-key`;
  const id = createHash('sha256').update(store.location).digest('hex').slice(0, 12);
  return resolve('veil-data', `postgres-${id}.audit-key`);
}

/** A lineage record: which data, which model, which spends (provenance). */
export interface JobRecord {
  readonly job: string;
  readonly account?: string;
  readonly datasets: readonly string[];
  readonly purpose: string;
  /** e.g. 'sha256:<hex>' of the model's weights. */
  readonly modelHash?: string;
  readonly spendIds?: readonly number[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

type Log = (record: Omit<AuditRecord, 'actor'>) => Promise<void>;

export class Ledger {
  private witnessInMemory: SignedTreeHead | null = null;

  private constructor(
    private readonly store: LedgerDatabase,
    private readonly now: () => Date,
    private readonly signer: AuditSigner,
    /** Who acts, as the audit log records it. */
    readonly actor: string,
    private readonly witnessFile: string | null,
  ) {}

  /** Opens the ledger at `url` (default `sqlite:./veil-data/veil.db`), creating and migrating it if needed. */
  static async open(url: string = DEFAULT_LEDGER_URL, options: LedgerOptions = {}): Promise<Ledger> {
    const store = await openLedgerDatabase(url);
    try {
      const keyFile = options.auditKeyFile ?? defaultKeyFile(store);
      // created on first use, with its directory (for PostgreSQL, ./veil-data need not exist)
      if (keyFile !== null) mkdirSync(dirname(keyFile), { recursive: true });
      const signer = keyFile === null ? AuditSigner.ephemeral() : AuditSigner.loadOrCreate(keyFile);
      const witness = keyFile === null ? null : `${keyFile.replace(/\.audit-key$/, '')}.audit-head.json`;
      const actor = (options.actor ?? defaultActor()).slice(0, 200);
      return new Ledger(store, options.now ?? (() => new Date()), signer, actor, witness);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  /** Where the database lives (SQLite file path, or the PostgreSQL URL without its password), and its dialect. */
  get location(): { readonly location: string; readonly dialect: 'sqlite' | 'postgres' } {
    return { location: this.store.location, dialect: this.store.dialect };
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
    return this.write(async (trx, log) => {
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
      await log({
        action: 'account.create',
        account: row.path,
        outcome: 'created',
        detail: { epsilon: row.epsilon_limit, delta: row.delta_limit, accountant },
      });
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
  async status(path: string, options: { readonly naiveSum?: boolean } = {}): Promise<AccountStatus> {
    const account = await this.account(path);
    return this.statusIn(this.store.db, account, options);
  }

  private async statusIn(
    db: Kysely<LedgerSchema>,
    account: Account,
    options: { readonly naiveSum?: boolean } = {},
  ): Promise<AccountStatus> {
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

  /**
   * Spends `events` on `account` for `purpose`, atomically: granted only if, with them, the account and every
   * ancestor stay within their limits (composed under each one's accountant at its delta).
   * @throws {BudgetExceededError} naming the account that would overflow and what remained there; nothing spent
   * @throws {InvalidParameterError} for malformed events or an empty purpose
   * @throws {UnsupportedError} when an account's accountant cannot compose an event
   * @throws {ConsentError} when the dataset's terms do not allow the purpose; nothing spent, refusal audited
   */
  async spend(
    account: string,
    events: readonly PrivacyEvent[],
    options: {
      readonly purpose: string;
      /**
       * The registered dataset the events are spent on: its consent terms are checked (purpose allowed, retention
       * not over) in the same transaction; a refusal throws {@link ConsentError} and is audited.
       */
      readonly dataset?: string;
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
    const purpose = options.purpose;
    let datasetName: string | null = options.dataset ?? null;
    try {
      return await this.write(async (trx, log) => {
        if (options.dataset !== undefined) {
          const d = await this.datasetIn(trx, options.dataset);
          datasetName = datasetLabel(d);
          const refusal = refusalOf(d, purpose, this.now());
          if (refusal) throw consentError(d.name, purpose, refusal);
        }
        const epsilonAfter: Record<string, number> = {};
        for (const path of ancestorsOf(account)) {
          const row = await trx
            .selectFrom('accounts')
            .selectAll()
            .where('path', '=', path)
            .executeTakeFirst();
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
          const history = await subtreeTotals(trx, path);
          const after = composedEpsilonOfGroups(
            acc.accountant,
            history.clone().addAll(checked),
            acc.deltaLimit,
          );
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
            dataset: options.dataset ?? null,
            actor: this.actor,
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
          detail: { spendId: inserted.id, epsilonAfter },
        });
        await options.beforeCommit?.();
        return { id: inserted.id, account, purpose: options.purpose, epsilonAfter, createdAt };
      });
    } catch (err) {
      if (err instanceof BudgetExceededError || err instanceof ConsentError) {
        // the spend's transaction rolled back; the refusal is recorded in one of its own
        await this.write(async (_trx, log) =>
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
    await this.write(async (trx, log) => {
      const row = await trx
        .selectFrom('spends')
        .select(['status', 'account', 'purpose', 'dataset', 'events'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (row?.status !== 'granted') {
        throw new ConfigError([{ path: 'spend', value: id, allowed: 'a granted spend' }], 'budget refund');
      }
      await trx
        .updateTable('spends')
        .set({ status: 'refunded', refunded_at: this.now().toISOString(), refund_reason: reason })
        .where('id', '=', id)
        .execute();
      await addToTotals(trx, row.account, JSON.parse(row.events) as PrivacyEvent[], -1);
      await log({
        action: 'budget.refund',
        account: row.account,
        purpose: row.purpose,
        outcome: 'refunded',
        detail: { spendId: id, reason },
      });
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
      dataset: string | null;
      actor: string | null;
      createdAt: string;
      refundReason: string | null;
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
      dataset: r.dataset,
      actor: r.actor,
      createdAt: r.created_at,
      refundReason: r.refund_reason,
    }));
  }

  /** Every account, by path. */
  async accounts(): Promise<Account[]> {
    const rows = await this.store.db.selectFrom('accounts').selectAll().orderBy('path').execute();
    return rows.map(toAccount);
  }

  /**
   * Recomputes every account's running totals from the spends table (they are derived data: the spend and
   * refund transactions keep them; use this after writing spends by other means, e.g. an import).
   */
  async rebuildTotals(): Promise<void> {
    await this.store.writeTransaction((trx) => rebuildTotals(trx));
  }

  // ---- datasets, consent and provenance ----

  /**
   * Registers a dataset with its consent terms (audited). Register the same name again to change its terms: the
   * old terms stay in the audit log.
   */
  async registerDataset(terms: DatasetTerms): Promise<Dataset> {
    const row = datasetRow(terms, this.actor, this.now().toISOString());
    return this.write(async (trx, log) => {
      const existing = await trx
        .selectFrom('datasets')
        .select('name')
        .where('name', '=', row.name)
        .executeTakeFirst();
      if (existing) {
        await trx.updateTable('datasets').set(row).where('name', '=', row.name).execute();
      } else {
        await trx.insertInto('datasets').values(row).execute();
      }
      const d = toDataset(row);
      await log({
        action: existing ? 'dataset.update' : 'dataset.register',
        dataset: datasetLabel(d),
        outcome: existing ? 'updated' : 'registered',
        detail: { purposes: d.purposes, retainUntil: d.retainUntil, constraints: d.constraints },
      });
      return d;
    });
  }

  /** The dataset called `name`. @throws {ConfigError} when none is registered */
  async dataset(name: string): Promise<Dataset> {
    return this.datasetIn(this.store.db, name);
  }

  private async datasetIn(db: Kysely<LedgerSchema>, name: string): Promise<Dataset> {
    const row = await db.selectFrom('datasets').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) {
      throw new ConfigError(
        [{ path: 'dataset', value: name, allowed: 'a registered dataset (veil dataset register)' }],
        'ledger',
      );
    }
    return toDataset(row);
  }

  /** Every registered dataset. */
  async datasets(): Promise<Dataset[]> {
    const rows = await this.store.db.selectFrom('datasets').selectAll().orderBy('name').execute();
    return rows.map(toDataset);
  }

  /**
   * Checks, before any data is read, that `dataset`'s consent terms allow `purpose` now, and audits the outcome.
   * With `fingerprint` (called only once the terms allow the use, e.g. `() => fingerprintFile(path)`), also checks
   * that the data about to be used is the registered data.
   * @throws {ConsentError} purpose not allowed or retention over (the refusal is in the audit log)
   * @throws {IntegrityError} the data's fingerprint differs from the registered one (audited too)
   */
  async authorize(
    dataset: string,
    purpose: string,
    options: { fingerprint?: () => Promise<string> } = {},
  ): Promise<Dataset> {
    const d = await this.dataset(dataset);
    const refusal = refusalOf(d, purpose, this.now());
    let mismatch: string | null = null;
    if (!refusal && options.fingerprint) {
      const actual = await options.fingerprint();
      if (actual !== d.fingerprint) mismatch = actual;
    }
    await this.write(async (_trx, log) =>
      log({
        action: 'dataset.access',
        dataset: datasetLabel(d),
        purpose,
        outcome: refusal || mismatch ? 'refused' : 'allowed',
        detail: refusal
          ? { reason: refusal.reason, message: refusal.message }
          : mismatch
            ? { reason: 'fingerprint', found: mismatch }
            : { fingerprintChecked: options.fingerprint !== undefined },
      }),
    );
    if (refusal) throw consentError(d.name, purpose, refusal);
    if (mismatch) {
      throw new IntegrityError(
        `dataset "${d.name}" was registered with fingerprint ${d.fingerprint}, but the data given has ${mismatch}: ` +
          'it is not the registered data (register the new version first). The refusal is audited.',
        { dataset: d.name, expected: d.fingerprint, found: mismatch },
      );
    }
    return d;
  }

  /** Records a job's lineage in the audit log: which data, which model, which spends (provenance). */
  async recordJob(job: JobRecord): Promise<AuditEntry> {
    const labels: string[] = [];
    for (const name of job.datasets) labels.push(datasetLabel(await this.dataset(name)));
    return this.appendOne({
      action: 'job.complete',
      account: job.account ?? null,
      dataset: labels.join(', ') || null,
      purpose: job.purpose,
      outcome: 'recorded',
      detail: {
        job: job.job,
        ...(job.modelHash ? { modelHash: job.modelHash } : {}),
        spendIds: job.spendIds ?? [],
        ...(job.detail ?? {}),
      },
    });
  }

  /**
   * Appends a security event to the audit log without a spend (a refused registration, an expelled node, a
   * failed attestation): the same signed, hash-chained log, checked before signing like every append.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a malformed or reserved action, outcome or detail
   *   (nothing is written)
   * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the log was tampered with (nothing is written)
   * @example await ledger.recordEvent({ action: 'fl.registration', outcome: 'refused', subject: 'node-7' })
   */
  async recordEvent(event: SecurityEvent): Promise<AuditEntry> {
    return this.appendOne(toAuditRecord(event));
  }

  /** Appends one audit entry on its own and returns it as stored. */
  private appendOne(record: Omit<AuditRecord, 'actor'>): Promise<AuditEntry> {
    return this.write(async (trx, log) => {
      await log(record);
      const last = await trx
        .selectFrom('audit_entries')
        .selectAll()
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      return toEntry(last);
    });
  }

  // ---- the audit log ----

  /** Audit entries, oldest first, optionally from `from`, at most `limit`, filtered by account, dataset or outcome. */
  auditEntries(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return auditEntriesIn(this.store.db, query);
  }

  /** The newest signed tree head, or null for an empty log. */
  async auditHead(): Promise<SignedTreeHead | null> {
    return latestHead(this.store.db);
  }

  /** The ledger's audit public key (raw Ed25519, hex) and its id: give them to whoever verifies the log. */
  get auditKey(): { readonly publicKey: string; readonly keyId: string; readonly keyFile: string | null } {
    return {
      publicKey: toHex(this.signer.publicKey),
      keyId: this.signer.keyId,
      keyFile: this.signer.keyFile,
    };
  }

  /**
   * Verifies the whole audit log (see verifyAudit): entries, chain, every signed head, coverage, and the witness
   * head kept outside the database. `trustedPublicKey` (hex) defaults to this ledger's key file.
   */
  verifyAudit(options: { trustedPublicKey?: string } = {}): Promise<AuditVerification> {
    const witness = this.witnessFile ? readWitness(this.witnessFile) : this.witnessInMemory;
    const key = options.trustedPublicKey ? fromHex(options.trustedPublicKey) : this.signer.publicKey;
    return verifyAuditIn(this.store.db, key, witness);
  }

  /** An RFC 6962 inclusion proof of entry `seq` in the log at its newest signed head. */
  inclusionProof(seq: number): ReturnType<typeof inclusionProofIn> {
    return inclusionProofIn(this.store.db, seq);
  }

  /** An RFC 6962 consistency proof from the head of size `oldSize` to the newest head. */
  consistencyProof(oldSize: number): ReturnType<typeof consistencyProofIn> {
    return consistencyProofIn(this.store.db, oldSize);
  }

  /** Everything an outside auditor needs to verify the log offline: entries as stored, signed heads, public key. */
  exportAudit(): Promise<AuditExport> {
    return exportAuditIn(this.store.db, this.signer, this.now().toISOString());
  }

  /**
   * Runs `body` as one serialised write transaction; `log` appends audit entries inside it, so an entry and
   * the change it records commit together or not at all. Each append first checks the newest signed head and that
   * the log extends the witness head (appendAudit); before the commit, a consistency proof from the witness to the
   * newest head is built and checked, and after it the witness (the file outside the database) moves to that head
   * along the proof.
   * @throws {IntegrityError} the log was tampered with (see appendAudit); nothing was written
   */
  private async write<T>(body: (trx: Kysely<LedgerSchema>, log: Log) => Promise<T>): Promise<T> {
    let head: SignedTreeHead | null = null;
    let step: ConsistencyStep = { oldSize: 0, proof: [] };
    const result = await this.store.writeTransaction(async (trx) => {
      head = null;
      step = { oldSize: 0, proof: [] };
      const witness = this.witnessFile ? readWitness(this.witnessFile) : this.witnessInMemory;
      const log: Log = async (record) => {
        head = await appendAudit(
          trx,
          this.signer,
          { ...record, actor: this.actor },
          this.now().toISOString(),
          witness,
        );
      };
      const out = await body(trx, log);
      if (head) step = await witnessStep(trx, witness, head, this.signer.publicKey);
      return out;
    });
    const committed = head as SignedTreeHead | null;
    if (committed) {
      if (this.witnessFile) writeWitness(this.witnessFile, committed, step, this.signer.publicKey);
      else this.witnessInMemory = nextWitness(this.witnessInMemory, committed, step, this.signer.publicKey);
    }
    return result;
  }
}
