/**
 * Gathers a report's evidence from a ledger: every account's composed spend (and the naive sum beside it), every
 * spend, every dataset with its terms, the audit log's full verification, and the refusals the log records. The
 * report adds no facts of its own, so this is the only place that reads the ledger.
 */
import type { Ledger } from '../ledger/index.js';
import type { ComplianceEvidence, RunEvidence } from './evidence.js';
import type { SafeHarborResult } from './safe-harbor.js';

/** Options of {@link gatherEvidence}. */
export interface GatherOptions {
  /** The report's date (default now); datasets past their retention date at this time count as expired. */
  readonly now?: Date;
  /** The hex public key the audit log's heads must be signed with (default: the ledger's own key file). */
  readonly trustedPublicKey?: string;
  readonly safeHarbor?: SafeHarborResult;
  readonly run?: RunEvidence;
}

/** Reads the ledger into a {@link ComplianceEvidence}. */
export async function gatherEvidence(
  ledger: Ledger,
  options: GatherOptions = {},
): Promise<ComplianceEvidence> {
  const now = options.now ?? new Date();
  const accounts = [];
  for (const account of await ledger.accounts()) {
    const s = await ledger.status(account.path, { naiveSum: true });
    accounts.push({
      path: account.path,
      epsilonLimit: account.epsilonLimit,
      deltaLimit: account.deltaLimit,
      accountant: account.accountant,
      epsilonSpent: s.epsilonSpent,
      epsilonRemaining: s.epsilonRemaining,
      spends: s.spends,
      epsilonNaiveSum: s.epsilonNaiveSum ?? s.epsilonSpent,
    });
  }
  // every spend, once: the roots' subtrees cover all accounts
  const spends = [];
  for (const root of accounts.filter((a) => !a.path.includes('/'))) {
    for (const s of await ledger.spends(root.path)) {
      spends.push({
        id: s.id,
        account: s.account,
        purpose: s.purpose,
        status: s.status === 'refunded' ? ('refunded' as const) : ('granted' as const),
        dataset: s.dataset,
        actor: s.actor,
        createdAt: s.createdAt,
        eventKinds: [...new Set(s.events.map((e) => e.kind))],
      });
    }
  }
  spends.sort((a, b) => a.id - b.id);
  const datasets = (await ledger.datasets()).map((d) => ({
    ...d,
    expired: d.retainUntil !== null && now.getTime() > Date.parse(d.retainUntil),
  }));
  const verification = await ledger.verifyAudit(
    options.trustedPublicKey ? { trustedPublicKey: options.trustedPublicKey } : {},
  );
  const refusals = { budget: 0, purpose: 0, retention: 0 };
  for (const e of await ledger.auditEntries({ outcome: 'refused' })) {
    const reason = e.detail.reason;
    if (reason === 'budget' || reason === 'purpose' || reason === 'retention') refusals[reason]++;
  }
  const head = verification.head;
  return {
    generatedAt: now.toISOString(),
    ledger: ledger.location,
    accounts,
    spends,
    datasets,
    audit: {
      verified: verification.ok,
      size: verification.size,
      problems: [...verification.problems],
      head: head ? { size: head.size, root: head.root, at: head.at, keyId: head.keyId } : null,
      refusals,
    },
    ...(options.safeHarbor ? { safeHarbor: options.safeHarbor } : {}),
    ...(options.run ? { run: options.run } : {}),
  };
}
