/**
 * The service's jobs: submission with the budget reserved in the same transaction as the job's row, claims with
 * leases, the reservation consumed when the run charges it, and the end of a run settled exactly once: success
 * keeps the spend; a failure before the charge refunds it (in the transaction that marks the job failed); a
 * failure after it keeps it (noise may have been drawn). A job whose worker vanished is found by its expired lease:
 * re-queued when its budget was not yet used, failed when it was. Every query names the organisation.
 */
import type { Kysely } from 'kysely';
import { IntegrityError } from '../../core/index.js';
import type { ChargeRequest, JobEvent } from '../../jobs/index.js';
import type { Ledger, SpendReceipt } from '../../ledger/index.js';
import { HttpError } from '../../transport/index.js';
import { randomId } from '../auth/keys.js';
import type { Caller } from './identity.js';
import { type ClaimByIdResult, type ClaimContext, claimById, claimNext, finishIn } from './leases.js';
import type { ServiceJobTable, ServiceSchema } from './schema.js';

export type { ClaimByIdResult } from './leases.js';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A job as the API shows it. */
export interface JobView {
  readonly id: string;
  readonly org: string;
  readonly kind: string;
  readonly state: JobState;
  readonly submittedBy: string;
  readonly priority: number;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly timeoutSeconds: number;
  readonly spend: { readonly id: number; readonly account: string; readonly reservation: string } | null;
  readonly cancelRequested: boolean;
  readonly result: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

type Row = ServiceJobTable;

export function jobView(r: Row): JobView {
  return {
    id: r.id,
    org: r.org,
    kind: r.kind,
    state: r.state as JobState,
    submittedBy: r.actor,
    priority: r.priority,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    timeoutSeconds: r.timeout_seconds,
    spend:
      r.spend_id === null || r.spend_account === null
        ? null
        : { id: r.spend_id, account: r.spend_account, reservation: r.reservation ?? 'reserved' },
    cancelRequested: r.cancel_requested !== 0,
    result: r.result === null ? null : JSON.parse(r.result),
    error: r.error === null ? null : JSON.parse(r.error),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** What a submission asks for. */
export interface Submission {
  readonly kind: string;
  /** The spec as the job will run it (JSON-safe). */
  readonly spec: unknown;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly timeoutSeconds: number;
  /** The charge the job will make, reserved now; null for a job that spends nothing. */
  readonly charge: ChargeRequest | null;
}

/** How a run ended, as its executor reports it. */
export type RunOutcome =
  | { readonly kind: 'succeeded'; readonly result: unknown }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string; readonly transient: boolean }
  | { readonly kind: 'cancelled'; readonly message: string };

const now = () => new Date().toISOString();

export class JobStore {
  constructor(
    private readonly db: Kysely<ServiceSchema>,
    private readonly ledger: Ledger,
  ) {}

  /**
   * Queues a job; its charge (if any) is spent on the ledger in the same transaction as the job's row, so a job
   * exists exactly when its budget is reserved.
   * @throws BudgetExceededError / ConsentError from the ledger (nothing queued)
   */
  async submit(caller: Caller, s: Submission): Promise<JobView> {
    const id = randomId('j_');
    const base = {
      id,
      org: caller.org,
      principal_id: caller.principalId,
      actor: caller.actor,
      kind: s.kind,
      spec: JSON.stringify(s.spec),
      state: 'queued',
      priority: s.priority,
      attempts: 0,
      max_attempts: s.maxAttempts,
      timeout_seconds: s.timeoutSeconds,
      lease_owner: null,
      lease_until: null,
      cancel_requested: 0,
      result: null,
      error: null,
      created_at: now(),
      started_at: null,
      finished_at: null,
    } as const;
    const charge = s.charge;
    if (charge === null) {
      await this.db
        .insertInto('service_jobs')
        .values({ ...base, spend_id: null, spend_account: null, charge: null, reservation: null })
        .execute();
    } else {
      await this.ledger.as(caller.actor).spend(charge.account, charge.events, {
        purpose: charge.purpose,
        ...(charge.dataset === undefined ? {} : { dataset: charge.dataset }),
        alongside: async (trx: Kysely<ServiceSchema>, facts) => {
          await trx
            .insertInto('service_jobs')
            .values({
              ...base,
              spend_id: facts.spendId ?? null,
              spend_account: charge.account,
              charge: JSON.stringify(charge),
              reservation: 'reserved',
            })
            .execute();
        },
      });
    }
    return this.get(caller.org, id);
  }

  /** A job of `org`. @throws {HttpError} 404 not_found (also for another organisation's id) */
  async get(org: string, id: string): Promise<JobView> {
    return jobView(await this.row(org, id));
  }

  private async row(org: string, id: string): Promise<Row> {
    const row = await this.db
      .selectFrom('service_jobs')
      .selectAll()
      .where('org', '=', org)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', 'no such job');
    return row;
  }

  async list(org: string, query: { state?: JobState | undefined; limit: number }): Promise<JobView[]> {
    let q = this.db.selectFrom('service_jobs').selectAll().where('org', '=', org);
    if (query.state !== undefined) q = q.where('state', '=', query.state);
    const rows = await q.orderBy('created_at', 'desc').limit(query.limit).execute();
    return rows.map(jobView);
  }

  /** The job's spec and charge, for its executor (any organisation: the executor is the service itself). */
  async forRun(id: string): Promise<Row | undefined> {
    return this.db.selectFrom('service_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Events of a job of `org` after `afterSeq`, oldest first. */
  async events(
    org: string,
    id: string,
    afterSeq: number,
    limit = 500,
  ): Promise<{ seq: number; at: string; event: JobEvent }[]> {
    await this.row(org, id);
    const rows = await this.db
      .selectFrom('job_events')
      .selectAll()
      .where('job_id', '=', id)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: r.seq, at: r.at, event: JSON.parse(r.event) as JobEvent }));
  }

  /** Appends one event of a running job (numbered after the last). */
  async appendEvent(id: string, event: JobEvent): Promise<void> {
    await this.ledger.database.writeTransaction(async (t) => {
      const trx = t as unknown as Kysely<ServiceSchema>;
      const last = await trx
        .selectFrom('job_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('job_id', '=', id)
        .executeTakeFirst();
      const seq = Number(last?.seq ?? 0) + 1;
      await trx
        .insertInto('job_events')
        .values({ job_id: id, seq, at: now(), event: JSON.stringify(event) })
        .execute();
    });
  }

  /**
   * Asks a job of the caller's organisation to stop: a queued job is cancelled at once (its reservation refunded
   * in the same transaction); a running one is stopped by its executor. Finished jobs are left as they are.
   * @throws {HttpError} 404 not_found
   */
  async cancel(caller: Caller, id: string): Promise<JobView> {
    const row = await this.row(caller.org, id);
    if (row.state === 'queued') {
      await this.settle(
        row,
        { kind: 'cancelled', message: `cancelled by ${caller.actor} before it started` },
        null,
      );
    } else if (row.state === 'running') {
      await this.db
        .updateTable('service_jobs')
        .set({ cancel_requested: 1 })
        .where('org', '=', caller.org)
        .where('id', '=', id)
        .execute();
    }
    return this.get(caller.org, id);
  }

  /**
   * Claims the next job for `owner`, if any: the highest priority, then the oldest, among queued jobs of
   * organisations under their concurrency limit, and running jobs whose lease expired (a worker that vanished).
   * `queuedBefore` (ISO) leaves out queued jobs created since (the PostgreSQL workers' sweep). Returns the claimed
   * row (state running, attempts counted), or null. Rules in leases.ts.
   */
  async claim(
    owner: string,
    leaseSeconds: number,
    perOrgLimit: number,
    queuedBefore?: string,
  ): Promise<Row | null> {
    return this.ledger.database.writeTransaction((t) =>
      claimNext(
        t as unknown as Kysely<ServiceSchema>,
        this.claims(owner, leaseSeconds, perOrgLimit),
        queuedBefore,
      ),
    );
  }

  /**
   * Claims job `id` (named by a dispatcher's message) for `owner` under the same rules as {@link claim}: a queued
   * job is taken unless its organisation is at `perOrgLimit` (deferred); a running job only when its lease
   * expired (the takeover rules); anything else is left alone.
   */
  async claimById(
    id: string,
    owner: string,
    leaseSeconds: number,
    perOrgLimit: number,
  ): Promise<ClaimByIdResult> {
    return this.ledger.database.writeTransaction((t) =>
      claimById(t as unknown as Kysely<ServiceSchema>, id, this.claims(owner, leaseSeconds, perOrgLimit)),
    );
  }

  private claims(owner: string, leaseSeconds: number, perOrgLimit: number): ClaimContext {
    return {
      owner,
      leaseSeconds,
      perOrgLimit,
      settleLater: (row, outcome) =>
        queueMicrotask(() => void this.settle(row, outcome, null).catch(() => {})),
    };
  }

  /** Gives a job `owner` holds back to the queue untouched (a shutdown before its budget was used). */
  async release(id: string, owner: string): Promise<void> {
    await this.ledger.database.writeTransaction(async (t) => {
      const trx = t as unknown as Kysely<ServiceSchema>;
      const row = await trx.selectFrom('service_jobs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.lease_owner !== owner || row.state !== 'running' || row.reservation === 'consumed')
        return;
      await trx
        .updateTable('service_jobs')
        .set({
          state: 'queued',
          attempts: Math.max(0, row.attempts - 1),
          lease_owner: null,
          lease_until: null,
        })
        .where('id', '=', id)
        .execute();
    });
  }

  /** Extends the lease of a job `owner` runs; false when the job is no longer its (taken over or cancelled). */
  async renew(
    id: string,
    owner: string,
    leaseSeconds: number,
  ): Promise<{ held: boolean; cancelRequested: boolean }> {
    const until = new Date(Date.now() + leaseSeconds * 1000).toISOString();
    const r = await this.db
      .updateTable('service_jobs')
      .set({ lease_until: until })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'running')
      .executeTakeFirst();
    const row = await this.db
      .selectFrom('service_jobs')
      .select('cancel_requested')
      .where('id', '=', id)
      .executeTakeFirst();
    return { held: Number(r.numUpdatedRows) === 1, cancelRequested: (row?.cancel_requested ?? 0) !== 0 };
  }

  /**
   * The run's charge: it must be the one reserved at submission (same account, events, purpose and dataset).
   * Marks the reservation consumed before answering, so that a crash from here on keeps the spend, and the spend
   * used in the ledger's audit log (`budget.use`) in the same transaction, so that no later refund can free it.
   * @throws {HttpError} 409 plan_changed when the run asks for something else (nothing is consumed)
   */
  async consume(id: string, owner: string, request: ChargeRequest): Promise<SpendReceipt> {
    const row = await this.forRun(id);
    if (!row || row.charge === null || row.spend_id === null || row.spend_account === null)
      throw new HttpError(409, 'no_reservation', 'the job reserved no budget');
    const reserved = JSON.parse(row.charge) as ChargeRequest;
    if (canonical(reserved) !== canonical(request))
      throw new HttpError(
        409,
        'plan_changed',
        'the run asks for a different charge than the one reserved at submission (its data or parameters changed); nothing was trained',
      );
    const spendId = row.spend_id;
    // the spend is marked used in the audit log in the same transaction: from here on the ledger itself refuses
    // to refund it, whatever this table says later (an edited `reservation` cannot free the budget)
    const receipt = await this.ledger.as(row.actor).markUsed(spendId, {
      alongside: async (trx: Kysely<ServiceSchema>) => {
        const r = await trx
          .updateTable('service_jobs')
          .set({ reservation: 'consumed' })
          .where('id', '=', id)
          .where('lease_owner', '=', owner)
          .where('reservation', '=', 'reserved')
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1)
          throw new HttpError(409, 'lease_lost', 'the job is no longer held by this worker');
      },
    });
    // the spend as granted in the transaction that inserted the job's row (epsilon per account from its entry)
    return receipt;
  }

  /**
   * Ends a run: success or cancellation or failure, exactly once. A refund (reservation unused and no retry)
   * commits in the ledger's transaction with the job's final state; a transient failure with attempts left
   * re-queues the job with its reservation kept. `owner` null: the job is not running (a queued cancellation).
   */
  async settle(row: Row, outcome: RunOutcome, owner: string | null): Promise<void> {
    const fresh = await this.forRun(row.id);
    if (!fresh || (fresh.state !== 'running' && fresh.state !== 'queued')) return;
    if (owner !== null && fresh.lease_owner !== owner) return;
    if (
      outcome.kind === 'failed' &&
      outcome.transient &&
      fresh.attempts < fresh.max_attempts &&
      fresh.reservation !== 'consumed'
    ) {
      await this.db
        .updateTable('service_jobs')
        .set({
          state: 'queued',
          lease_owner: null,
          lease_until: null,
          error: JSON.stringify({ code: outcome.code, message: outcome.message }),
        })
        .where('id', '=', row.id)
        .execute();
      return;
    }
    const final =
      outcome.kind === 'succeeded'
        ? { state: 'succeeded' as const, result: outcome.result }
        : outcome.kind === 'cancelled'
          ? { state: 'cancelled' as const, error: { code: 'cancelled', message: outcome.message } }
          : { state: 'failed' as const, error: { code: outcome.code, message: outcome.message } };
    if (fresh.reservation === 'reserved' && fresh.spend_id !== null) {
      const reason =
        final.state === 'succeeded'
          ? 'the job finished without using its reservation'
          : `job ${fresh.id} ${final.state} before using its budget`;
      try {
        await this.ledger.as(fresh.actor).refund(fresh.spend_id, reason, {
          alongside: async (trx: Kysely<ServiceSchema>) => {
            await finishIn(trx, fresh, final, 'refunded');
          },
        });
        return;
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err;
        // the ledger refuses the refund: its audit log says the spend was used (this table was edited to say
        // otherwise) or the spend's row differs from what the log granted. The job ends keeping the spend.
        await this.ledger.database.writeTransaction((t) =>
          finishIn(t as unknown as Kysely<ServiceSchema>, fresh, {
            state: 'failed',
            error: { code: err.code, message: err.message },
          }),
        );
        return;
      }
    }
    await this.ledger.database.writeTransaction((t) =>
      finishIn(t as unknown as Kysely<ServiceSchema>, fresh, final),
    );
  }

  /** Jobs by state, of one organisation or across the service (metrics). */
  async countsByState(org?: string): Promise<Record<string, number>> {
    let q = this.db.selectFrom('service_jobs').select(['state', (eb) => eb.fn.countAll<number>().as('n')]);
    if (org !== undefined) q = q.where('org', '=', org);
    const rows = await q.groupBy('state').execute();
    return Object.fromEntries(JOB_STATES.map((s) => [s, Number(rows.find((r) => r.state === s)?.n ?? 0)]));
  }
}

/** A charge as canonical JSON (keys sorted), to compare a run's request with the reservation. */
function canonical(c: ChargeRequest): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(
    sort({ account: c.account, events: c.events, purpose: c.purpose, dataset: c.dataset ?? null }),
  );
}
