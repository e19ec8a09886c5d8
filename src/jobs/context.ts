/**
 * What every job receives besides its spec: where the ledger is, who asks, the randomness, a progress channel
 * and cancellation. The CLI builds one per command; the HTTP service (later) one per request.
 */

import type { PrivacyEvent } from '../accounting/index.js';
import { ConfigError, csprng, type Rng, seededRng, VeilError } from '../core/index.js';
import { DEFAULT_LEDGER_URL, Ledger, type SpendReceipt } from '../ledger/index.js';
import type { EpochMetrics, TrainingProgress } from '../train/index.js';

/** Something a running job reports, for a progress display or a log: never a secret or a raw record. */
export type JobEvent =
  | { readonly kind: 'warning'; readonly message: string }
  | { readonly kind: 'note'; readonly message: string }
  | { readonly kind: 'ledger'; readonly message: string }
  /** A long stage's advance: `done` of `total` units (a simulation's nodes, a round's updates), in words too. */
  | {
      readonly kind: 'progress';
      readonly stage: string;
      readonly done: number;
      readonly total: number;
      readonly message: string;
    }
  | ({ readonly kind: 'train-step' } & TrainingProgress)
  | ({ readonly kind: 'train-epoch' } & EpochMetrics);

/** How a job uses the ledger. */
export interface LedgerUse {
  /**
   * Create the ledger when it does not exist (default true). A job that only reads passes false: a missing
   * SQLite ledger is then a ConfigError and nothing is created (see `Ledger.open`).
   */
  readonly create?: boolean;
}

/** How a job reaches the ledger: opened on first use, for the duration of `body`. */
export interface LedgerAccess {
  /** The ledger's URL (`sqlite:PATH` or `postgres://…`), for messages. */
  readonly url: string;
  use<T>(body: (ledger: Ledger) => Promise<T>, options?: LedgerUse): Promise<T>;
}

/** What a job asks the ledger to spend: once, after every check that can fail, before any noise is drawn. */
export interface ChargeRequest {
  readonly account: string;
  readonly events: readonly PrivacyEvent[];
  readonly purpose: string;
  readonly dataset?: string;
}

/**
 * How a job pays for its plan. The default spends on the ledger ({@link defaultCharge}); the HTTP service passes
 * one that uses the budget it reserved when the job was submitted (the same account and events, or a refusal).
 */
export type Charge = (ledger: Ledger, request: ChargeRequest) => Promise<SpendReceipt>;

/** Spends the request's events on its account (the CLI's way: the charge is the spend). */
export const defaultCharge: Charge = (ledger, r) =>
  ledger.spend(r.account, r.events, {
    purpose: r.purpose,
    ...(r.dataset === undefined ? {} : { dataset: r.dataset }),
  });

/** The context of one job run. */
export interface JobContext {
  readonly ledger: LedgerAccess;
  /** Who runs the job (recorded in the audit log where the job writes to it). */
  readonly principal: string;
  /** Absent: every random draw comes from the CSPRNG. Present: reproducible runs, marked NOT private. */
  readonly seed?: number;
  readonly progress: (event: JobEvent) => void;
  readonly signal?: AbortSignal;
  /** How the job pays for its plan (default {@link defaultCharge}). */
  readonly pay?: Charge;
}

/** The ledger URL a job uses: the given one, else $VEIL_DB, else {@link DEFAULT_LEDGER_URL}. */
export function ledgerUrl(db: string | undefined): string {
  return db ?? (process.env['VEIL_DB'] || DEFAULT_LEDGER_URL);
}

/** How {@link ledgerAt} names the ledger's URL in its errors. */
export interface LedgerAtOptions {
  /** What the user wrote the URL as (`--db`, `budget.db`); default `ledger`. */
  readonly name?: string;
  /** Who acts in the audit log (default: $VEIL_ACTOR, else the OS user). */
  readonly actor?: string;
  /** The audit signing key file (default: the ledger's, $VEIL_AUDIT_KEY_FILE or beside a SQLite file). */
  readonly auditKeyFile?: string;
}

const LEDGER_URLS =
  'sqlite:PATH (a file, created on first use), sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DB';

/** Errors of the storage itself while opening (not a SQLite file, no permission): the URL points at the wrong thing. */
const OPEN_FAILURES = new Set([
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_PERM',
  'SQLITE_AUTH',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EACCES',
  'EPERM',
  'EROFS',
]);

/**
 * Opens the ledger at `url`. A URL of another kind, or one whose storage cannot be opened as a ledger (a
 * directory, a file that is not SQLite, no permission), is a configuration problem named as the user wrote it.
 * @throws {ConfigError} at `name`
 */
async function openLedger(
  url: string,
  create: boolean,
  name: string,
  actor?: string,
  auditKeyFile?: string,
): Promise<Ledger> {
  if (!/^postgres(ql)?:\/\/./.test(url) && !/^sqlite:./.test(url))
    throw new ConfigError([{ path: name, value: url, allowed: LEDGER_URLS }], 'ledger');
  try {
    return await Ledger.open(url, {
      create,
      ...(actor === undefined ? {} : { actor }),
      ...(auditKeyFile === undefined ? {} : { auditKeyFile }),
    });
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ConfigError(
        err.issues.map((i) => (i.path === 'ledger' ? { ...i, path: name } : i)),
        'ledger',
      );
    const code = (err as { code?: unknown }).code;
    if (err instanceof VeilError || typeof code !== 'string' || !OPEN_FAILURES.has(code)) throw err;
    throw new ConfigError(
      [{ path: name, value: url, allowed: `a ledger Veil can open (${(err as Error).message})` }],
      'ledger',
    );
  }
}

/** Access that opens the ledger at `url` for each use and closes it after (one process, one command). */
export function ledgerAt(url: string, options: LedgerAtOptions = {}): LedgerAccess {
  const name = options.name ?? 'ledger';
  return {
    url,
    async use(body, use = {}) {
      const ledger = await openLedger(url, use.create ?? true, name, options.actor, options.auditKeyFile);
      try {
        return await body(ledger);
      } finally {
        await ledger.close();
      }
    },
  };
}

/** Access to a ledger that stays open (a long-running service); `use` never closes it (nor creates it). */
export function sharedLedger(ledger: Ledger, url: string): LedgerAccess {
  return { url, use: (body) => body(ledger) };
}

/**
 * The job's random stream number `stream` (0, 1, …): the CSPRNG, or with a seed the seeded stream seed + stream
 * (so a seeded job's streams are independent and reproducible).
 */
export function jobRng(ctx: Pick<JobContext, 'seed'>, stream = 0): Rng {
  return ctx.seed === undefined ? csprng() : seededRng(ctx.seed + stream);
}

/** Throws the signal's reason when the job was cancelled (checked between a job's stages). */
export function checkCancelled(ctx: Pick<JobContext, 'signal'>): void {
  ctx.signal?.throwIfAborted();
}
