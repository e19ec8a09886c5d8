/**
 * `veil report --regulation gdpr|hipaa|ccpa --format html|json|pdf --out FILE`: a compliance evidence report
 * built from the ledger's records (docs/compliance.md). Each control is met, not met, not applicable or needs
 * human review, with its evidence; never a blanket "compliant". The flags become the job's spec
 * (src/jobs/ledger); this file renders the result.
 */
import { ReportSpecSchema, runReport } from '../../jobs/index.js';
import type { CommandResult } from '../output.js';
import { parseFlags, textFlag as t } from '../parse-flags.js';
import { ledgerOf } from './budget.js';

/** Raw flags of `veil report`. */
export interface ReportFlags {
  readonly regulation?: string;
  readonly format?: string;
  readonly out?: string;
  readonly force?: boolean;
  readonly datasetFile?: string;
  readonly publicKey?: string;
  readonly db?: string;
}

export async function report(flags: ReportFlags): Promise<CommandResult> {
  const { spec, renamed } = parseFlags(ReportSpecSchema, [
    t('--regulation', 'regulation', flags.regulation),
    t('--format', 'format', flags.format),
    t('--out', 'out', flags.out),
    { flag: '--force', path: 'force', raw: flags.force, kind: 'boolean' },
    t('--dataset-file', 'datasetFile', flags.datasetFile),
    t('--public-key', 'trustedPublicKey', flags.publicKey),
  ]);
  const built = await runReport(spec, ledgerOf(flags.db)).catch((err: unknown) => {
    throw renamed(err);
  });
  const { out, format, regulation } = spec;
  const c = built.summary.counts;
  return {
    summary: {
      ok: true,
      out,
      format,
      regulation,
      summary: built.summary,
      auditVerified: built.audit.verified,
    },
    text: [
      `${built.regulationName}: ${built.summary.total} controls — ${c.met} met, ${c['not met']} not met, ` +
        `${c['needs human review']} need human review, ${c['not applicable']} not applicable`,
      `audit log ${built.audit.verified ? `verified (${built.audit.size} entries)` : 'FAILED verification'}`,
      `report written to ${out} (${format})`,
      'This report states what the records show; decisions marked "needs human review" are yours to make.',
    ],
  };
}
