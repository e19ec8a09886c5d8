/**
 * `veil report --regulation gdpr|hipaa|ccpa --format html|json|pdf --out FILE`: a compliance evidence report
 * built from the ledger's records (docs/compliance.md). Each control is met, not met, not applicable or needs
 * human review, with its evidence; never a blanket "compliant".
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  buildReport,
  gatherEvidence,
  REGULATIONS,
  renderHtml,
  renderJson,
  renderPdf,
  safeHarborCheck,
} from '../../compliance/index.js';
import { withLedger } from '../../jobs/index.js';
import { FlagParser } from '../flags.js';
import type { CommandResult } from '../output.js';

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
  const p = new FlagParser();
  const regulation = p.choice('regulation', flags.regulation, REGULATIONS, 'gdpr');
  if (flags.regulation === undefined) p.problem('--regulation', undefined, REGULATIONS.join(' | '));
  const format = p.choice('format', flags.format, ['html', 'json', 'pdf'] as const, 'html');
  if (!flags.out) p.problem('--out', flags.out, 'the file to write the report to');
  else if (existsSync(flags.out) && !flags.force)
    p.problem('--out', flags.out, 'a new file (or --force to replace it)');
  if (flags.publicKey !== undefined && !/^[0-9a-f]{64}$/i.test(flags.publicKey)) {
    p.problem('--public-key', flags.publicKey, "the audit log's public key: 64 hex digits");
  }
  p.done();
  // the Safe Harbor check reads the file's columns and a sample of values, and keeps only counts and shapes
  const safeHarbor = flags.datasetFile ? safeHarborCheck({ path: flags.datasetFile }) : undefined;
  const evidence = await withLedger(flags.db, (l) =>
    gatherEvidence(l, {
      ...(safeHarbor ? { safeHarbor } : {}),
      ...(flags.publicKey ? { trustedPublicKey: flags.publicKey.toLowerCase() } : {}),
    }),
  );
  const built = buildReport(evidence, regulation);
  const out = flags.out!;
  mkdirSync(dirname(out), { recursive: true });
  if (format === 'json') writeFileSync(out, renderJson(built));
  else if (format === 'html') writeFileSync(out, renderHtml(built));
  else await renderPdf(renderHtml(built), out);
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
