/**
 * The budgets of a simulated federation charged to a real ledger (`veil simulate --db`): each simulated node's
 * local DP to its own account `<prefix>.<node>`, the aggregate's central or distributed DP to the account the
 * config's `budget` section names (default `central-dp`), or `<prefix>.central` when it names none. A simulation on the same data twice pays twice: that is what
 * a budget is for.
 */
import { freemem } from 'node:os';
import { ConfigError, seededRng } from '../../core/index.js';
import {
  type ByzantineSpec,
  type CoordinatorEvent,
  type FederationConfig,
  loadedDataShape,
  loadFederatedData,
  type PersonalizationSpec,
  type PrivacyBudget,
  type SimulationData,
  type SimulationLocalPrivacy,
  type SimulationResult,
  simulate,
  simulationDataShape,
} from '../../fl/index.js';
import type { Ledger } from '../../ledger/index.js';
import { defaultCharge, type JobContext } from '../context.js';
import { ledgerBudget } from './budget.js';
import { type PrepaidCharge, prepaidPlan } from './prepaid.js';
import { checkSimulationMemory, count, gib, memoryAvailable } from './simulate-memory.js';
import { bytesPerRound, coordinatorJson } from './summary.js';

/** Options of {@link simulationBudgets}. */
export interface SimulationBudgetOptions {
  /** Account prefix (default `simulate`). */
  readonly prefix?: string;
  /** The simulated nodes' names. */
  readonly nodes: readonly string[];
  readonly localPrivacy: SimulationLocalPrivacy;
  /** The central budget (config `budget`), if the aggregate is charged. */
  readonly central?: {
    readonly epsilon: number;
    readonly delta: number;
    readonly accountant: 'rdp' | 'pld';
    readonly account?: string;
  };
}

/** Opens (creating where needed) the ledger accounts a simulation charges. */
export async function simulationBudgets(
  ledger: Ledger,
  o: SimulationBudgetOptions,
): Promise<{
  readonly nodeBudget: ((node: string) => PrivacyBudget) | undefined;
  readonly centralBudget: PrivacyBudget | undefined;
  readonly accounts: readonly string[];
}> {
  const prefix = o.prefix ?? 'simulate';
  const accounts: string[] = [];
  const byNode = new Map<string, PrivacyBudget>();
  const lp = o.localPrivacy;
  if (lp.kind === 'dp') {
    for (const name of o.nodes) {
      const account = `${prefix}.${name}`;
      const { budget } = await ledgerBudget(ledger, {
        account,
        epsilon: lp.epsilon,
        delta: lp.delta,
        accountant: lp.accountant ?? 'rdp',
        purpose: (label) => `simulated federation, node ${name}: ${label}`,
      });
      byNode.set(name, budget);
      accounts.push(account);
    }
  }
  let centralBudget: PrivacyBudget | undefined;
  if (o.central) {
    const account = o.central.account ?? `${prefix}.central`;
    ({ budget: centralBudget } = await ledgerBudget(ledger, {
      account,
      epsilon: o.central.epsilon,
      delta: o.central.delta,
      accountant: o.central.accountant,
      purpose: (label) => `simulated federation, aggregate: ${label}`,
    }));
    accounts.push(account);
  }
  return {
    nodeBudget: byNode.size > 0 ? (node) => byNode.get(node)! : undefined,
    centralBudget,
    accounts,
  };
}

/** A simulation to run: from a `veil simulate` config file, or from flags mapped onto the same shape. */
export interface SimulationPlan {
  readonly federation: FederationConfig;
  readonly data: SimulationData;
  readonly nodes: number;
  readonly localPrivacy: SimulationLocalPrivacy;
  readonly byzantine: ByzantineSpec | undefined;
  readonly personalization: PersonalizationSpec;
  readonly dropout?: number;
  /** The aggregate's budget (config `budget`): charged only with a ledger (`charge`). */
  readonly budget?: { epsilon: number; delta: number; accountant: 'rdp' | 'pld'; account: string };
  /** Where the plan came from, so that a refusal names what to change: flags (default) or a config file. */
  readonly origin?: 'flags' | 'file';
}

/** What a simulation job did: its JSON summary and the run itself (for rendering). */
export interface SimulationJobResult {
  readonly summary: Record<string, unknown>;
  readonly run: SimulationResult;
  readonly description: string;
}

/** A stage's advance: on the job's event stream at every tenth, and in the log when it takes a while. */
function stageReporter(
  ctx: Pick<JobContext, 'progress'> & { readonly log: (line: string) => void },
  verbose: boolean,
) {
  let lastLine = performance.now();
  return (stage: string, total: number, line: (done: number) => string) => {
    const step = Math.max(1, Math.ceil(total / 10));
    let logged = false;
    return (done: number) => {
      if (done !== total && done % step !== 0) return;
      const message = line(done);
      ctx.progress({ kind: 'progress', stage, done, total, message });
      const now = performance.now();
      // a stage that ends within a second says nothing; a longer one a line a second at most, and its end
      if (verbose && (now - lastLine >= 1000 || (done === total && logged))) {
        ctx.log(message);
        lastLine = now;
        logged = true;
      }
    };
  };
}

/**
 * Runs a simulated federation. With `charge` true (`veil simulate --db`), every DP spend goes through `ctx.ledger`
 * as it happens ({@link simulationBudgets}); false, spends live in memory and a `budget` section is refused (it
 * would charge nothing); a {@link PrepaidCharge} (the HTTP service), the aggregate's central DP of every planned
 * round is paid at once through `ctx.pay`, after the data is loaded and before the federation starts, and each
 * round is charged against that payment (prepaid.ts: local and distributed DP are refused). Before anything is
 * built, its memory is estimated and a plan that cannot fit is refused ({@link checkSimulationMemory}); while it
 * runs, it reports `progress` events (the nodes' data shards, their registration, each round's trained nodes),
 * and log lines for those of a run of more than 50 nodes that take a while.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a budget section without a ledger, a plan that does not fit in
 *   memory, or a secure round of more than 1,000 selected nodes (MAX_SECURE_ROUND_NODES)
 */
export async function runSimulationJob(
  plan: SimulationPlan,
  ctx: JobContext & {
    readonly charge: boolean | PrepaidCharge;
    readonly log: (line: string) => void;
    readonly onCoordinatorEvent?: (e: CoordinatorEvent) => void;
  },
): Promise<SimulationJobResult> {
  const verbose = plan.nodes > 50;
  // a plan that cannot be paid in advance is refused before anything is built
  const prepaid = typeof ctx.charge === 'object' ? prepaidPlan(plan, ctx.charge) : null;
  const estimate = checkSimulationMemory(plan, (nodes) => simulationDataShape(plan.data, nodes));
  if (verbose)
    ctx.log(
      `${count(plan.nodes)} nodes: estimated memory ${gib(estimate.totalBytes)} (${gib(estimate.heapBytes)} of JavaScript objects; ${gib(memoryAvailable().heapLimitBytes)} heap limit, ${gib(freemem())} free memory)`,
    );
  if (plan.budget && !ctx.charge)
    throw new ConfigError(
      [
        {
          path: '--db',
          value: undefined,
          allowed: 'a ledger URL: the config has a budget section to charge',
        },
      ],
      'command-line flags',
    );
  const stage = stageReporter(ctx, verbose);
  const data = loadFederatedData(
    plan.data,
    plan.nodes,
    seededRng(ctx.seed ?? 0),
    stage(
      'data',
      plan.nodes,
      (done) => `building the nodes' data shards: ${count(done)}/${count(plan.nodes)}`,
    ),
  );
  // a CSV file's width and rows are known once it is read: the estimate again, before any node is built
  if (plan.data.kind === 'csv') checkSimulationMemory(plan, () => loadedDataShape(data));
  ctx.log(
    `${data.description}; ${plan.federation.rounds} rounds, strategy ${plan.federation.strategy.kind}/${plan.federation.strategy.aggregator.kind}`,
  );
  const registered = stage(
    'registration',
    plan.nodes,
    (done) => `nodes registered: ${count(done)}/${count(plan.nodes)}`,
  );
  let registrations = 0;
  const rounds = plan.federation.rounds;
  const perRound = Math.round(estimate.nodesPerRound);
  const trainedIn = new Map<number, { n: number; report: (done: number) => void }>();
  const onUpdateSent = (_node: string, round: number) => {
    let r = trainedIn.get(round);
    if (!r) {
      r = {
        n: 0,
        report: stage(
          'round',
          perRound,
          (done) => `round ${round}/${rounds}: ${count(done)} of ${count(perRound)} selected nodes trained`,
        ),
      };
      trainedIn.set(round, r);
      trainedIn.delete(round - 2);
    }
    r.report(++r.n);
  };
  const onCoordinatorEvent = (e: CoordinatorEvent) => {
    if (e.kind === 'registered') registered(++registrations);
    ctx.onCoordinatorEvent?.(e);
  };
  const run = (budgets: Awaited<ReturnType<typeof simulationBudgets>> | null) =>
    simulate({
      federation: plan.federation,
      data,
      localPrivacy: plan.localPrivacy,
      personalization: plan.personalization,
      ...(plan.byzantine ? { byzantine: plan.byzantine } : {}),
      ...(plan.dropout ? { dropout: plan.dropout } : {}),
      ...(ctx.seed !== undefined ? { seed: ctx.seed } : {}),
      roundTrip: plan.nodes <= 1000,
      onCoordinatorEvent,
      onUpdateSent,
      ...(budgets?.nodeBudget ? { nodeBudget: budgets.nodeBudget } : {}),
      ...(budgets?.centralBudget ? { centralBudget: budgets.centralBudget } : {}),
    });
  const chargedAsItGoes = () =>
    ctx.ledger.use(async (ledger) => {
      const budgets = await simulationBudgets(ledger, {
        nodes: data.nodes.map((n) => n.name),
        localPrivacy: plan.localPrivacy,
        ...(plan.budget ? { central: plan.budget } : {}),
      });
      ctx.log(
        `charging ${budgets.accounts.length} ledger account(s) in ${ledger.location.location}: ${budgets.accounts.slice(0, 5).join(', ')}${budgets.accounts.length > 5 ? ', …' : ''}`,
      );
      if (!plan.budget && (plan.federation.centralDp || plan.federation.secagg?.distributedDp))
        ctx.log(
          "note: the aggregate's DP events are reported but charged to no account (add a budget section to the config)",
        );
      return run(budgets);
    });
  let r: SimulationResult;
  let paid: { account: string; spend: number; rounds: number } | undefined;
  if (prepaid) {
    // the whole run's charge, once, before any node trains or any noise is drawn
    const receipt = await ctx.ledger.use((ledger) => (ctx.pay ?? defaultCharge)(ledger, prepaid.request));
    paid = { account: receipt.account, spend: receipt.id, rounds: prepaid.rounds };
    ctx.progress({
      kind: 'ledger',
      message: `spend ${receipt.id} granted on ${receipt.account} for "${receipt.purpose}": ${prepaid.rounds} rounds of central DP paid in advance`,
    });
    r = await run({ nodeBudget: undefined, centralBudget: prepaid.budget(), accounts: [receipt.account] });
  } else r = ctx.charge ? await chargedAsItGoes() : await run(null);
  const summary = simulationSummary(plan, r, data.description);
  return {
    summary: paid ? { ...summary, ledger: paid } : summary,
    run: r,
    description: data.description,
  };
}

/** The JSON summary of a simulation (`veil simulate --json`). */
function simulationSummary(
  plan: SimulationPlan,
  r: SimulationResult,
  description: string,
): Record<string, unknown> {
  const c = r.coordinator;
  const nodeEps = r.nodes.map((n) => n.localPrivacy?.epsilonSpent ?? 0);
  const personal = r.nodes.filter((n) => n.personalized !== null);
  const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const personalization =
    plan.personalization.kind === 'none'
      ? null
      : {
          ...plan.personalization,
          nodes: personal.length,
          skipped: r.nodes.length - personal.length,
          meanAccuracy: personal.length ? meanOf(personal.map((n) => n.personalized!.accuracy)) : null,
          meanGlobalAccuracy: personal.length
            ? meanOf(personal.map((n) => n.personalized!.globalAccuracy))
            : null,
        };
  return {
    ok: c.status === 'finished',
    nodeCount: plan.nodes,
    parameters: r.parameters,
    data: description,
    testAccuracy: r.testAccuracy,
    testLoss: r.testLoss,
    byzantineNodes: r.byzantineNodes,
    localPrivacy:
      plan.localPrivacy.kind === 'dp'
        ? {
            budget: plan.localPrivacy.epsilon,
            delta: plan.localPrivacy.delta,
            epsilonMax: Math.max(...nodeEps),
            epsilonByNode:
              plan.nodes <= 1000
                ? Object.fromEntries(r.nodes.map((n, i) => [n.name, nodeEps[i]]))
                : undefined,
            nodesLeft: r.nodes.filter((n) => n.status === 'left').length,
          }
        : null,
    personalization,
    bytesPerRound: bytesPerRound(r.bytes),
    ...coordinatorJson(c, 1000),
    private: r.private,
    seconds: r.seconds,
  };
}
