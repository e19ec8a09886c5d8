/**
 * `veil budget forecast|allocate`: planning on the privacy-budget ledger (docs/ledger.md, "Planning"). Both read
 * the ledger and never spend. The flags become the job's spec (src/jobs/ledger); this file renders the result.
 */
import type { ConfigIssue } from '../../core/index.js';
import {
  BudgetAllocateSpecSchema,
  BudgetForecastSpecSchema,
  runBudgetAllocate,
  runBudgetForecast,
} from '../../jobs/index.js';
import type { CommandResult } from '../output.js';
import { numberFlag as n, parseFlags, readJsonFlag } from '../parse-flags.js';
import { accountField, ledgerOf } from './budget.js';

const f6 = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : String(x));

/** `veil budget forecast ACCOUNT [--window N] [--db URL]`: burn-down and projected exhaustion. */
export async function budgetForecast(
  account: string | undefined,
  flags: { window?: string; db?: string },
): Promise<CommandResult> {
  const { spec } = parseFlags(BudgetForecastSpecSchema, [
    accountField(account),
    n('--window', 'window', flags.window),
  ]);
  const path = spec.account;
  const f = await runBudgetForecast(spec, ledgerOf(flags.db));
  const a = f.account;
  const text = [
    `${path}: epsilon ${f6(f.epsilonSpent)} spent of ${a.epsilonLimit} at delta ${a.deltaLimit} (${a.accountant}), ${f6(f.epsilonRemaining)} remaining`,
    `burn-down (${f.burnDown.length} granted spends): composed epsilon after each, and the naive sum`,
    ...f.burnDown.map(
      (b) =>
        `  #${b.id} ${b.createdAt} ${b.account} "${b.purpose}": +${f6(b.epsilon)} -> ${f6(b.epsilonAfter)} (sum ${f6(b.naiveSumAfter)})`,
    ),
  ];
  const pr = f.projection;
  if (pr.status === 'not-enough-history') text.push(`projection: ${pr.reason}`);
  else {
    const fit =
      pr.spendsThatFit === null
        ? `more than 1,048,576 more spends like the last ${pr.window.spends} fit`
        : `${pr.spendsThatFit} more spends like the last ${pr.window.spends} fit (composed; dividing the remaining epsilon would say ${pr.naiveSpendsThatFit})`;
    const when =
      pr.exhaustedAt === null
        ? pr.spendsThatFit === null
          ? 'no exhaustion in sight at this rate'
          : 'no date: the window has no rate (its spends share a timestamp)'
        : `at one spend every ${(pr.meanIntervalMs / 3_600_000).toFixed(1)} h, the budget runs out on ${pr.exhaustedAt}`;
    text.push(`projection: ${fit}; ${when}`);
  }
  return { summary: { ok: true, forecast: f }, text };
}

/** `veil budget allocate ACCOUNT --jobs FILE [--db URL]`: split the remaining budget across planned jobs. */
export async function budgetAllocate(
  account: string | undefined,
  flags: { jobs?: string; db?: string },
): Promise<CommandResult> {
  const issues: ConfigIssue[] = [];
  const jobs = readJsonFlag(
    '--jobs',
    flags.jobs,
    'a readable JSON file',
    issues,
    "a JSON file: an array of planned jobs, all {kind:'dp-sgd', sampleRate, steps, weight?, name?} or all {kind:'epsilon-delta', delta?, weight?, name?}",
  );
  const { spec } = parseFlags(
    BudgetAllocateSpecSchema,
    [
      accountField(account),
      { flag: '--jobs', path: 'jobs', raw: flags.jobs, kind: 'text', renameOnly: true },
    ],
    { values: { jobs }, issues },
  );
  const path = spec.account;
  const plan = await runBudgetAllocate(spec, ledgerOf(flags.db));
  const a = plan.account;
  const text = [
    plan.mode === 'dp-sgd'
      ? `${path}: ${plan.jobs.length} DP-SGD jobs fit with noise multiplier ${plan.scale} / weight (the least noise that fits)`
      : `${path}: ${plan.jobs.length} (epsilon, delta) jobs fit with epsilon ${plan.scale} x weight (the most that fits)`,
    ...plan.jobs.map((j) =>
      j.kind === 'dp-sgd'
        ? `  ${j.name} (weight ${j.weight}): noise multiplier ${j.noiseMultiplier}, epsilon ${f6(j.epsilon)} alone at delta ${a.deltaLimit}`
        : `  ${j.name} (weight ${j.weight}): epsilon ${j.epsilon}, delta ${j.delta}`,
    ),
    ...plan.accounts.map(
      (c) =>
        `  ${c.path}: epsilon ${f6(c.epsilonAfter)} of ${c.limit} after history and every job${c.path === plan.binding ? ' (binding)' : ''}`,
    ),
  ];
  return { summary: { ok: true, allocation: plan }, text };
}
