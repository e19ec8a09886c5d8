/**
 * Audit entries that record no change of their own: a job's lineage (which data, which model, which spends) and
 * security events of other modules, each appended on its own in the same signed, hash-chained log.
 */
import type { Alongside, LedgerContext } from '../budget/context.js';
import { datasetLabel } from '../consent/datasets.js';
import { datasetIn } from '../consent/registry.js';
import { type AuditEntry, type AuditRecord, toEntry } from './format.js';
import { type SecurityEvent, toAuditRecord } from './security-event.js';

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
  /**
   * The job failed after it was charged: recorded as `job.failed` with where and why, so the log says what was
   * spent and why nothing came out.
   */
  readonly failure?: { readonly stage: string; readonly reason: string };
}

/** Records a job's lineage in the audit log: which data, which model, which spends (provenance), or its failure. */
export async function recordJob(
  ctx: LedgerContext,
  job: JobRecord,
  options: { readonly alongside?: Alongside } = {},
): Promise<AuditEntry> {
  const labels: string[] = [];
  for (const name of job.datasets) labels.push(datasetLabel(await datasetIn(ctx.db, name)));
  return appendOne(
    ctx,
    {
      action: job.failure ? 'job.failed' : 'job.complete',
      account: job.account ?? null,
      dataset: labels.join(', ') || null,
      purpose: job.purpose,
      outcome: job.failure ? 'failed' : 'recorded',
      detail: {
        job: job.job,
        ...(job.modelHash ? { modelHash: job.modelHash } : {}),
        spendIds: job.spendIds ?? [],
        ...(job.failure ? { stage: job.failure.stage, reason: job.failure.reason.slice(0, 500) } : {}),
        ...(job.detail ?? {}),
      },
    },
    options.alongside,
  );
}

/**
 * Appends a security event to the audit log without a spend (a refused registration, an expelled node, a
 * failed attestation): the same signed, hash-chained log, checked before signing like every append.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a malformed or reserved action, outcome or detail
 *   (nothing is written)
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the log was tampered with (nothing is written)
 * @example await ledger.recordEvent({ action: 'fl.registration', outcome: 'refused', subject: 'node-7' })
 */
export async function recordEvent(
  ctx: LedgerContext,
  event: SecurityEvent,
  options: { readonly alongside?: Alongside } = {},
): Promise<AuditEntry> {
  return appendOne(ctx, toAuditRecord(event), options.alongside);
}

/** Appends one audit entry on its own (with the caller's `alongside` writes) and returns it as stored. */
function appendOne(
  ctx: LedgerContext,
  record: Omit<AuditRecord, 'actor'>,
  alongside?: Alongside,
): Promise<AuditEntry> {
  return ctx.write(async (trx, log) => {
    await log(record);
    await alongside?.(trx, {});
    const last = await trx
      .selectFrom('audit_entries')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return toEntry(last);
  });
}
