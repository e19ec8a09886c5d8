/**
 * @module veil/compliance
 *
 * GDPR / HIPAA / CCPA control mapping and evidence reports built from ledger records. The input is plain data
 * ({@link ComplianceEvidence}: accounts, spends, datasets and consent terms, the audit log's verification, and
 * optionally a run's facts and a Safe Harbor identifier check of a CSV file); {@link buildReport} maps it to one
 * regulation's controls, each 'met', 'not met', 'not applicable' or 'needs human review' with the facts behind it
 * and what a person must still decide. Reports render to JSON, to a self-contained HTML page, and to PDF through
 * a local Chromium; {@link gatherEvidence} reads the evidence from a ledger. Not here: any verdict of
 * compliance: a report says what the evidence shows and what it cannot.
 *
 * @example
 * import { buildReport, renderHtml, safeHarborCheck } from 'veil/compliance';
 * const safeHarbor = safeHarborCheck({ path: 'patients.csv' });
 * const report = buildReport({ ...evidence, safeHarbor }, 'hipaa');
 * report.summary.counts;            // { met: 2, 'not met': 1, 'not applicable': 0, 'needs human review': 2 }
 * writeFileSync('hipaa.html', renderHtml(report));
 */
export {
  CONTROL_STATUSES,
  type Control,
  type ControlStatus,
  REGULATIONS,
  type Regulation,
} from './controls.js';
export type {
  AccountEvidence,
  AuditEvidence,
  ComplianceEvidence,
  DatasetEvidence,
  EvidenceScope,
  RunEvidence,
  SpendEvidence,
  UtilityEvidence,
} from './evidence.js';
export type { ProcessingActivity } from './facts.js';
export { type GatherOptions, gatherEvidence } from './gather.js';
export { escapeHtml, renderHtml, statusClass } from './html.js';
export { SAFE_HARBOR_KINDS, type SafeHarborKind } from './identifiers.js';
export { type PdfOptions, renderPdf } from './pdf.js';
export {
  buildReport,
  type ComplianceReport,
  type DatasetUse,
  REPORT_VERSION,
  type ReportSummary,
  renderJson,
} from './report.js';
export {
  SAFE_HARBOR_LIMITS,
  type SafeHarborFinding,
  type SafeHarborInput,
  type SafeHarborKindSummary,
  type SafeHarborOptions,
  type SafeHarborResult,
  safeHarborCheck,
} from './safe-harbor.js';
