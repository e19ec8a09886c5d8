/**
 * Datasets and their consent terms: register a data file (its SHA-256 fingerprint and terms), list them, check
 * an intended use. Every check is audited, allowed or refused.
 */
import { type Dataset, fingerprintFile } from '../../ledger/index.js';
import { type LedgerJobContext, MUST_EXIST } from './budget.js';
import type { DatasetCheckSpec, DatasetRegisterSpec } from './spec.js';

/** Fingerprints the file and records its terms (a name registered before gets the new terms). */
export async function runDatasetRegister(spec: DatasetRegisterSpec, ctx: LedgerJobContext): Promise<Dataset> {
  const fingerprint = await fingerprintFile(spec.file);
  return ctx.ledger.use((l) =>
    l.registerDataset({
      name: spec.name,
      fingerprint,
      purposes: spec.purposes,
      retainUntil: spec.retainUntil ?? null,
      constraints: spec.constraints,
      description: spec.description,
    }),
  );
}

/** The registered datasets. */
export function runDatasetList(ctx: LedgerJobContext): Promise<Dataset[]> {
  return ctx.ledger.use((l) => l.datasets(), MUST_EXIST);
}

/**
 * The dataset, when its terms allow the purpose now (and with `file`, the file is the registered data). The
 * check is audited, but a missing ledger is refused rather than created: it holds no dataset to allow.
 * @throws {ConsentError} when they do not (exit 7); {IntegrityError} when the file is other data (exit 6)
 */
export function runDatasetCheck(spec: DatasetCheckSpec, ctx: LedgerJobContext): Promise<Dataset> {
  const { file } = spec;
  return ctx.ledger.use(
    (l) =>
      l.authorize(
        spec.name,
        spec.purpose,
        file === undefined ? {} : { fingerprint: () => fingerprintFile(file) },
      ),
    MUST_EXIST,
  );
}
