/**
 * A compliance evidence report (GDPR, HIPAA, CCPA) from the ledger's records, written as HTML, JSON or PDF. Each
 * control is met, not met, not applicable or needs human review, with its evidence; never a blanket "compliant".
 */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  buildReport,
  type ComplianceReport,
  gatherEvidence,
  renderHtml,
  renderJson,
  renderPdf,
  safeHarborCheck,
} from '../../compliance/index.js';
import { ensureDirectory } from '../../core/index.js';
import { type ParamField, underFields } from '../input-errors.js';
import { type LedgerJobContext, MUST_EXIST } from './budget.js';
import { checkOutFile, writeOutFile } from './out-file.js';
import type { ReportSpec } from './spec.js';

/** The Safe Harbor check's parameters that hold the spec's `datasetFile`. */
const DATASET_FILE: readonly ParamField[] = [
  { fn: 'safeHarborCheck', param: 'path', path: 'datasetFile' },
  { fn: 'safeHarborCheck', param: 'csv', path: 'datasetFile' },
];

/**
 * Builds the report and writes it to `spec.out`.
 * @throws {ConfigError} at `out` when the file exists and `force` is not set, or cannot be written; at
 *   `datasetFile` when that file cannot be read as a CSV
 */
export async function runReport(spec: ReportSpec, ctx: LedgerJobContext): Promise<ComplianceReport> {
  checkOutFile(spec.out, spec.force, 'report');
  // the Safe Harbor check reads the file's columns and a sample of values, and keeps only counts and shapes
  const datasetFile = spec.datasetFile;
  const safeHarbor = datasetFile
    ? underFields(DATASET_FILE, 'report', () => safeHarborCheck({ path: datasetFile }))
    : undefined;
  const evidence = await ctx.ledger.use(
    (l) =>
      gatherEvidence(l, {
        ...(safeHarbor ? { safeHarbor } : {}),
        ...(spec.trustedPublicKey ? { trustedPublicKey: spec.trustedPublicKey } : {}),
      }),
    MUST_EXIST,
  );
  const report = buildReport(evidence, spec.regulation);
  await writeOutFile(spec.out, 'report', async () => {
    ensureDirectory(dirname(spec.out));
    if (spec.format === 'json') writeFileSync(spec.out, renderJson(report));
    else if (spec.format === 'html') writeFileSync(spec.out, renderHtml(report));
    else await renderPdf(renderHtml(report), spec.out);
  });
  return report;
}
