/**
 * HIPAA (45 CFR Parts 160 and 164) controls: the Privacy Rule's de-identification standard, §164.514(b)(2) Safe
 * Harbor (from the identifier check) and (b)(1) Expert Determination (from the DP guarantees), business associate
 * contracts, and the Security Rule's audit controls and transmission security.
 */
import {
  accountsEvidence,
  auditFinding,
  type Control,
  type ControlStatus,
  controlsOf,
  type Finding,
  transportEvidence,
} from './controls.js';
import type { ComplianceEvidence } from './evidence.js';
import { count, type Facts, list, num } from './facts.js';

const control = controlsOf('hipaa', '45 CFR ');

function safeHarbor(e: ComplianceEvidence): Finding {
  const r = e.safeHarbor;
  if (r === undefined) {
    return {
      status: 'needs human review',
      evidence: ['No dataset file was checked for the 18 identifier kinds.'],
    };
  }
  const scanned = `${r.source}: ${count(r.columns.length, 'column')}, ${count(r.rowsScanned, 'row')} scanned${r.truncated ? ' (more rows not scanned)' : ''}.`;
  const high = r.findings.filter((x) => x.confidence === 'high');
  const possible = r.findings.filter((x) => x.confidence === 'possible');
  const describe = (xs: typeof r.findings) =>
    list(
      xs.map(
        (x) => `${x.column} as (${x.letter}) ${x.kind}: ${x.reason}${x.shape ? `, shape '${x.shape}'` : ''}`,
      ),
      8,
    );
  const evidence = [scanned];
  let status: ControlStatus;
  if (high.length > 0) {
    status = 'not met';
    evidence.push(`Columns that look like identifiers: ${describe(high)}.`);
  } else if (possible.length > 0) {
    status = 'needs human review';
  } else {
    status = 'met';
    evidence.push('No column looks like any of the 18 identifier kinds by name or value pattern.');
  }
  if (possible.length > 0) evidence.push(`Possible identifiers to look at: ${describe(possible)}.`);
  evidence.push(...r.notes);
  return { status, evidence };
}

function expertDetermination(e: ComplianceEvidence): Finding {
  const evidence = accountsEvidence(e);
  if (e.run !== undefined) {
    evidence.push(
      `Released model or statistics: ${e.run.mechanism}, epsilon ${num(e.run.epsilon)} at delta ${num(e.run.delta)} ` +
        `(${e.run.accountant} accountant)${e.run.seeded ? ', SEEDED: not private' : ''}.`,
    );
  }
  if (evidence.length === 0)
    evidence.push('No differential-privacy guarantee recorded (no accounts, no run).');
  return { status: 'needs human review', evidence };
}

/** The HIPAA controls for this evidence. */
export function hipaaControls(e: ComplianceEvidence, f: Facts): Control[] {
  const audit = auditFinding(e);
  const transport = transportEvidence(e);
  const transmission: Finding =
    e.run === undefined
      ? { status: 'not applicable', evidence: transport.evidence }
      : {
          status:
            transport.encrypted === true
              ? 'met'
              : transport.encrypted === null
                ? 'needs human review'
                : 'not met',
          evidence: transport.evidence,
        };
  return [
    control(
      'hipaa-164-514b2',
      '§164.514(b)(2)',
      'De-identification: Safe Harbor (18 identifiers removed)',
      safeHarbor(e),
      'That no identifier remains in free text or coded columns the check cannot read, and that the covered entity has ' +
        'no actual knowledge that the remaining information could identify an individual (§164.514(b)(2)(ii)).',
    ),
    control(
      'hipaa-164-514b1',
      '§164.514(b)(1)',
      'De-identification: Expert Determination (evidence for the expert)',
      expertDetermination(e),
      'A qualified expert must determine, and document, that the risk of identifying an individual from the released ' +
        'information is very small; differential-privacy parameters are input to that judgement, not a substitute.',
    ),
    control(
      'hipaa-164-504e',
      '§164.502(e), §164.504(e)',
      'Business associate contracts',
      {
        status: 'needs human review',
        evidence: [
          e.run?.organisations && e.run.organisations.length > 0
            ? `Organisations taking part: ${list([...e.run.organisations], 8)}.`
            : `${count(new Set(f.granted.map((s) => s.account.split('/')[0]!)).size, 'organisation')} (root accounts) made spends.`,
        ],
      },
      'Whether a business associate agreement is in place with every party that handles protected health information.',
    ),
    control(
      'hipaa-164-312b',
      '§164.312(b)',
      'Audit controls',
      audit,
      'That audit logs are reviewed regularly and that the log covers every system holding ePHI, not only the ledger.',
    ),
    control(
      'hipaa-164-312e1',
      '§164.312(e)(1)',
      'Transmission security',
      transmission,
      'That every other path carrying ePHI (uploads, backups, dashboards) is protected too.',
    ),
  ];
}
