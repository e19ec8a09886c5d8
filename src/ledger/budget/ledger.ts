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
 *
 * The class owns the database, the signing key, the witness and the one write path ({@link Ledger.write}); its
 * methods delegate to the operations: accounts (hierarchy.ts), spends and refunds (spends.ts), datasets and
 * consent (consent/registry.ts), lineage and security events (audit/lineage.ts), reading the log
 * (audit/queries.ts).
 */
import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { AccountantKind, PrivacyEvent } from '../../accounting/index.js';
import { ensureDirectory, InvalidParameterError } from '../../core/index.js';
import { KEK_ENV, KEK_FILE_ENV, type Keyring, loadKeyring } from '../../crypto/index.js';
import { openAppend } from '../audit/append.js';
import { type AuditEntry, hex, type SignedTreeHead, unhex } from '../audit/format.js';
import { type JobRecord, recordEvent, recordJob } from '../audit/lineage.js';
import {
  type AuditExport,
  type AuditQuery,
  auditEntriesIn,
  consistencyProofIn,
  exportAuditIn,
  inclusionProofIn,
  latestHead,
  verifyAuditIn,
} from '../audit/queries.js';
import type { SecurityEvent } from '../audit/security-event.js';
import { AuditSigner } from '../audit/signer.js';
import type { AuditVerification } from '../audit/verify.js';
import {
  type ConsistencyStep,
  nextWitness,
  readWitness,
  witnessStep,
  writeWitness,
} from '../audit/witness.js';
import type { Dataset, DatasetTerms } from '../consent/datasets.js';
import { authorize, datasetIn, datasetsIn, registerDataset } from '../consent/registry.js';
import { DEFAULT_LEDGER_URL, type LedgerDatabase, openLedgerDatabase } from '../store/database.js';
import type { LedgerSchema } from '../store/schema.js';
import type { Account, AccountStatus, SpendReceipt } from './accounts.js';
import type { Alongside, LedgerContext, Log } from './context.js';
import { accountIn, accountsIn, createAccount, statusIn } from './hierarchy.js';
import { type BudgetVerification, verifyBudgetState } from './replay.js';
import {
  markUsed,
  refund,
  type SpendOptions,
  type SpendPage,
  type SpendRecord,
  spend,
  spendsIn,
} from './spends.js';

export type { JobRecord } from '../audit/lineage.js';

/** A ledger's verification: its audit log's, and its budget tables against the log's budget entries. */
export interface LedgerVerification extends AuditVerification {
  readonly budget: BudgetVerification;
}

/** Options of {@link Ledger.open}. */
export interface LedgerOptions {
  /**
   * Create a missing SQLite ledger, its directory and its audit key (default true). False for a command that only
   * reads: a missing file is a {@link ConfigError} and nothing is created. PostgreSQL ignores it.
   */
  readonly create?: boolean;
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
  /**
   * Seals the audit key file's seed (crypto/kek.ts). Default: the key-encryption key of `VEIL_KEK` /
   * `VEIL_KEK_FILE` when either is set, else none (the seed in clear, protected by the file's mode only).
   */
  readonly keyring?: Keyring | null;
}

/** The environment's key-encryption key, or null when none is configured. @throws {ConfigError} a bad one */
function keyringFromEnvironment(): Keyring | null {
  return process.env[KEK_ENV] || process.env[KEK_FILE_ENV] ? loadKeyring() : null;
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

/** What a ledger and its views made by {@link Ledger.as} share: the in-memory witness and the budget cache. */
interface SharedState {
  /** The witness head of a ledger without a witness file (`sqlite::memory:`). */
  readonly memoryWitness: { current: SignedTreeHead | null };
  readonly budgetCache: LedgerContext['budgetCache'];
  /** False for a view: closing it leaves the store open. */
  readonly owner: boolean;
}

export class Ledger {
  /** What the operations see of this ledger (context.ts). */
  private readonly ctx: LedgerContext;

  private constructor(
    private readonly store: LedgerDatabase,
    private readonly now: () => Date,
    private readonly signer: AuditSigner,
    /** Who acts, as the audit log records it. */
    readonly actor: string,
    private readonly witnessFile: string | null,
    private readonly shared: SharedState = {
      memoryWitness: { current: null },
      budgetCache: { current: null },
      owner: true,
    },
  ) {
    this.ctx = {
      db: store.db,
      now,
      actor,
      budgetCache: shared.budgetCache,
      write: (body) => this.write(body),
    };
  }

  /**
   * The same ledger, acting as `actor` in the audit log (a service acting for each caller in turn): one database,
   * key and witness; closing the view leaves the ledger open.
   * @throws {InvalidParameterError} for an actor that is not a non-empty string of at most 200 characters
   */
  as(actor: string): Ledger {
    if (typeof actor !== 'string' || actor.trim() === '' || actor.length > 200) {
      throw new InvalidParameterError({
        fn: 'Ledger.as',
        param: 'actor',
        value: actor,
        allowed: 'a non-empty name of at most 200 characters',
      });
    }
    return new Ledger(this.store, this.now, this.signer, actor.slice(0, 200), this.witnessFile, {
      ...this.shared,
      owner: false,
    });
  }

  /**
   * The ledger's database, for a service that keeps its own tables beside the ledger's (its own migrations, its
   * own rows; the HTTP service's principals and jobs). The ledger's own tables are written only through this
   * class. Writes that must commit with a ledger change go through an operation's `alongside` option.
   */
  get database(): LedgerDatabase {
    return this.store;
  }

  /**
   * Opens the ledger at `url` (default `sqlite:./veil-data/veil.db`), creating and migrating it if needed; with
   * `create: false`, a missing SQLite ledger is refused and nothing is created.
   * @throws {ConfigError} with `create: false`, when no SQLite file is at `url`
   */
  static async open(url: string = DEFAULT_LEDGER_URL, options: LedgerOptions = {}): Promise<Ledger> {
    const store = await openLedgerDatabase(url, { create: options.create ?? true });
    try {
      const keyFile = options.auditKeyFile ?? defaultKeyFile(store);
      // created on first use, with its directory (for PostgreSQL, ./veil-data need not exist)
      if (keyFile !== null) ensureDirectory(dirname(keyFile));
      const keyring = options.keyring !== undefined ? options.keyring : keyringFromEnvironment();
      const signer = keyFile === null ? AuditSigner.ephemeral() : AuditSigner.loadOrCreate(keyFile, keyring);
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

  /** Closes the database (a view made by {@link Ledger.as} closes nothing). */
  async close(): Promise<void> {
    if (this.shared.owner) await this.store.close();
  }

  /**
   * Creates an account. Its parent must exist (create the hierarchy top-down); a child's limit may not exceed
   * its parent's (it could never be used).
   * @throws {InvalidParameterError} bad path or limits; {@link ConfigError} an existing account or missing parent
   */
  createAccount(options: {
    readonly path: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly accountant?: AccountantKind;
  }): Promise<Account> {
    return createAccount(this.ctx, options);
  }

  /** The account at `path`. @throws {ConfigError} when there is none */
  account(path: string): Promise<Account> {
    return accountIn(this.store.db, path);
  }

  /** Where `path` stands: its subtree's granted events composed under its accountant. */
  status(path: string, options: { readonly naiveSum?: boolean } = {}): Promise<AccountStatus> {
    return statusIn(this.store.db, path, options);
  }

  /**
   * Spends `events` on `account` for `purpose`, atomically: granted only if, with them, the account and every
   * ancestor stay within their limits (composed under each one's accountant at its delta).
   * @throws {BudgetExceededError} naming the account that would overflow and what remained there; nothing spent
   * @throws {InvalidParameterError} for malformed events or an empty purpose
   * @throws {UnsupportedError} when an account's accountant cannot compose an event
   * @throws {ConsentError} when the dataset's terms do not allow the purpose; nothing spent, refusal audited
   */
  spend(account: string, events: readonly PrivacyEvent[], options: SpendOptions): Promise<SpendReceipt> {
    return spend(this.ctx, account, events, options);
  }

  /**
   * Refunds a granted spend whose events never ran (the job failed before any release). The spend stays in the
   * ledger, marked refunded with the reason; a spend whose events ran must never be refunded.
   * @throws {ConfigError} for an unknown or already refunded spend
   */
  refund(id: number, reason: string, options: { readonly alongside?: Alongside } = {}): Promise<void> {
    return refund(this.ctx, id, reason, options);
  }

  /**
   * Marks a granted spend used: its events are about to run, so it can never be refunded (audited as
   * `budget.use`; {@link refund} refuses a used spend whatever else says otherwise). `alongside` writes commit in
   * the same transaction.
   * @returns the spend's receipt as granted (what {@link spend} answered then, `epsilonAfter` included)
   * @throws {ConfigError} for an unknown or refunded spend
   * @throws {IntegrityError} for a spend already used (a spend's events run once), or one the log never granted
   */
  markUsed(id: number, options: { readonly alongside?: Alongside } = {}): Promise<SpendReceipt> {
    return markUsed(this.ctx, id, options);
  }

  /**
   * The spends of an account's subtree, oldest first; with `page`, only those after spend id `page.after`, at
   * most `page.limit` of them (a caller pages through a long history with the last id it got).
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a page's `after` or `limit` that is not a
   *   non-negative (limit: positive) integer
   */
  spends(path: string, page?: SpendPage): Promise<SpendRecord[]> {
    return spendsIn(this.store.db, path, page);
  }

  /** Every account, by path. */
  accounts(): Promise<Account[]> {
    return accountsIn(this.store.db);
  }

  // ---- datasets, consent and provenance ----

  /**
   * Registers a dataset with its consent terms (audited). Register the same name again to change its terms: the
   * old terms stay in the audit log.
   */
  registerDataset(terms: DatasetTerms): Promise<Dataset> {
    return registerDataset(this.ctx, terms);
  }

  /** The dataset called `name`. @throws {ConfigError} when none is registered */
  dataset(name: string): Promise<Dataset> {
    return datasetIn(this.store.db, name);
  }

  /** Every registered dataset. */
  datasets(): Promise<Dataset[]> {
    return datasetsIn(this.store.db);
  }

  /**
   * Checks, before any data is read, that `dataset`'s consent terms allow `purpose` now, and audits the outcome.
   * With `fingerprint` (called only once the terms allow the use, e.g. `() => fingerprintFile(path)`), also checks
   * that the data about to be used is the registered data.
   * @throws {ConsentError} purpose not allowed or retention over (the refusal is in the audit log)
   * @throws {IntegrityError} the data's fingerprint differs from the registered one (audited too)
   */
  authorize(
    dataset: string,
    purpose: string,
    options: { fingerprint?: () => Promise<string> } = {},
  ): Promise<Dataset> {
    return authorize(this.ctx, dataset, purpose, options);
  }

  /** Records a job's lineage in the audit log: which data, which model, which spends (provenance). */
  recordJob(job: JobRecord, options: { readonly alongside?: Alongside } = {}): Promise<AuditEntry> {
    return recordJob(this.ctx, job, options);
  }

  /**
   * Appends a security event to the audit log without a spend (a refused registration, an expelled node, a
   * failed attestation): the same signed, hash-chained log, checked before signing like every append.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a malformed or reserved action, outcome or detail
   *   (nothing is written)
   * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the log was tampered with (nothing is written)
   * @example await ledger.recordEvent({ action: 'fl.registration', outcome: 'refused', subject: 'node-7' })
   */
  recordEvent(event: SecurityEvent, options: { readonly alongside?: Alongside } = {}): Promise<AuditEntry> {
    return recordEvent(this.ctx, event, options);
  }

  // ---- the audit log ----

  /**
   * Audit entries, oldest first (or newest first with `order: 'desc'`), from `from` and before `before`, at most
   * `limit`, filtered by account, dataset, outcome or action.
   */
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
      publicKey: hex(this.signer.publicKey),
      keyId: this.signer.keyId,
      keyFile: this.signer.keyFile,
    };
  }

  /**
   * Verifies the whole audit log (see verifyAudit): entries, chain, every signed head, coverage, and the witness
   * head kept outside the database; then replays the log's budget entries and compares every account, spend and
   * running total with the tables (replay.ts). `ok` only when both hold. `trustedPublicKey` (hex) defaults to this
   * ledger's key file.
   */
  async verifyAudit(options: { trustedPublicKey?: string } = {}): Promise<LedgerVerification> {
    const witness = this.witnessFile ? readWitness(this.witnessFile) : this.shared.memoryWitness.current;
    const key = options.trustedPublicKey ? unhex(options.trustedPublicKey) : this.signer.publicKey;
    const log = await verifyAuditIn(this.store.db, key, witness);
    const budget = await verifyBudgetState(this.store.db);
    return { ...log, ok: log.ok && budget.ok, budget };
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
   * the log extends the witness head (openAppend); before the commit, a consistency proof from the witness to the
   * newest head is built and checked, and after it the witness (the file outside the database) moves to that head
   * along the proof.
   * @throws {IntegrityError} the log was tampered with (see openAppend); nothing was written
   */
  private async write<T>(
    body: (trx: Kysely<LedgerSchema>, log: Log, head: SignedTreeHead | null) => Promise<T>,
  ): Promise<T> {
    let head: SignedTreeHead | null = null;
    let step: ConsistencyStep = { oldSize: 0, proof: [] };
    const result = await this.store.writeTransaction(async (trx) => {
      head = null;
      step = { oldSize: 0, proof: [] };
      const witness = this.witnessFile ? readWitness(this.witnessFile) : this.shared.memoryWitness.current;
      // the log is checked before the body reads anything (its budget checks trust the signed heads)
      const appender = await openAppend(trx, this.signer, witness);
      const log: Log = async (record) => {
        head = await appender.append({ ...record, actor: this.actor }, this.now().toISOString());
      };
      const out = await body(trx, log, appender.checkedHead);
      if (head) step = await witnessStep(trx, witness, head, this.signer.publicKey);
      return out;
    });
    const committed = head as SignedTreeHead | null;
    if (committed) {
      if (this.witnessFile) writeWitness(this.witnessFile, committed, step, this.signer.publicKey);
      else
        this.shared.memoryWitness.current = nextWitness(
          this.shared.memoryWitness.current,
          committed,
          step,
          this.signer.publicKey,
        );
    }
    return result;
  }
}
