/**
 * The budgets of a simulated federation charged to a real ledger (`veil simulate --db`): each simulated node's
 * local DP to its own account `<prefix>.<node>`, the aggregate's central or distributed DP to the account the
 * config's `budget` section names (default `central-dp`), or `<prefix>.central` when it names none. A simulation on the same data twice pays twice: that is what
 * a budget is for.
 */
import type { PrivacyBudget, SimulationLocalPrivacy } from '../../fl/index.js';
import type { Ledger } from '../../ledger/index.js';
import { ledgerBudget } from './budget.js';

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
