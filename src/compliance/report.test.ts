import { describe, expect, it } from 'vitest';
import type { ComplianceEvidence } from './evidence.js';
import { buildReport, type ComplianceReport, renderJson } from './report.js';
import type { SafeHarborResult } from './safe-harbor.js';
import { safeHarborCheck } from './safe-harbor.js';
import { sampleEvidence } from './testing.js';

const statusOf = (report: ComplianceReport, id: string) => {
  const control = report.controls.find((c) => c.id === id);
  if (!control) throw new Error(`no control ${id}`);
  return control.status;
};
const evidenceOf = (report: ComplianceReport, id: string) =>
  report.controls.find((c) => c.id === id)!.evidence.join(' ');

describe('buildReport: GDPR', () => {
  const report = buildReport(sampleEvidence(), 'gdpr');

  it('maps the sample evidence to every GDPR control with the expected statuses', () => {
    expect(Object.fromEntries(report.controls.map((c) => [c.id, c.status]))).toEqual({
      'gdpr-art5-1a': 'needs human review',
      'gdpr-art5-1b': 'met',
      'gdpr-art5-1c': 'met',
      'gdpr-art5-1d': 'needs human review',
      'gdpr-art5-1e': 'met',
      'gdpr-art5-1f': 'met',
      'gdpr-art5-2': 'met',
      'gdpr-art25': 'met',
      'gdpr-art30': 'needs human review',
      'gdpr-art32': 'needs human review',
      'gdpr-art35': 'needs human review',
    });
  });

  it('states concrete facts in the evidence', () => {
    expect(evidenceOf(report, 'gdpr-art5-1b')).toContain(
      '42 spends on 3 datasets, all with purposes allowed by their consent terms',
    );
    expect(evidenceOf(report, 'gdpr-art5-1b')).toContain(
      '2 refused purpose requests recorded in the audit log',
    );
    expect(evidenceOf(report, 'gdpr-art25')).toContain('Account acme: epsilon 5.632 of 8 at delta 1e-5');
    expect(evidenceOf(report, 'gdpr-art25')).toContain('a naive sum would say 17.12');
    expect(evidenceOf(report, 'gdpr-art5-2')).toContain('57 entries');
    expect(evidenceOf(report, 'gdpr-art5-1f')).toContain('mutual TLS 1.3');
    expect(evidenceOf(report, 'gdpr-art30')).toContain(
      '3 processing activities derived from 42 granted spends',
    );
  });

  it('lists processing activities from the spends (Art. 30)', () => {
    expect(report.processingActivities).toHaveLength(3);
    const ecg = report.processingActivities.find((a) => a.dataset === 'ecg-2025')!;
    expect(ecg).toMatchObject({ purpose: 'model training', account: 'acme/cardiology', spends: 20 });
    expect(ecg.actors).toEqual(['acme-trainer']);
    expect(ecg.retainUntil).toBe('2027-12-31');
  });

  it('gives every control a reference, evidence and a human decision', () => {
    for (const c of report.controls) {
      expect(c.reference).toMatch(/^GDPR Art\. \d/);
      expect(c.evidence.length).toBeGreaterThan(0);
      expect(c.humanDecision.length).toBeGreaterThan(20);
    }
  });

  it('marks storage limitation not met when an expired dataset is still used', () => {
    const base = sampleEvidence();
    const evidence = sampleEvidence({
      datasets: base.datasets.map((d) =>
        d.name === 'adult-census' ? { ...d, retainUntil: '2025-02-28', expired: true } : d,
      ),
    });
    const r = buildReport(evidence, 'gdpr');
    expect(statusOf(r, 'gdpr-art5-1e')).toBe('not met');
    expect(evidenceOf(r, 'gdpr-art5-1e')).toMatch(
      /used a dataset after its retention date: spend #\d+ on adult-census/,
    );
    expect(r.datasets.find((d) => d.name === 'adult-census')!.spendsAfterRetention).toBeGreaterThan(0);
    expect(statusOf(buildReport(evidence, 'ccpa'), 'ccpa-1798-100a3')).toBe('not met');
  });

  it('keeps storage limitation met for an expired dataset no longer used', () => {
    const base = sampleEvidence();
    const evidence = sampleEvidence({
      datasets: base.datasets.map((d) =>
        d.name === 'adult-census' ? { ...d, retainUntil: '2025-10-01', expired: true } : d,
      ),
    });
    const r = buildReport(evidence, 'gdpr');
    expect(statusOf(r, 'gdpr-art5-1e')).toBe('met');
    expect(evidenceOf(r, 'gdpr-art5-1e')).toContain('1 expired dataset, none used after its retention date');
  });

  it('asks for review when a dataset has no retention date', () => {
    const base = sampleEvidence();
    const evidence = sampleEvidence({ datasets: base.datasets.map((d) => ({ ...d, retainUntil: null })) });
    expect(statusOf(buildReport(evidence, 'gdpr'), 'gdpr-art5-1e')).toBe('needs human review');
  });

  it('marks integrity and accountability not met when the audit log does not verify', () => {
    const base = sampleEvidence();
    const evidence = sampleEvidence({
      audit: { ...base.audit, verified: false, problems: ['chain hash mismatch at entry 12'] },
    });
    const r = buildReport(evidence, 'gdpr');
    expect(statusOf(r, 'gdpr-art5-1f')).toBe('not met');
    expect(statusOf(r, 'gdpr-art5-2')).toBe('not met');
    expect(statusOf(r, 'gdpr-art32')).toBe('not met');
    expect(evidenceOf(r, 'gdpr-art5-2')).toContain('chain hash mismatch at entry 12');
    expect(statusOf(buildReport(evidence, 'hipaa'), 'hipaa-164-312b')).toBe('not met');
    expect(statusOf(buildReport(evidence, 'ccpa'), 'ccpa-1798-100e')).toBe('not met');
  });

  it('marks purpose limitation not met for a spend outside its dataset\u2019s purposes', () => {
    const base = sampleEvidence();
    const spends = base.spends.map((s) => (s.id === 7 ? { ...s, purpose: 'marketing' } : s));
    const r = buildReport(sampleEvidence({ spends }), 'gdpr');
    expect(statusOf(r, 'gdpr-art5-1b')).toBe('not met');
    expect(evidenceOf(r, 'gdpr-art5-1b')).toContain("spend #7 ('marketing' on ecg-2025)");
  });

  it('asks for review when spends name no dataset, and ignores refunded spends', () => {
    const base = sampleEvidence();
    const spends = base.spends.map((s) => (s.id === 3 ? { ...s, dataset: null } : s));
    expect(statusOf(buildReport(sampleEvidence({ spends }), 'gdpr'), 'gdpr-art5-1b')).toBe(
      'needs human review',
    );
    const refunded = base.spends.map((s) =>
      s.id === 3 ? { ...s, purpose: 'marketing', status: 'refunded' as const } : s,
    );
    const r = buildReport(sampleEvidence({ spends: refunded }), 'gdpr');
    expect(statusOf(r, 'gdpr-art5-1b')).toBe('met');
    expect(r.privacy.refundedSpends).toBe(1);
  });

  it('marks spend-based controls not applicable when nothing was spent', () => {
    const r = buildReport(sampleEvidence({ spends: [], datasets: [], accounts: [], run: undefined }), 'gdpr');
    for (const id of ['gdpr-art5-1b', 'gdpr-art5-1c', 'gdpr-art5-1e', 'gdpr-art25', 'gdpr-art30']) {
      expect(statusOf(r, id), id).toBe('not applicable');
    }
    expect(statusOf(r, 'gdpr-art5-1a')).toBe('needs human review');
  });

  it('marks privacy by design not met for an account over its limit or a run without DP', () => {
    const base = sampleEvidence();
    const over = sampleEvidence({
      accounts: base.accounts.map((a) => ({ ...a, epsilonSpent: a.epsilonLimit + 1 })),
    });
    expect(statusOf(buildReport(over, 'gdpr'), 'gdpr-art25')).toBe('not met');
    const noDp = sampleEvidence({ run: { ...base.run!, mechanism: 'none' } });
    expect(statusOf(buildReport(noDp, 'gdpr'), 'gdpr-art25')).toBe('not met');
    const seeded = sampleEvidence({ run: { ...base.run!, seeded: true } });
    expect(statusOf(buildReport(seeded, 'gdpr'), 'gdpr-art25')).toBe('needs human review');
  });

  it('marks integrity not met when the transport is not TLS', () => {
    const base = sampleEvidence();
    const r = buildReport(sampleEvidence({ run: { ...base.run!, transport: 'plain HTTP/2' } }), 'gdpr');
    expect(statusOf(r, 'gdpr-art5-1f')).toBe('not met');
  });
});

describe('buildReport: HIPAA and CCPA', () => {
  const clean: SafeHarborResult = safeHarborCheck({ text: 'sex,bmi_band\n0,2\n1,3\n', source: 'clean.csv' });
  const flagged: SafeHarborResult = safeHarborCheck({
    text: 'ssn,bmi_band\n123-45-6789,2\n987-65-4321,3\n',
    source: 'raw.csv',
  });

  it('leaves Safe Harbor to human review when no file was checked', () => {
    const r = buildReport(sampleEvidence(), 'hipaa');
    expect(statusOf(r, 'hipaa-164-514b2')).toBe('needs human review');
    expect(statusOf(r, 'hipaa-164-514b1')).toBe('needs human review');
    expect(evidenceOf(r, 'hipaa-164-514b1')).toContain('epsilon 1.712 at delta 1e-5 (rdp accountant)');
    expect(statusOf(r, 'hipaa-164-504e')).toBe('needs human review');
    expect(statusOf(r, 'hipaa-164-312e1')).toBe('met');
  });

  it('follows the identifier check for Safe Harbor', () => {
    const bad = buildReport(sampleEvidence({ safeHarbor: flagged }), 'hipaa');
    expect(statusOf(bad, 'hipaa-164-514b2')).toBe('not met');
    expect(evidenceOf(bad, 'hipaa-164-514b2')).toContain("shape 'ddd-dd-dddd'");
    expect(renderJson(bad)).not.toContain('123-45-6789');
    expect(statusOf(buildReport(sampleEvidence({ safeHarbor: clean }), 'hipaa'), 'hipaa-164-514b2')).toBe(
      'met',
    );
    expect(statusOf(buildReport(sampleEvidence({ safeHarbor: flagged }), 'gdpr'), 'gdpr-art5-1c')).toBe(
      'needs human review',
    );
  });

  it('treats transmission security as not applicable without run facts', () => {
    const r = buildReport(sampleEvidence({ run: undefined }), 'hipaa');
    expect(statusOf(r, 'hipaa-164-312e1')).toBe('not applicable');
  });

  it('leaves CCPA deidentification to human review and checks purposes', () => {
    const r = buildReport(sampleEvidence(), 'ccpa');
    expect(r.controls.map((c) => c.id)).toEqual([
      'ccpa-1798-140m',
      'ccpa-1798-100c',
      'ccpa-1798-100a3',
      'ccpa-1798-100e',
    ]);
    expect(statusOf(r, 'ccpa-1798-140m')).toBe('needs human review');
    expect(r.controls[0]!.humanDecision).toMatch(/publicly commits/);
    expect(statusOf(r, 'ccpa-1798-100c')).toBe('met');
  });
});

describe('report', () => {
  it('never calls the processing compliant, and counts every status', () => {
    for (const regulation of ['gdpr', 'hipaa', 'ccpa'] as const) {
      const r = buildReport(sampleEvidence(), regulation);
      expect(renderJson(r)).not.toMatch(/\bcompliant\b/i);
      const { counts, total } = r.summary;
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(total);
      expect(total).toBe(r.controls.length);
      expect(r.summary.statement).toContain(`${counts.met} met`);
      expect(r.summary.cannotShow.length).toBeGreaterThan(0);
    }
  });

  it('is JSON-serialisable, versioned and deterministic', () => {
    const r = buildReport(sampleEvidence(), 'gdpr');
    expect(JSON.parse(renderJson(r))).toEqual(r);
    expect(r.version).toBe(1);
    expect(r.kind).toBe('veil-compliance-report');
    expect(renderJson(buildReport(sampleEvidence(), 'gdpr'))).toBe(renderJson(r));
  });

  it('refuses an unknown regulation or malformed evidence', () => {
    expect(() => buildReport(sampleEvidence(), 'sox' as never)).toThrow(
      expect.objectContaining({ code: 'VEIL_INVALID_PARAMETER' }),
    );
    expect(() =>
      buildReport({ ...sampleEvidence(), spends: undefined } as unknown as ComplianceEvidence, 'gdpr'),
    ).toThrow(/evidence\.spends must be an array/);
  });
});
