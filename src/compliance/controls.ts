/**
 * Controls: one requirement of a regulation, its status as far as the evidence shows, the facts behind that
 * status, and what a person must still decide. The checks shared by several regulations (purpose limitation,
 * retention, the audit log, differential privacy, transport security) live here; gdpr.ts, hipaa.ts and ccpa.ts
 * arrange them under their own references.
 */
import type { ComplianceEvidence } from './evidence.js';
import { count, day, type Facts, list, num } from './facts.js';

/** The regulations a report can map to. */
export const REGULATIONS = ['gdpr', 'hipaa', 'ccpa'] as const;
export type Regulation = (typeof REGULATIONS)[number];

/**
 * A control's status. 'met' means only that the evidence shows the checkable part of the control holds; it is never
 * a finding of compliance.
 */
export const CONTROL_STATUSES = ['met', 'not met', 'not applicable', 'needs human review'] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];

export interface Control {
  /** Stable id, e.g. 'gdpr-art5-1b'. */
  readonly id: string;
  readonly regulation: Regulation;
  /** The article or section, e.g. 'GDPR Art. 5(1)(b)'. */
  readonly reference: string;
  readonly title: string;
  readonly status: ControlStatus;
  /** Facts from the evidence, one sentence each. */
  readonly evidence: readonly string[];
  /** What a person must still decide or confirm. */
  readonly humanDecision: string;
}

/** A status and the facts that led to it. */
export interface Finding {
  readonly status: ControlStatus;
  readonly evidence: readonly string[];
}

/** The constructor of one regulation's controls: its references carry `prefix` (e.g. 'GDPR ', '45 CFR '). */
export function controlsOf(regulation: Regulation, prefix: string) {
  return (
    id: string,
    reference: string,
    title: string,
    finding: Finding,
    humanDecision: string,
  ): Control => ({
    id,
    regulation,
    reference: `${prefix}${reference}`,
    title,
    ...finding,
    humanDecision,
  });
}

/** Granted spends' purposes against their datasets' consent terms, and purpose refusals in the audit log. */
export function purposeFinding(e: ComplianceEvidence, f: Facts): Finding {
  const refusals = `${count(e.audit.refusals.purpose, 'refused purpose request')} recorded in the audit log`;
  if (f.granted.length === 0) {
    return {
      status: 'not applicable',
      evidence: ['No granted spends: no data was processed.', `${refusals}.`],
    };
  }
  const evidence = [`Purposes of the granted spends: ${list(f.purposes.map((p) => `'${p}'`))}.`];
  let status: ControlStatus = 'met';
  if (f.purposeViolations.length > 0) {
    status = 'not met';
    evidence.push(
      `${count(f.purposeViolations.length, 'granted spend')} used a dataset for a purpose its consent terms do not ` +
        `list: ${list(f.purposeViolations.map((v) => `spend #${v.spend} ('${v.purpose}' on ${v.dataset})`))}.`,
    );
  }
  const unchecked = f.withoutDataset.length + f.unregistered.length;
  if (unchecked > 0) {
    if (status === 'met') status = 'needs human review';
    evidence.push(
      `${count(unchecked, 'granted spend')} named no registered dataset, so their purposes cannot be checked ` +
        `against consent terms: ${list([...f.withoutDataset, ...f.unregistered].map((s) => `#${s.id}`))}.`,
    );
  }
  const checked = f.granted.length - unchecked;
  if (f.purposeViolations.length === 0 && checked > 0) {
    evidence.push(
      `${count(checked, 'spend')} on ${count(f.datasetsUsed.size, 'dataset')}, all with purposes allowed by ` +
        'their consent terms.',
    );
  }
  evidence.push(`${refusals}.`);
  return { status, evidence };
}

/** Use of datasets against their retention dates. */
export function retentionFinding(e: ComplianceEvidence, f: Facts): Finding {
  const refusals = `${count(e.audit.refusals.retention, 'refused request')} on retention grounds recorded in the audit log`;
  if (e.datasets.length === 0 && f.granted.length === 0) {
    return {
      status: 'not applicable',
      evidence: ['No registered datasets and no granted spends.', `${refusals}.`],
    };
  }
  const evidence: string[] = [];
  let status: ControlStatus = 'met';
  if (f.retentionViolations.length > 0) {
    status = 'not met';
    evidence.push(
      `${count(f.retentionViolations.length, 'granted spend')} used a dataset after its retention date: ` +
        `${list(f.retentionViolations.map((v) => `spend #${v.spend} on ${v.dataset} at ${day(v.createdAt)} (retain until ${day(v.retainUntil)})`))}.`,
    );
  }
  const dated = e.datasets.filter((d) => d.retainUntil !== null);
  if (dated.length > 0) {
    evidence.push(
      `Retention dates: ${list(dated.map((d) => `${d.name} until ${day(d.retainUntil!)}${d.expired ? ' (expired)' : ''}`))}.`,
    );
  }
  if (f.expired.length > 0 && f.retentionViolations.length === 0) {
    evidence.push(`${count(f.expired.length, 'expired dataset')}, none used after its retention date.`);
  }
  if (f.datasetsWithoutRetention.length > 0) {
    if (status === 'met') status = 'needs human review';
    evidence.push(`No retention date registered for ${list(f.datasetsWithoutRetention.map((d) => d.name))}.`);
  }
  if (f.withoutDataset.length + f.unregistered.length > 0) {
    if (status === 'met') status = 'needs human review';
    evidence.push(
      `${count(f.withoutDataset.length + f.unregistered.length, 'granted spend')} named no registered dataset, ` +
        'so no retention date applies to them.',
    );
  }
  evidence.push(`${refusals}.`);
  return { status, evidence };
}

/** The audit log's verification. */
export function auditFinding(e: ComplianceEvidence): Finding {
  const a = e.audit;
  if (!a.verified) {
    return {
      status: 'not met',
      evidence: [
        `The audit log (${count(a.size, 'entry', 'entries')}) did NOT verify: ${list([...a.problems], 3)}.`,
        'Until the cause is known, the ledger records cannot serve as evidence.',
      ],
    };
  }
  if (a.size === 0) return { status: 'needs human review', evidence: ['The audit log is empty.'] };
  const entries = `The audit log verified: ${count(a.size, 'entry', 'entries')} (hash chain and Merkle tree)`;
  if (a.head === null) {
    return { status: 'needs human review', evidence: [`${entries}, but no signed tree head exists.`] };
  }
  return {
    status: 'met',
    evidence: [
      `${entries}; signed tree head of size ${a.head.size} at ${a.head.at} (key ${a.head.keyId}, root ${a.head.root.slice(0, 16)}…).`,
      `Refusals recorded: ${a.refusals.budget} budget, ${a.refusals.purpose} purpose, ${a.refusals.retention} retention.`,
    ],
  };
}

/** Accounts, their composed epsilon against limits, and whether every spend carries privacy events. */
export function accountsEvidence(e: ComplianceEvidence): string[] {
  return e.accounts.map(
    (a) =>
      `Account ${a.path}: epsilon ${num(a.epsilonSpent)} of ${num(a.epsilonLimit)} at delta ${num(a.deltaLimit)} ` +
      `(${a.accountant}, composed over ${count(a.spends, 'spend')}; a naive sum would say ${num(a.epsilonNaiveSum)}).`,
  );
}

/** Differential privacy with composed accounting and enforced limits. */
export function privacyFinding(e: ComplianceEvidence, f: Facts): Finding {
  if (e.accounts.length === 0 && f.granted.length === 0 && e.run === undefined) {
    return { status: 'not applicable', evidence: ['No budget accounts, spends or runs.'] };
  }
  const evidence = [...accountsEvidence(e)];
  let status: ControlStatus = 'met';
  if (e.accounts.length === 0) {
    status = 'needs human review';
    evidence.push('No budget account: nothing limits the privacy loss.');
  }
  if (f.accountsOverLimit.length > 0) {
    status = 'not met';
    evidence.push(`Over their limits: ${list(f.accountsOverLimit)}.`);
  }
  if (f.withoutEvents.length > 0) {
    if (status === 'met') status = 'needs human review';
    evidence.push(
      `${count(f.withoutEvents.length, 'granted spend')} ${f.withoutEvents.length === 1 ? 'carries' : 'carry'} no privacy event: ${list(f.withoutEvents.map((s) => `#${s.id}`))}.`,
    );
  }
  if (e.run !== undefined) {
    const r = e.run;
    if (r.mechanism === 'none') {
      status = 'not met';
      evidence.push('The run used no differential privacy.');
    } else {
      evidence.push(
        `The run used ${r.mechanism}: epsilon ${num(r.epsilon)} at delta ${num(r.delta)} (${r.accountant} accountant).`,
      );
    }
    if (r.seeded === true) {
      if (status === 'met') status = 'needs human review';
      evidence.push('The run was seeded: reproducible and NOT private.');
    }
  }
  if (f.granted.length > 0 && f.withoutEvents.length === 0) {
    evidence.push(
      `All ${count(f.granted.length, 'granted spend')} carry privacy events, composed by each account's accountant.`,
    );
  }
  evidence.push(`${count(e.audit.refusals.budget, 'spend')} refused for lack of budget (audit log).`);
  return { status, evidence };
}

/** Transport and aggregation facts of the run (security in transit). */
export function transportEvidence(e: ComplianceEvidence): { evidence: string[]; encrypted: boolean | null } {
  if (e.run === undefined)
    return { evidence: ['No run facts given (transport, secure aggregation).'], encrypted: null };
  const r = e.run;
  const evidence = [`Transport: ${r.transport}.`];
  const sa = r.secureAggregation;
  evidence.push(
    sa === 'none'
      ? 'No secure aggregation: the coordinator sees each update.'
      : `Secure aggregation (${sa === 'secagg' ? 'SecAgg' : 'SecAgg+'}): the coordinator sees only the sum of updates.`,
  );
  if (r.organisations && r.organisations.length > 0) {
    evidence.push(`Organisations: ${list([...r.organisations], 8)}.`);
  }
  const inMemory = /in-memory|simulat/i.test(r.transport);
  return { evidence, encrypted: /\bTLS\b/i.test(r.transport) ? true : inMemory ? null : false };
}
