/**
 * What every job receives besides its spec: where the ledger is, who asks, the randomness, a progress channel
 * and cancellation. The CLI builds one per command; the HTTP service (later) one per request.
 */
import { csprng, type Rng, seededRng } from '../core/index.js';
import { DEFAULT_LEDGER_URL, Ledger } from '../ledger/index.js';
import type { EpochMetrics, TrainingProgress } from '../train/index.js';

/** Something a running job reports, for a progress display or a log: never a secret or a raw record. */
export type JobEvent =
  | { readonly kind: 'warning'; readonly message: string }
  | { readonly kind: 'note'; readonly message: string }
  | { readonly kind: 'ledger'; readonly message: string }
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

/** The context of one job run. */
export interface JobContext {
  readonly ledger: LedgerAccess;
  /** Who runs the job (recorded in the audit log where the job writes to it). */
  readonly principal: string;
  /** Absent: every random draw comes from the CSPRNG. Present: reproducible runs, marked NOT private. */
  readonly seed?: number;
  readonly progress: (event: JobEvent) => void;
  readonly signal?: AbortSignal;
}

/** The ledger URL a job uses: the given one, else $VEIL_DB, else {@link DEFAULT_LEDGER_URL}. */
export function ledgerUrl(db: string | undefined): string {
  return db ?? (process.env['VEIL_DB'] || DEFAULT_LEDGER_URL);
}

/** Access that opens the ledger at `url` for each use and closes it after (one process, one command). */
export function ledgerAt(url: string): LedgerAccess {
  return {
    url,
    async use(body, options = {}) {
      const ledger = await Ledger.open(url, { create: options.create ?? true });
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
