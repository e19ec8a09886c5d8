/**
 * Claims of service jobs with leases, in one write transaction each (serialised against every other writer of the
 * ledger's database: SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), so two workers never hold one job.
 * Two ways in, one set of rules:
 * - {@link claimNext}: the in-table queue (the SQLite runner, and the PostgreSQL workers' sweep): expired leases
 *   first, then the best queued job of an organisation under its concurrency limit;
 * - {@link claimById}: one job named by a dispatcher's message (pg-boss on PostgreSQL).
 * A running job whose lease expired lost its worker: re-queued and taken when its budget is untouched and
 * attempts remain, failed `worker_lost` (spend kept) when its reservation was consumed.
 */
import type { Kysely } from 'kysely';
import type { ServiceJobTable, ServiceSchema } from './schema.js';

type Row = ServiceJobTable;

/** A job's final state. */
export type FinalState = 'succeeded' | 'failed' | 'cancelled';

/** How a job whose worker was lost ends (a case of the job store's RunOutcome). */
export type LostOutcome =
  | { readonly kind: 'cancelled'; readonly message: string }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string; readonly transient: false };

const now = () => new Date().toISOString();

/** Ends a job in `trx`: its final state, result or error, lease cleared (and the reservation marked refunded). */
export async function finishIn(
  trx: Kysely<ServiceSchema>,
  row: Row,
  final: { state: FinalState; result?: unknown; error?: { code: string; message: string } },
  reservation?: 'refunded',
): Promise<void> {
  await trx
    .updateTable('service_jobs')
    .set({
      state: final.state,
      lease_owner: null,
      lease_until: null,
      finished_at: now(),
      result: final.result === undefined ? null : JSON.stringify(final.result),
      error: final.error === undefined ? null : JSON.stringify(final.error),
      ...(reservation === undefined ? {} : { reservation }),
    })
    .where('id', '=', row.id)
    .execute();
}

/** What a claim needs besides the transaction. */
export interface ClaimContext {
  readonly owner: string;
  readonly leaseSeconds: number;
  /** Running jobs per organisation at most. */
  readonly perOrgLimit: number;
  /** Settles a job outside the claim's transaction (a refund runs in the ledger's own transaction). */
  readonly settleLater: (row: Row, outcome: LostOutcome) => void;
}

/**
 * The next job for `c.owner`: a running job whose lease expired (highest priority, oldest first), else the best
 * queued job of an organisation under its limit; `queuedBefore` (ISO) restricts queued jobs to those created
 * before it (the PostgreSQL sweep: jobs whose dispatch message was lost). Null when there is none.
 */
export async function claimNext(
  trx: Kysely<ServiceSchema>,
  c: ClaimContext,
  queuedBefore?: string,
): Promise<Row | null> {
  const expired = await trx
    .selectFrom('service_jobs')
    .selectAll()
    .where('state', '=', 'running')
    .where('lease_until', '<', now())
    .orderBy('priority', 'desc')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (expired) return takeOver(trx, expired, c);
  const full = await fullOrganisations(trx, c.perOrgLimit);
  let q = trx.selectFrom('service_jobs').selectAll().where('state', '=', 'queued');
  if (full.length > 0) q = q.where('org', 'not in', full);
  if (queuedBefore !== undefined) q = q.where('created_at', '<', queuedBefore);
  const next = await q.orderBy('priority', 'desc').orderBy('created_at').limit(1).executeTakeFirst();
  return next ? take(trx, next, c) : null;
}

/** What {@link claimById} found. */
export type ClaimByIdResult =
  | { readonly kind: 'claimed'; readonly row: Row }
  /** The organisation is at its concurrency limit: ask again later. */
  | { readonly kind: 'deferred' }
  /** Nothing to run: finished, unknown, held by a live worker, or failed by the takeover rules. */
  | { readonly kind: 'none'; readonly reason: 'finished' | 'unknown' | 'held' | 'taken-over' };

/** Claims job `id` for `c.owner` under the same rules as {@link claimNext}. */
export async function claimById(
  trx: Kysely<ServiceSchema>,
  id: string,
  c: ClaimContext,
): Promise<ClaimByIdResult> {
  const row = await trx.selectFrom('service_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return { kind: 'none', reason: 'unknown' };
  if (row.state === 'running') {
    if (row.lease_until !== null && row.lease_until >= now()) return { kind: 'none', reason: 'held' };
    const taken = await takeOver(trx, row, c);
    return taken ? { kind: 'claimed', row: taken } : { kind: 'none', reason: 'taken-over' };
  }
  if (row.state !== 'queued') return { kind: 'none', reason: 'finished' };
  if ((await fullOrganisations(trx, c.perOrgLimit)).includes(row.org)) return { kind: 'deferred' };
  return { kind: 'claimed', row: await take(trx, row, c) };
}

async function fullOrganisations(trx: Kysely<ServiceSchema>, perOrgLimit: number): Promise<string[]> {
  const running = await trx
    .selectFrom('service_jobs')
    .select(['org', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'running')
    .groupBy('org')
    .execute();
  return running.filter((r) => Number(r.n) >= perOrgLimit).map((r) => r.org);
}

async function take(trx: Kysely<ServiceSchema>, row: Row, c: ClaimContext): Promise<Row> {
  const until = new Date(Date.now() + c.leaseSeconds * 1000).toISOString();
  await trx
    .updateTable('service_jobs')
    .set({
      state: 'running',
      attempts: row.attempts + 1,
      lease_owner: c.owner,
      lease_until: until,
      started_at: row.started_at ?? now(),
    })
    .where('id', '=', row.id)
    .execute();
  return { ...row, state: 'running', attempts: row.attempts + 1, lease_owner: c.owner, lease_until: until };
}

/**
 * A running job whose lease expired: its worker is gone. If the budget was already used (noise may have been
 * drawn), the job fails and keeps its spend; if attempts remain and the budget is untouched, it runs again
 * under the new owner; otherwise it fails and the reservation is refunded.
 */
async function takeOver(trx: Kysely<ServiceSchema>, row: Row, c: ClaimContext): Promise<Row | null> {
  if (row.reservation === 'consumed') {
    await finishIn(trx, row, {
      state: 'failed',
      error: {
        code: 'worker_lost',
        message:
          'the worker running the job stopped after the budget was used; the spend stays (noise may have been drawn)',
      },
    });
    return null;
  }
  if (row.attempts >= row.max_attempts || row.cancel_requested !== 0) {
    // the refund must go through the ledger's own transaction: leave it to settle() outside this one, and hold
    // the job for a minute meanwhile so that no other claim takes it over again
    await trx
      .updateTable('service_jobs')
      .set({ lease_owner: `${c.owner}:settling`, lease_until: new Date(Date.now() + 60_000).toISOString() })
      .where('id', '=', row.id)
      .execute();
    c.settleLater(
      row,
      row.cancel_requested !== 0
        ? { kind: 'cancelled', message: 'cancelled while its worker was lost' }
        : {
            kind: 'failed',
            code: 'worker_lost',
            message: `the job's worker stopped ${row.attempts} times; no attempts left`,
            transient: false,
          },
    );
    return null;
  }
  return take(trx, row, c);
}
