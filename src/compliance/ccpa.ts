/**
 * CCPA (Cal. Civ. Code §1798.100 et seq., as amended by the CPRA) controls: deidentified data (§1798.140(m)),
 * purpose limitation and proportionality (§1798.100(c)), retention (§1798.100(a)(3)) and reasonable security
 * (§1798.100(e), §1798.150).
 */
import {
  accountsEvidence,
  auditFinding,
  type Control,
  controlsOf,
  purposeFinding,
  retentionFinding,
  transportEvidence,
} from './controls.js';
import type { ComplianceEvidence } from './evidence.js';
import type { Facts } from './facts.js';

const control = controlsOf('ccpa', 'Cal. Civ. Code ');

/** The CCPA controls for this evidence. */
export function ccpaControls(e: ComplianceEvidence, f: Facts): Control[] {
  const audit = auditFinding(e);
  const transport = transportEvidence(e);
  const dp = accountsEvidence(e);
  if (e.run !== undefined) dp.push(`The run released results under ${e.run.mechanism}.`);
  return [
    control(
      'ccpa-1798-140m',
      '§1798.140(m)',
      'Deidentified information',
      {
        status: 'needs human review',
        evidence: [
          ...(dp.length > 0 ? dp : ['No differential-privacy guarantee recorded.']),
          'Technical measures are only the first of three conditions; the ledger holds no record of the other two.',
        ],
      },
      'That the business (1) has taken reasonable measures so the information cannot be associated with a consumer, ' +
        '(2) publicly commits to keep it deidentified and not to reidentify it, and (3) contractually obliges every ' +
        'recipient to do the same.',
    ),
    control(
      'ccpa-1798-100c',
      '§1798.100(c)',
      'Purpose limitation: reasonably necessary and proportionate',
      purposeFinding(e, f),
      'Whether each use is reasonably necessary and proportionate to the purposes disclosed to consumers.',
    ),
    control(
      'ccpa-1798-100a3',
      '§1798.100(a)(3)',
      'Retention no longer than reasonably necessary',
      retentionFinding(e, f),
      'Whether the retention periods were disclosed at collection and are no longer than reasonably necessary.',
    ),
    control(
      'ccpa-1798-100e',
      '§1798.100(e), §1798.150',
      'Reasonable security procedures and practices',
      {
        status: audit.status === 'not met' ? 'not met' : 'needs human review',
        evidence: [...audit.evidence, ...transport.evidence],
      },
      'Whether the security procedures are reasonable for the nature of the personal information.',
    ),
  ];
}
