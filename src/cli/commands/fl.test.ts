/**
 * `veil simulate`, `veil certs` and the config checks of `veil coordinator` / `veil node`, in-process. The
 * real-process federation (coordinator and nodes over mutual TLS) is test/e2e/federation.e2e.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gaussianEvent, poissonSampledEvent, RdpAccountant } from '../../accounting/index.js';
import { ConfigError } from '../../core/index.js';
import { parseNodeFile } from '../../jobs/index.js';
import { runVeil } from '../testing.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'veil-cli-fl-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface SimulateSummary {
  ok: boolean;
  nodeCount: number;
  testAccuracy: number;
  roundsCompleted: number;
  private: boolean;
  bytesPerRound: { round: number; nodes: number; sentMean: number; receivedMean: number }[];
  central: null | { epsilonRdp: number; delta: number; event: { kind: string } };
  localPrivacy: null | { budget: number; epsilonMax: number; epsilonByNode: Record<string, number> };
  history: { used: number }[];
}

describe('veil simulate', () => {
  it('runs a seeded federation from flags, reproducibly, with bytes per node per round', async () => {
    const args = [
      '--seed',
      '3',
      '--json',
      'simulate',
      '--nodes',
      '6',
      '--rounds',
      '4',
      '--compression',
      'q8',
    ];
    const a = await runVeil(...args);
    expect(a.code, a.stderr).toBe(0);
    const s = a.json() as unknown as SimulateSummary;
    expect(s.ok).toBe(true);
    expect(s.nodeCount).toBe(6);
    expect(s.roundsCompleted).toBe(4);
    expect(s.private).toBe(false);
    expect(s.testAccuracy).toBeGreaterThan(0.75);
    expect(s.bytesPerRound).toHaveLength(4);
    expect(s.bytesPerRound.every((b) => b.nodes === 6 && b.sentMean > 0 && b.receivedMean > 0)).toBe(true);
    expect(s.central).toBeNull();
    expect(a.stderr).toMatch(/round 4\/4 done/);
    const b = await runVeil(...args);
    expect((b.json() as unknown as SimulateSummary).testAccuracy).toBe(s.testAccuracy);
  });

  it('reports central DP from the accountant: Poisson-sampled Gaussian events, one per round', async () => {
    const run = await runVeil(
      '--json',
      'simulate',
      '--nodes',
      '20',
      '--rounds',
      '3',
      '--sample-rate',
      '0.5',
      '--central-noise',
      '1.5',
      '--central-clip',
      '0.5',
    );
    expect(run.code, run.stderr).toBe(0);
    const s = run.json() as unknown as SimulateSummary;
    expect(s.central!.event.kind).toBe('poisson-sampled');
    const reference = new RdpAccountant();
    for (let i = 0; i < 3; i++) reference.compose(poissonSampledEvent(0.5, gaussianEvent({ sigma: 1.5 })));
    expect(s.central!.epsilonRdp).toBeCloseTo(reference.epsilon({ delta: s.central!.delta }), 8);
    // amplification by sampling makes it cheaper than the same rounds without sampling
    const unamplified = new RdpAccountant();
    for (let i = 0; i < 3; i++) unamplified.compose(gaussianEvent({ sigma: 1.5 }));
    expect(s.central!.epsilonRdp).toBeLessThan(unamplified.epsilon({ delta: s.central!.delta }));
  });

  it('gives each node a local DP budget it never exceeds, and reports epsilon per node', async () => {
    const run = await runVeil('--json', 'simulate', '--nodes', '3', '--rounds', '3', '--local-epsilon', '2');
    const s = run.json() as unknown as SimulateSummary;
    expect(Object.keys(s.localPrivacy!.epsilonByNode)).toHaveLength(3);
    for (const eps of Object.values(s.localPrivacy!.epsilonByNode)) {
      expect(eps).toBeGreaterThan(0);
      expect(eps).toBeLessThanOrEqual(2);
    }
    expect(s.localPrivacy!.epsilonMax).toBeLessThanOrEqual(2);
  });

  it('reports personal models next to the global model, per method', async () => {
    const run = await runVeil(
      '--seed',
      '2',
      '--json',
      'simulate',
      '--nodes',
      '6',
      '--rounds',
      '3',
      '--data',
      'synthetic',
      '--alpha',
      '0.1',
      '--personalization',
      'fine-tune',
      '--fine-tune-epochs',
      '2',
    );
    expect(run.code, run.stderr).toBe(0);
    const p = run.json().personalization as {
      kind: string;
      epochs: number;
      nodes: number;
      meanAccuracy: number;
      meanGlobalAccuracy: number;
    };
    expect(p).toMatchObject({ kind: 'fine-tune', epochs: 2, nodes: 6 });
    expect(p.meanAccuracy).toBeGreaterThan(0.5);
    expect(p.meanGlobalAccuracy).toBeGreaterThan(0.5);
    const bad = await runVeil('simulate', '--personalization', 'fedper');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--personalization: must be one of none, fine-tune, ditto/);
  });

  it('reads a YAML config: data partition, byzantine nodes and a robust aggregator', async () => {
    const path = join(dir, 'sim.yaml');
    writeFileSync(
      path,
      [
        'nodes: 10',
        'data: { kind: synthetic, partition: { kind: dirichlet, alpha: 0.5 } }',
        'byzantine: { fraction: 0.2, attack: nan }',
        'federation:',
        '  rounds: 3',
        '  minNodes: 5',
        '  strategy: { kind: fedavg, aggregator: { kind: median } }',
      ].join('\n'),
    );
    const run = await runVeil('--json', 'simulate', '--config', path);
    expect(run.code, run.stderr).toBe(0);
    const s = run.json() as unknown as SimulateSummary & { byzantineNodes: string[] };
    expect(s.nodeCount).toBe(10);
    expect(s.byzantineNodes).toHaveLength(2);
    // NaN updates are refused by validation before any aggregator sees them
    expect(s.history.every((h) => h.used === 8)).toBe(true);
  });

  it('refuses bad flags and config files, naming what was wrong', async () => {
    const bad = await runVeil('simulate', '--sample-rate', '1.5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sample-rate/);
    const hospitalsAlpha = await runVeil('simulate', '--alpha', '0.5');
    expect(hospitalsAlpha.code).toBe(2);
    expect(hospitalsAlpha.stderr).toMatch(
      /--alpha: must be used only with --data synthetic or fashion-mnist/,
    );
    const mixed = await runVeil('simulate', '--config', join(dir, 'sim.yaml'), '--rounds', '3');
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--rounds: must be left out with --config FILE/);
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'nodes: 3\nfederation: { rounds: 0 }\n');
    const file = await runVeil('simulate', '--config', path);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/rounds/);
  });
});

describe('veil certs', () => {
  it('makes a development CA, issues, lists and revokes certificates', async () => {
    const ca = join(dir, 'ca');
    const init = await runVeil('--json', 'certs', 'init', '--dir', ca);
    expect(init.code, init.stderr).toBe(0);
    expect(init.json().note).toMatch(/development CA/);
    const again = await runVeil('certs', 'init', '--dir', ca);
    expect(again.code).not.toBe(0);
    for (const name of ['bank-a', 'bank-b']) {
      const r = await runVeil(
        '--json',
        'certs',
        'issue',
        '--ca',
        ca,
        '--name',
        name,
        '--out',
        join(dir, name),
      );
      expect(r.code, r.stderr).toBe(0);
    }
    const revoke = await runVeil('--json', 'certs', 'revoke', '--ca', ca, '--name', 'bank-b');
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.json().revoked).toHaveLength(1);
    const list = await runVeil('--json', 'certs', 'list', '--ca', ca);
    const certs = list.json().certificates as { name: string; revoked: boolean }[];
    expect(certs.map((c) => [c.name, c.revoked])).toEqual([
      ['bank-a', false],
      ['bank-b', true],
    ]);
    const neither = await runVeil('certs', 'revoke', '--ca', ca);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/exactly one of --name NAME or --serial HEX/);
  });
});

describe('veil coordinator / veil node configs', () => {
  it('refuse a missing file and unknown or out-of-range fields before opening a socket', async () => {
    const missing = await runVeil('coordinator', '--config', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml/);
    const path = join(dir, 'coord.yaml');
    writeFileSync(
      path,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'tls: { cert: c.crt, key: c.key, ca: ca.crt }',
        'task: { inputShape: [5], numClasses: 2 }',
        'federation: { rounds: 3, centralDp: { noiseMultiplier: -1 } }',
      ].join('\n'),
    );
    const negative = await runVeil('coordinator', '--config', path);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toMatch(/noiseMultiplier/);
    const nodePath = join(dir, 'node.yaml');
    writeFileSync(
      nodePath,
      [
        'coordinator: https://127.0.0.1:1',
        'tls: { cert: n.crt, key: n.key, ca: ca.crt }',
        'data: { kind: hospital, name: city-clinic }',
        'privacy: { kind: dp, epsilon: 0, delta: 1e-5, maxGradNorm: 1 }',
      ].join('\n'),
    );
    const node = await runVeil('node', '--config', nodePath);
    expect(node.code).toBe(2);
    expect(node.stderr).toMatch(/epsilon/);
  });

  it('refuse a node with local DP but no publicSize, saying what it is for; accept one with it', () => {
    // Review finding: q and the steps came from the node's actual count, which it also sent in the clear.
    const node = (privacy: Record<string, unknown>) => ({
      coordinator: 'https://127.0.0.1:1',
      tls: { cert: 'n.crt', key: 'n.key', ca: 'ca.crt' },
      data: { kind: 'hospital', name: 'city-clinic' },
      privacy,
    });
    const dp = { kind: 'dp', epsilon: 1, delta: 1e-5 };
    let refused: unknown;
    try {
      parseNodeFile(node(dp), join(dir, 'node.json'));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    const issue = (refused as ConfigError).issues.find((i) => i.path === 'privacy.publicSize');
    expect(issue?.allowed).toMatch(/treats as public/);
    expect(parseNodeFile(node({ ...dp, publicSize: 1200 }), join(dir, 'node.json')).privacy).toMatchObject({
      publicSize: 1200,
    });
  });

  it("accept a CSV data section's numericScaling and refuse an unknown one, listing the allowed values", async () => {
    // Arrange
    const node = (numericScaling: unknown) => ({
      coordinator: 'https://127.0.0.1:1',
      tls: { cert: 'n.crt', key: 'n.key', ca: 'ca.crt' },
      data: { kind: 'csv', path: 'd.csv', label: 'y', domain: 'domain.json', numericScaling },
      privacy: { kind: 'non-private' },
    });
    // Act
    const parsed = parseNodeFile(node('none'), join(dir, 'node.json'));
    const unset = parseNodeFile(node(undefined), join(dir, 'node.json'));
    const refused = (() => {
      try {
        parseNodeFile(node('log'), join(dir, 'node.json'));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    const path = join(dir, 'node-scaling.json');
    writeFileSync(path, JSON.stringify(node('log')));
    const cli = await runVeil('node', '--config', path);
    // Assert
    expect(parsed.data).toMatchObject({ kind: 'csv', numericScaling: 'none', path: join(dir, 'd.csv') });
    expect(unset.data.kind === 'csv' && unset.data.numericScaling).toBeUndefined();
    expect(refused).toBeInstanceOf(ConfigError);
    const issue = (refused as ConfigError).issues.find((i) => i.path === 'data.numericScaling');
    expect(issue?.value).toBe('log');
    for (const v of ['unit', 'symmetric', 'none']) expect(issue?.allowed).toContain(v);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/numericScaling/);
    expect(cli.stderr).toMatch(/unit.*symmetric.*none/);
  });
});
