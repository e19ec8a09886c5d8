/**
 * The budgets of a simulated federation charged to a real ledger (`veil simulate --db`): each simulated node's
 * local DP to its own account `<prefix>.<node>`, the aggregate's central or distributed DP to the account the
 * config's `budget` section names (default `central-dp`), or `<prefix>.central` when it names none. A simulation on the same data twice pays twice: that is what
 * a budget is for.
 */
import { ConfigError, seededRng } from '../../core/index.js';
import {
  type ByzantineSpec,
  type CoordinatorEvent,
  type FederationConfig,
  loadFederatedData,
  type PersonalizationSpec,
  type PrivacyBudget,
  type SimulationData,
  type SimulationLocalPrivacy,
  type SimulationResult,
  simulate,
} from '../../fl/index.js';
import type { Ledger } from '../../ledger/index.js';
import type { JobContext } from '../context.js';
import { ledgerBudget } from './budget.js';
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
}

/** What a simulation job did: its JSON summary and the run itself (for rendering). */
export interface SimulationJobResult {
  readonly summary: Record<string, unknown>;
  readonly run: SimulationResult;
  readonly description: string;
}

/**
 * Runs a simulated federation. With `charge`, every DP spend goes through `ctx.ledger` ({@link simulationBudgets});
 * without, spends live in memory and a `budget` section is refused (it would charge nothing).
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a budget section without a ledger
 */
export async function runSimulationJob(
  plan: SimulationPlan,
  ctx: JobContext & {
    readonly charge: boolean;
    readonly log: (line: string) => void;
    readonly onCoordinatorEvent?: (e: CoordinatorEvent) => void;
  },
): Promise<SimulationJobResult> {
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
  const data = loadFederatedData(plan.data, plan.nodes, seededRng(ctx.seed ?? 0));
  ctx.log(
    `${data.description}; ${plan.federation.rounds} rounds, strategy ${plan.federation.strategy.kind}/${plan.federation.strategy.aggregator.kind}`,
  );
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
      ...(ctx.onCoordinatorEvent ? { onCoordinatorEvent: ctx.onCoordinatorEvent } : {}),
      ...(budgets?.nodeBudget ? { nodeBudget: budgets.nodeBudget } : {}),
      ...(budgets?.centralBudget ? { centralBudget: budgets.centralBudget } : {}),
    });
  const r = ctx.charge
    ? await ctx.ledger.use(async (ledger) => {
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
      })
    : await run(null);
  return { summary: simulationSummary(plan, r, data.description), run: r, description: data.description };
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
