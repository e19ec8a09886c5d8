/**
 * One budget path for the federation (issue 12): simulated nodes and the coordinator charge real ledger
 * accounts through Ledger.spend; a node refuses a round that would overspend and says so; a coordinator with
 * central DP charges every round before releasing it and finishes when its budget is spent; the audit logs
 * verify and list every round's spend. (Real processes over mutual TLS: test/e2e/demo-processes.e2e.test.ts.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-fl-budget-'));

interface Shown {
  status: { epsilonSpent: number };
  spends: { purpose: string; status: string }[];
}
async function show(account: string, db: string): Promise<Shown> {
  const run = await runVeil('--json', 'budget', 'show', account, '--db', db);
  expect(run.code, run.stderr).toBe(0);
  return run.json() as unknown as Shown;
}
async function auditActions(db: string): Promise<string[]> {
  const run = await runVeil('--json', 'audit', 'show', '--db', db);
  expect(run.code, run.stderr).toBe(0);
  const entries = (
    run.json() as { entries: { action: string; outcome: string; account: string; purpose: string }[] }
  ).entries;
  return entries.map((e) => `${e.action} ${e.outcome} ${e.account} ${e.purpose}`);
}

describe('veil simulate --db: every DP spend goes through the ledger', () => {
  it('each node charges its own account before each round, and refuses the round that would overspend', async () => {
    const config = join(dir, 'local.yaml');
    writeFileSync(
      config,
      'nodes: 3\nlocalPrivacy: { kind: dp, epsilon: 2, delta: 0.00001, plannedRounds: 2 }\nfederation: { rounds: 3, minNodes: 2 }\n',
    );
    const db = `sqlite:${join(dir, 'local.db')}`;
    const run = await runVeil('--json', 'simulate', '--config', config, '--db', db);
    // the budget pays for the 2 planned rounds: every node leaves before round 3, saying why
    expect(run.stderr).toMatch(
      /node city-clinic left: local privacy budget exhausted before round 3: spend refused: account "simulate\.city-clinic"/,
    );
    const s = run.json() as { localPrivacy: { nodesLeft: number; epsilonByNode: Record<string, number> } };
    expect(s.localPrivacy.nodesLeft).toBe(3);
    const actions = await auditActions(db);
    for (const [node, epsilon] of Object.entries(s.localPrivacy.epsilonByNode)) {
      const shown = await show(`simulate.${node}`, db);
      expect(shown.spends.map((x) => x.purpose)).toEqual([
        `simulated federation, node ${node}: round 1`,
        `simulated federation, node ${node}: round 2`,
      ]);
      expect(shown.status.epsilonSpent).toBeCloseTo(epsilon, 9);
      expect(shown.status.epsilonSpent).toBeLessThanOrEqual(2);
      expect(actions).toContain(
        `budget.spend refused simulate.${node} simulated federation, node ${node}: round 3`,
      );
    }
    expect((await runVeil('audit', 'verify', '--db', db)).code).toBe(0);
  });

  it('a coordinator with central DP charges each round before releasing it, and stops when the budget is spent', async () => {
    const config = join(dir, 'central.yaml');
    writeFileSync(
      config,
      [
        'nodes: 4',
        'federation:',
        '  rounds: 8',
        '  minNodes: 2',
        '  selection: { kind: poisson, rate: 0.75 }',
        '  centralDp: { noiseMultiplier: 3, clipping: { kind: fixed, clipNorm: 1 } }',
        'budget: { epsilon: 3, delta: 0.00001 }',
        '',
      ].join('\n'),
    );
    const db = `sqlite:${join(dir, 'central.db')}`;
    const refused = await runVeil('--json', 'simulate', '--config', config);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/--db: is required/);

    const run = await runVeil('--json', 'simulate', '--config', config, '--db', db);
    expect(run.code, run.stderr).toBe(0);
    const s = run.json() as {
      status: string;
      roundsCompleted: number;
      failure: string;
      central: { epsilonRdp: number };
    };
    expect(s.status).toBe('finished');
    expect(s.roundsCompleted).toBeGreaterThan(0);
    expect(s.roundsCompleted).toBeLessThan(8);
    expect(s.failure).toMatch(
      new RegExp(
        `^central privacy budget exhausted at round ${s.roundsCompleted + 1} \\(the round was discarded\\)`,
      ),
    );
    const shown = await show('central-dp', db);
    // one granted spend per released round, and the ledger composes them to the epsilon the run reports
    expect(shown.spends.map((x) => x.purpose)).toEqual(
      Array.from({ length: s.roundsCompleted }, (_, i) => `simulated federation, aggregate: round ${i + 1}`),
    );
    expect(shown.status.epsilonSpent).toBeCloseTo(s.central.epsilonRdp, 9);
    expect(shown.status.epsilonSpent).toBeLessThanOrEqual(3);
    expect(await auditActions(db)).toContain(
      `budget.spend refused central-dp simulated federation, aggregate: round ${s.roundsCompleted + 1}`,
    );
    expect((await runVeil('audit', 'verify', '--db', db)).code).toBe(0);
  });
});
