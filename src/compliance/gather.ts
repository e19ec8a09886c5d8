/**
 * Gathers a report's evidence from a ledger: every account's composed spend (and the naive sum beside it), every
 * spend, every dataset with its terms, the audit log's full verification, and the refusals the log records. The
 * report adds no facts of its own, so this is the only place that reads the ledger.
 *
 * With a {@link EvidenceScope} (a ledger shared by several organisations, as the service keeps it), only one
 * organisation's accounts, spends, datasets and refusals are read; the audit log's verification stays a fact
 * about the whole log (a report says so), with any problem that names something outside the scope counted, not
 * quoted.
 */
import { InvalidParameterError } from '../core/index.js';
import type { AuditEntry, Ledger } from '../ledger/index.js';
import type { ComplianceEvidence, EvidenceScope, RunEvidence } from './evidence.js';
import type { SafeHarborResult } from './safe-harbor.js';

/** Options of {@link gatherEvidence}. */
export interface GatherOptions {
  /** The report's date (default now); datasets past their retention date at this time count as expired. */
  readonly now?: Date;
  /** The hex public key the audit log's heads must be signed with (default: the ledger's own key file). */
  readonly trustedPublicKey?: string;
  readonly safeHarbor?: SafeHarborResult;
  readonly run?: RunEvidence;
  /**
   * Read only one organisation's records (default: the whole ledger). Accounts and spends are `scope.account`'s
   * subtree; datasets are those whose names start with `scope.datasetPrefix`; refusals are those filed under an
   * account of the subtree, or under none but naming one of those datasets.
   */
  readonly scope?: EvidenceScope;
}

/** Whether `path` is `root` or below it. */
const inSubtree = (root: string, path: string | null): boolean =>
  path !== null && (path === root || path.startsWith(`${root}/`));

/** The refused entries of the scope: its subtree's, and those filed under no account that name its datasets. */
async function scopedRefusals(
  ledger: Ledger,
  scope: EvidenceScope,
  datasets: readonly string[],
): Promise<AuditEntry[]> {
  const bySeq = new Map<number, AuditEntry>();
  for (const e of await ledger.auditEntries({ outcome: 'refused', account: scope.account }))
    bySeq.set(e.seq, e);
  for (const name of datasets) {
    for (const e of await ledger.auditEntries({ outcome: 'refused', dataset: name })) {
      if (e.account === null) bySeq.set(e.seq, e);
    }
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The verification's problems a scoped report may show. The log's problems name entries, heads and keys, never
 * records; should one quote a name (as the budget replay's problems quote accounts), it is shown only when every
 * quoted name lies in the scope, and otherwise counted: it may name another organisation's records.
 */
export function scopedProblems(problems: readonly string[], scope: EvidenceScope): string[] {
  const shown = problems.filter((p) =>
    [...p.matchAll(/"([^"]*)"/g)].every(
      (m) => inSubtree(scope.account, m[1]!) || m[1]!.startsWith(scope.datasetPrefix),
    ),
  );
  const hidden = problems.length - shown.length;
  if (hidden > 0)
    shown.push(
      `${hidden} more problem${hidden === 1 ? '' : 's'} elsewhere in the shared ledger (not shown: ${hidden === 1 ? 'it names' : 'they name'} records outside this report's scope)`,
    );
  return shown;
}

/** A scope must name a root account and a non-empty dataset prefix: an empty one would take in every dataset. */
function checkScope(scope: EvidenceScope): void {
  const fail = (param: string, value: unknown, allowed: string) => {
    throw new InvalidParameterError({ fn: 'gatherEvidence', param, value, allowed });
  };
  if (typeof scope.account !== 'string' || scope.account === '' || scope.account.includes('/'))
    fail('scope.account', scope.account, "a root account's path (no '/')");
  if (typeof scope.datasetPrefix !== 'string' || scope.datasetPrefix === '')
    fail('scope.datasetPrefix', scope.datasetPrefix, 'a non-empty start of dataset names');
}

/**
 * Reads the ledger into a {@link ComplianceEvidence}: the whole ledger, or with `options.scope` one
 * organisation's part of it.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a scope without a root account or dataset prefix
 */
export async function gatherEvidence(
  ledger: Ledger,
  options: GatherOptions = {},
): Promise<ComplianceEvidence> {
  const now = options.now ?? new Date();
  const scope = options.scope;
  if (scope !== undefined) checkScope(scope);
  // the ledger has no subtree query for accounts: the rows are cheap, the statuses are read for the scope only
  const rows = (await ledger.accounts()).filter(
    (a) => scope === undefined || inSubtree(scope.account, a.path),
  );
  const accounts = [];
  for (const account of rows) {
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
  // every spend, once: the roots' subtrees cover all accounts (the scope's root covers the scope's)
  const roots =
    scope === undefined ? accounts.filter((a) => !a.path.includes('/')).map((a) => a.path) : [scope.account];
  const spends = [];
  for (const root of roots) {
    for (const s of await ledger.spends(root)) {
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
  const datasets = (await ledger.datasets())
    .filter((d) => scope === undefined || d.name.startsWith(scope.datasetPrefix))
    .map((d) => ({
      ...d,
      expired: d.retainUntil !== null && now.getTime() > Date.parse(d.retainUntil),
    }));
  const verification = await ledger.verifyAudit(
    options.trustedPublicKey ? { trustedPublicKey: options.trustedPublicKey } : {},
  );
  const refused =
    scope === undefined
      ? await ledger.auditEntries({ outcome: 'refused' })
      : await scopedRefusals(
          ledger,
          scope,
          datasets.map((d) => d.name),
        );
  const refusals = { budget: 0, purpose: 0, retention: 0 };
  for (const e of refused) {
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
      problems:
        scope === undefined ? [...verification.problems] : scopedProblems(verification.problems, scope),
      head: head ? { size: head.size, root: head.root, at: head.at, keyId: head.keyId } : null,
      refusals,
    },
    ...(options.safeHarbor ? { safeHarbor: options.safeHarbor } : {}),
    ...(options.run ? { run: options.run } : {}),
    ...(scope ? { scope: { account: scope.account, datasetPrefix: scope.datasetPrefix } } : {}),
  };
}
