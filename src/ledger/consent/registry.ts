/**
 * The dataset registry in the ledger: registering a dataset's consent terms (audited, old terms kept in the log),
 * looking datasets up, and authorizing a use before any data is read (both outcomes audited).
 */
import type { Kysely } from 'kysely';
import { ConfigError, IntegrityError } from '../../core/index.js';
import type { LedgerContext } from '../budget/context.js';
import type { LedgerSchema } from '../store/schema.js';
import {
  consentError,
  type Dataset,
  type DatasetTerms,
  datasetLabel,
  datasetRow,
  refusalOf,
  toDataset,
} from './datasets.js';

/**
 * Registers a dataset with its consent terms (audited). Register the same name again to change its terms: the
 * old terms stay in the audit log.
 */
export async function registerDataset(ctx: LedgerContext, terms: DatasetTerms): Promise<Dataset> {
  const row = datasetRow(terms, ctx.actor, ctx.now().toISOString());
  return ctx.write(async (trx, log) => {
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
export async function datasetIn(db: Kysely<LedgerSchema>, name: string): Promise<Dataset> {
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
export async function datasetsIn(db: Kysely<LedgerSchema>): Promise<Dataset[]> {
  const rows = await db.selectFrom('datasets').selectAll().orderBy('name').execute();
  return rows.map(toDataset);
}

/**
 * Checks, before any data is read, that `dataset`'s consent terms allow `purpose` now, and audits the outcome.
 * With `fingerprint` (called only once the terms allow the use, e.g. `() => fingerprintFile(path)`), also checks
 * that the data about to be used is the registered data.
 * @throws {ConsentError} purpose not allowed or retention over (the refusal is in the audit log)
 * @throws {IntegrityError} the data's fingerprint differs from the registered one (audited too)
 */
export async function authorize(
  ctx: LedgerContext,
  dataset: string,
  purpose: string,
  options: { fingerprint?: () => Promise<string> } = {},
): Promise<Dataset> {
  const d = await datasetIn(ctx.db, dataset);
  const refusal = refusalOf(d, purpose, ctx.now());
  let mismatch: string | null = null;
  if (!refusal && options.fingerprint) {
    const actual = await options.fingerprint();
    if (actual !== d.fingerprint) mismatch = actual;
  }
  await ctx.write(async (_trx, log) =>
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
