/**
 * GDPR (Regulation (EU) 2016/679) controls: the Art. 5 principles, Art. 25 data protection by design and by
 * default, Art. 30 records of processing, Art. 32 security of processing and Art. 35 DPIA support.
 */
import {
  auditFinding,
  type Control,
  type ControlStatus,
  controlsOf,
  type Finding,
  privacyFinding,
  purposeFinding,
  retentionFinding,
  transportEvidence,
} from './controls.js';
import type { ComplianceEvidence } from './evidence.js';
import { count, day, type Facts, list } from './facts.js';

const control = controlsOf('gdpr', 'GDPR ');

function minimisation(e: ComplianceEvidence, f: Facts): Finding {
  if (f.granted.length === 0) return { status: 'not applicable', evidence: ['No granted spends.'] };
  const evidence = [
    `${count(f.granted.length, 'granted spend')} released differentially private results; the ledger and audit ` +
      "log record datasets by name and fingerprint, privacy events and purposes, never a dataset's records.",
  ];
  let status: ControlStatus = f.withoutEvents.length === 0 ? 'met' : 'needs human review';
  if (f.withoutEvents.length > 0) {
    evidence.push(
      `${count(f.withoutEvents.length, 'spend')} ${f.withoutEvents.length === 1 ? 'carries' : 'carry'} no privacy event, so nothing shows that the output was aggregated.`,
    );
  }
  if (e.safeHarbor !== undefined) {
    const direct = e.safeHarbor.findings.filter((x) => x.confidence === 'high');
    evidence.push(
      direct.length > 0
        ? `The identifier check of ${e.safeHarbor.source} found columns that look like direct identifiers: ${list(direct.map((x) => `${x.column} (${x.kind})`))}.`
        : `The identifier check of ${e.safeHarbor.source} found no column that looks like a direct identifier.`,
    );
    if (direct.length > 0 && status === 'met') status = 'needs human review';
  }
  return { status, evidence };
}

function confidentiality(e: ComplianceEvidence): Finding {
  const audit = auditFinding(e);
  const transport = transportEvidence(e);
  const evidence = [...audit.evidence, ...transport.evidence];
  if (audit.status === 'not met') return { status: 'not met', evidence };
  if (transport.encrypted === false) {
    evidence.push('The transport named is not TLS: updates may cross networks unencrypted.');
    return { status: 'not met', evidence };
  }
  return { status: audit.status, evidence };
}

function records(e: ComplianceEvidence, f: Facts): Finding {
  if (f.granted.length === 0)
    return { status: 'not applicable', evidence: ['No granted spends: no processing to record.'] };
  const evidence = [
    `${count(f.activities.length, 'processing activity', 'processing activities')} derived from ${count(f.granted.length, 'granted spend')} ` +
      `between ${day(f.period!.first)} and ${day(f.period!.last)} (listed in the report): ` +
      `${count(f.purposes.length, 'purpose')}, ${count(f.datasetsUsed.size, 'registered dataset')}, ` +
      `${count(new Set(f.granted.map((s) => s.account)).size, 'account')}.`,
  ];
  const noActor = f.granted.filter((s) => s.actor === null);
  if (noActor.length > 0)
    evidence.push(
      `${count(noActor.length, 'spend')} ${noActor.length === 1 ? 'records' : 'record'} no actor.`,
    );
  if (f.refunded.length > 0)
    evidence.push(`${count(f.refunded.length, 'refunded spend')} (events never ran) left out.`);
  evidence.push(`Ledger: ${e.ledger.dialect} at ${e.ledger.location}.`);
  return { status: 'needs human review', evidence };
}

/** The GDPR controls for this evidence. */
export function gdprControls(e: ComplianceEvidence, f: Facts): Control[] {
  const audit = auditFinding(e);
  const privacy = privacyFinding(e, f);
  const transport = transportEvidence(e);
  const consent = e.datasets.filter((d) => d.constraints.length > 0);
  return [
    control(
      'gdpr-art5-1a',
      'Art. 5(1)(a)',
      'Lawfulness, fairness and transparency',
      {
        status: 'needs human review',
        evidence: [
          `${count(e.datasets.length, 'registered dataset')}; consent constraints recorded for ${count(consent.length, 'dataset')}` +
            (consent.length > 0
              ? `: ${list(
                  consent.map((d) => `${d.name} (${d.constraints.join('; ')})`),
                  3,
                )}.`
              : '.'),
        ],
      },
      'The lawful basis for each processing activity (Art. 6, and Art. 9 for health data), and how data subjects ' +
        'were informed (Arts. 13-14). Consent terms in the ledger are what was registered, not proof of valid consent.',
    ),
    control(
      'gdpr-art5-1b',
      'Art. 5(1)(b)',
      'Purpose limitation',
      purposeFinding(e, f),
      'Whether the registered purposes are specified, explicit and legitimate, and compatible with those for which ' +
        'the data was first collected.',
    ),
    control(
      'gdpr-art5-1c',
      'Art. 5(1)(c)',
      'Data minimisation',
      minimisation(e, f),
      'Whether the columns and records collected are adequate, relevant and limited to what each purpose needs.',
    ),
    control(
      'gdpr-art5-1d',
      'Art. 5(1)(d)',
      'Accuracy',
      {
        status: 'needs human review',
        evidence: [
          'The ledger holds no evidence on the accuracy of the source records; DP noise affects only released results.',
        ],
      },
      'How source records are kept accurate and up to date, and how rectification requests reach them.',
    ),
    control(
      'gdpr-art5-1e',
      'Art. 5(1)(e)',
      'Storage limitation',
      retentionFinding(e, f),
      'Whether the retention periods are justified, and that expired data was actually erased at each organisation.',
    ),
    control(
      'gdpr-art5-1f',
      'Art. 5(1)(f)',
      'Integrity and confidentiality',
      confidentiality(e),
      'Security of the data at rest at each organisation, access control, and whether these measures suffice.',
    ),
    control(
      'gdpr-art5-2',
      'Art. 5(2)',
      'Accountability',
      {
        status: audit.status,
        evidence: [...audit.evidence, `Ledger: ${e.ledger.dialect} at ${e.ledger.location}.`],
      },
      'Who is the controller answerable for each activity, and that the organisational measures around the ledger exist.',
    ),
    control(
      'gdpr-art25',
      'Art. 25',
      'Data protection by design and by default',
      privacy,
      'Whether the epsilon and delta limits chosen are appropriate to the risk, and whether the defaults protect data subjects.',
    ),
    control(
      'gdpr-art30',
      'Art. 30',
      'Records of processing activities',
      records(e, f),
      'Complete the record: controller and DPO contacts, categories of data subjects and personal data, recipients, ' +
        'transfers to third countries, and a description of the security measures.',
    ),
    control(
      'gdpr-art32',
      'Art. 32',
      'Security of processing',
      {
        status: audit.status === 'not met' ? 'not met' : 'needs human review',
        evidence: [
          ...audit.evidence,
          ...transport.evidence,
          `Differential privacy on released results, limited by ${count(e.accounts.length, 'budget account')} with composed accounting.`,
        ],
      },
      'Whether these measures are appropriate to the risk, and the rest of Art. 32: availability, restore, regular testing.',
    ),
    control(
      'gdpr-art35',
      'Art. 35',
      'Data protection impact assessment (support)',
      {
        status: 'needs human review',
        evidence: [
          'This report gives a DPIA its technical facts: purposes and datasets (Art. 30 list), privacy loss per ' +
            'account, audit log state, transport and aggregation, and the identifier check when run.',
        ],
      },
      'Whether a DPIA is required, carrying it out, consulting the DPO, and signing it off (Art. 35(2), 36).',
    ),
  ];
}
