/**
 * A federation of real processes: `veil coordinator` and three `veil node` processes on loopback, each with its
 * own certificate from a development CA made by `veil certs`, training logistic regression on UCI Adult split
 * in three. Checks accuracy against centralised training on the same rows, refusals (a certificate from another
 * CA, a TLS 1.2 client), and a coordinator killed (SIGKILL) after round 2 and resumed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpSgdEvent, gaussianEvent, RdpAccountant } from '../../src/accounting/index.js';
import { seededRng } from '../../src/core/index.js';
import { Ledger } from '../../src/ledger/index.js';
import { loadCsvDataset, parseModelSpec, SequentialModel, splitAt } from '../../src/ml/index.js';
import { trainModel } from '../../src/train/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const VEIL = join(ROOT, 'bin', 'veil');
const ADULT = join(ROOT, '..', 'shared', 'datasets', 'adult');
const TRAIN_ROWS = 32561;
const TOTAL_ROWS = 48842;
let dir: string;
const children: ChildProcess[] = [];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Started {
  readonly child: ChildProcess;
  readonly done: Promise<Run>;
  readonly stderr: () => string;
}

/** Resolves when the process's stderr matches, rejects when it exits first. */
async function waitFor(p: Started, pattern: RegExp): Promise<void> {
  for (;;) {
    if (pattern.test(p.stderr())) return;
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`exited before ${pattern}: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function start(args: string[], onStderr?: (text: string, child: ChildProcess) => void): Started {
  const child = spawn(process.execPath, [VEIL, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    if (process.env.VEIL_E2E_DEBUG)
      process.stderr.write(`[${args.slice(0, 3).join(' ')}] ${c.toString('utf8')}`);
    onStderr?.(stderr, child);
  });
  const done = new Promise<Run>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

async function veil(args: string[]): Promise<Run> {
  return start(args).done;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function coordinatorConfig(name: string, port: number, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      listen: { host: '127.0.0.1', port },
      tls: {
        cert: 'coord/coordinator.crt',
        key: 'coord/coordinator.key',
        ca: 'ca/ca.crt',
        crl: 'ca/crl.pem',
      },
      task: { inputShape: [ADULT_FEATURES], numClasses: 2 },
      checkpoint: `${name}-checkpoint.json`,
      output: `${name}-model`,
      finishGraceMs: 10_000,
      federation: {
        model: 'logreg',
        rounds: 5,
        minNodes: 3,
        roundTimeoutMs: 60_000,
        train: { localEpochs: 1, batchSize: 64, learningRate: 0.5 },
        ...extra,
      },
    }),
  );
  return path;
}

function nodeConfig(
  name: string,
  port: number,
  part: number,
  certDir = name,
  extra: Record<string, unknown> = {},
): string {
  const path = join(dir, `${certDir}-${name}-${port}.json`);
  const size = Math.ceil(TRAIN_ROWS / 3);
  writeFileSync(
    path,
    JSON.stringify({
      coordinator: `https://127.0.0.1:${port}`,
      tls: { cert: `${certDir}/${name}.crt`, key: `${certDir}/${name}.key`, ca: `${certDir}/ca.crt` },
      data: {
        kind: 'csv',
        path: join(ADULT, 'adult.csv'),
        label: 'income>50K',
        domain: join(ADULT, 'adult-domain.json'),
        rows: [part * size, Math.min(TRAIN_ROWS, (part + 1) * size)],
        testRows: [TRAIN_ROWS, TOTAL_ROWS],
      },
      privacy: { kind: 'non-private' },
      stateDir: `state-${certDir}-${name}-${port}`,
      reconnectForMs: 60_000,
      ...extra,
    }),
  );
  return path;
}

let ADULT_FEATURES = 0;
let centralAccuracy = 0;
/** The plain federated run's accuracy (first test), which the secure run must match. */
let plainAccuracy = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-fed-e2e-'));
  const adult = loadCsvDataset({
    path: join(ADULT, 'adult.csv'),
    label: 'income>50K',
    domain: join(ADULT, 'adult-domain.json'),
  });
  ADULT_FEATURES = adult.dataset.featureShape[0]!;
  const { train, test } = splitAt(adult.dataset, TRAIN_ROWS);
  centralAccuracy = trainModel({
    model: new SequentialModel(parseModelSpec('logreg', 2), [ADULT_FEATURES], 2, seededRng(1)),
    train,
    test,
    epochs: 5,
    batchSize: 64,
    optimizer: { kind: 'sgd', learningRate: 0.5 },
    privacy: { kind: 'non-private' },
    rng: seededRng(2),
  }).finalTestAccuracy!;
  const steps = [
    ['certs', 'init', '--dir', 'ca'],
    ['certs', 'issue', '--ca', 'ca', '--name', 'coordinator', '--role', 'coordinator', '--out', 'coord'],
    ...['hospital-1', 'hospital-2', 'hospital-3', 'hospital-4'].map((n) => [
      'certs',
      'issue',
      '--ca',
      'ca',
      '--name',
      n,
    ]),
    ['certs', 'init', '--dir', 'other-ca', '--name', 'somebody-else'],
    ['certs', 'issue', '--ca', 'other-ca', '--name', 'hospital-1', '--out', 'intruder'],
  ];
  for (const args of steps) {
    const r = await veil(args);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a federation of real processes over mutual TLS', () => {
  it('one coordinator and three nodes train Adult to within 2 points of centralised training; strangers are refused', async () => {
    const port = await freePort();
    const coordinator = start(['--json', 'coordinator', '--config', coordinatorConfig('main', port)]);
    await waitFor(coordinator, /listening on/);
    // the third node also fine-tunes a personal model after the last round and keeps it
    const personal = {
      personalization: { kind: 'fine-tune', epochs: 1 },
      personalModel: 'hospital-3-personal',
    };
    const nodes = [0, 1, 2].map((i) =>
      start([
        '--json',
        'node',
        '--config',
        nodeConfig(`hospital-${i + 1}`, port, i, `hospital-${i + 1}`, i === 2 ? personal : {}),
      ]),
    );
    // a certificate from another CA (same name!) is refused at the handshake
    const intruder = await veil([
      '--json',
      'node',
      '--config',
      nodeConfig('hospital-1', port, 0, 'intruder'),
    ]);
    expect(intruder.code).not.toBe(0);
    expect(intruder.stdout).toMatch(/refused this node's certificate|unauthenticated|certificate/i);
    // a TLS 1.2 client gets no connection at all
    const tls12 = await new Promise<string>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        maxVersion: 'TLSv1.2',
        ca: readFileSync(join(dir, 'ca', 'ca.crt')),
        cert: readFileSync(join(dir, 'hospital-2', 'hospital-2.crt')),
        key: readFileSync(join(dir, 'hospital-2', 'hospital-2.key')),
        servername: 'localhost',
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(tls12).not.toBe('connected');
    expect(tls12).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|ALERT/);

    const c = await coordinator.done;
    const ns = await Promise.all(nodes.map((n) => n.done));
    expect(c.code, c.stderr).toBe(0);
    const summary = JSON.parse(c.stdout) as {
      status: string;
      roundsCompleted: number;
      finalEvaluation: { accuracy: number; nodes: number };
      history: { used: number; downloadBytesPerNode: number; uploadBytesMean: number }[];
      savedModel: string;
    };
    expect(summary.status).toBe('finished');
    expect(summary.roundsCompleted).toBe(5);
    expect(summary.history.every((h) => h.used === 3)).toBe(true);
    // every node evaluated the final model on the same held-out rows: the mean is the test accuracy
    expect(summary.finalEvaluation.nodes).toBe(3);
    expect(Math.abs(summary.finalEvaluation.accuracy - centralAccuracy)).toBeLessThan(0.02);
    expect(summary.finalEvaluation.accuracy).toBeGreaterThan(0.8);
    plainAccuracy = summary.finalEvaluation.accuracy;
    for (const n of ns) {
      expect(n.code, n.stderr).toBe(0);
      const s = JSON.parse(n.stdout) as {
        status: string;
        roundsTrained: number;
        bytesPerRound: { sent: number; received: number }[];
      };
      expect(s.status).toBe('finished');
      expect(s.roundsTrained).toBe(5);
      expect(s.bytesPerRound[0]!.sent).toBeGreaterThan(ADULT_FEATURES * 4);
    }
    expect(readFileSync(join(dir, 'main-model', 'model.json'), 'utf8')).toMatch(/layers-model/);
    const third = JSON.parse(ns[2]!.stdout) as {
      personalized: { method: string; accuracy: number; globalAccuracy: number };
      personalModel: string;
    };
    expect(third.personalized.method).toBe('fine-tune');
    expect(third.personalized.globalAccuracy).toBeCloseTo(summary.finalEvaluation.accuracy, 10);
    expect(third.personalized.accuracy).toBeGreaterThan(0.8);
    expect(readFileSync(join(dir, 'hospital-3-personal', 'model.json'), 'utf8')).toMatch(/layers-model/);
  });

  it('with SecAgg over mutual TLS the coordinator sees only sums and reaches the same accuracy', async () => {
    const port = await freePort();
    const coordinator = start([
      '--json',
      'coordinator',
      '--config',
      coordinatorConfig('secure', port, { secagg: { clipNorm: 10, stageTimeoutMs: 30_000 } }),
      '--secure-aggregation',
      'secagg',
    ]);
    await waitFor(coordinator, /listening on/);
    const nodes = [0, 1, 2].map((i) =>
      start(['--json', 'node', '--config', nodeConfig(`hospital-${i + 1}`, port, i, `hospital-${i + 1}`)]),
    );
    const c = await coordinator.done;
    const ns = await Promise.all(nodes.map((n) => n.done));
    expect(c.code, c.stderr).toBe(0);
    const summary = JSON.parse(c.stdout) as {
      status: string;
      secureAggregation: string;
      roundsCompleted: number;
      finalEvaluation: { accuracy: number; nodes: number };
      history: {
        used: number;
        uploadBytesMean: number;
        secureAggregation: { protocol: string; threshold: number; survivors: number; droppedByStage: object };
      }[];
    };
    expect(summary.status).toBe('finished');
    expect(summary.secureAggregation).toBe('secagg');
    expect(summary.roundsCompleted).toBe(5);
    for (const h of summary.history) {
      expect(h.secureAggregation).toMatchObject({ protocol: 'secagg', threshold: 2, survivors: 3 });
      expect(h.used).toBe(3);
      // a node's upload is its masked input (4 bytes a parameter) plus keys, shares and signatures
      expect(h.uploadBytesMean).toBeGreaterThan(4 * ADULT_FEATURES);
    }
    expect(c.stderr).toMatch(/secagg: sum of 3 updates/);
    if (process.env.VEIL_E2E_DEBUG)
      process.stderr.write(
        `secure ${summary.finalEvaluation.accuracy} plain ${plainAccuracy} central ${centralAccuracy}\n`,
      );
    expect(Math.abs(summary.finalEvaluation.accuracy - centralAccuracy)).toBeLessThan(0.02);
    if (plainAccuracy > 0)
      expect(Math.abs(summary.finalEvaluation.accuracy - plainAccuracy)).toBeLessThan(0.01);
    for (const n of ns) {
      expect(n.code, n.stderr).toBe(0);
      expect((JSON.parse(n.stdout) as { roundsTrained: number }).roundsTrained).toBe(5);
    }
  });

  it('a coordinator killed after round 2 resumes from its checkpoint without charging any round twice', async () => {
    const port = await freePort();
    const central = {
      population: 3,
      centralDp: { noiseMultiplier: 2, clipping: { kind: 'fixed', clipNorm: 1 } },
    };
    const config = coordinatorConfig('resume', port, central);
    let killed = false;
    const first = start(['--seed', '11', '--json', 'coordinator', '--config', config], (err, child) => {
      if (!killed && /round 2\/5 done/.test(err)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    await waitFor(first, /listening on/);
    const nodes = [0, 1, 2].map((i) =>
      start(['--seed', String(i), '--json', 'node', '--config', nodeConfig(`hospital-${i + 1}`, port, i)]),
    );
    const r1 = await first.done;
    expect(r1.signal).toBe('SIGKILL');
    const checkpoint = JSON.parse(readFileSync(join(dir, 'resume-checkpoint.json'), 'utf8')) as {
      roundsCompleted: number;
    };
    expect(checkpoint.roundsCompleted).toBeGreaterThanOrEqual(2);
    // without --resume the existing checkpoint is not overwritten
    const refused = await veil(['--json', 'coordinator', '--config', config]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/add --resume/);
    const second = await start(['--seed', '11', '--json', 'coordinator', '--config', config, '--resume'])
      .done;
    expect(second.code, second.stderr).toBe(0);
    for (const n of await Promise.all(nodes.map((x) => x.done))) expect(n.code, n.stderr).toBe(0);
    const s = JSON.parse(second.stdout) as {
      roundsCompleted: number;
      resumedFrom: number;
      central: { rounds: number; epsilonRdp: number; event: { kind: string; sigma: number } };
    };
    expect(s.roundsCompleted).toBe(5);
    expect(s.resumedFrom).toBe(checkpoint.roundsCompleted);
    // five rounds, five Gaussian events (fixed selection of all nodes: no amplification claimed), not six
    expect(s.central.rounds).toBe(5);
    expect(s.central.event).toMatchObject({ kind: 'gaussian', sigma: 2 });
    const reference = new RdpAccountant();
    for (let i = 0; i < 5; i++) reference.compose(gaussianEvent({ sigma: 2 }));
    expect(s.central.epsilonRdp).toBeCloseTo(reference.epsilon({ delta: 1e-5 }), 10);
  });

  it('a node killed mid-federation is dropped at the round deadline and the quorum carries on', async () => {
    const port = await freePort();
    const config = coordinatorConfig('straggler', port, { minNodes: 3, roundTimeoutMs: 2_000 });
    const coordinator = start(['--json', 'coordinator', '--config', config]);
    await waitFor(coordinator, /listening on/);
    const nodes = [0, 1, 2].map((i) =>
      start(['--json', 'node', '--config', nodeConfig(`hospital-${i + 1}`, port, i)]),
    );
    let killed = false;
    const victim = start(['--json', 'node', '--config', nodeConfig('hospital-4', port, 0)], (err, child) => {
      if (!killed && /round 2: trained/.test(err)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const c = await coordinator.done;
    expect((await victim.done).signal).toBe('SIGKILL');
    for (const n of await Promise.all(nodes.map((x) => x.done))) expect(n.code, n.stderr).toBe(0);
    expect(c.code, c.stderr).toBe(0);
    const summary = JSON.parse(c.stdout) as {
      status: string;
      roundsCompleted: number;
      history: { round: number; used: number; dropped: string[] }[];
    };
    expect(summary.status).toBe('finished');
    expect(summary.roundsCompleted).toBe(5);
    const firstDrop = summary.history.findIndex((h) => h.dropped.includes('hospital-4'));
    expect(firstDrop).toBeGreaterThanOrEqual(1);
    for (const h of summary.history.slice(firstDrop)) {
      expect(h.used).toBe(3);
      expect(h.dropped).toEqual(['hospital-4']);
    }
    expect(c.stderr).toMatch(/1 dropped/);
  });

  it('nodes that run out of local budget leave, the run ends cleanly, and each node ledger holds exactly the spends it owes', async () => {
    // local DP on every node, DP-SGD at a fixed noise multiplier: hospital-1 can afford every round, hospital-2
    // two rounds, hospital-3 none (it leaves in round 1, before training)
    const size = Math.ceil(TRAIN_ROWS / 3);
    const q = 64 / size;
    const round = dpSgdEvent({ sampleRate: q, noiseMultiplier: 1, steps: Math.max(1, Math.round(1 / q)) });
    const epsilonAfter = (k: number) => {
      const acc = new RdpAccountant();
      for (let i = 0; i < k; i++) acc.compose(round);
      return acc.epsilon({ delta: 1e-5 });
    };
    const dp = (epsilon: number) => ({
      privacy: { kind: 'dp', epsilon, delta: 1e-5, noiseMultiplier: 1, publicSize: size },
    });
    const budgets = [100, (epsilonAfter(2) + epsilonAfter(3)) / 2, epsilonAfter(1) / 2];
    const port = await freePort();
    const config = coordinatorConfig('budgets', port, {
      rounds: 3,
      minNodes: 2,
      // round 1 waits for all three: a node that registers after it started would first be asked for round 2
      startAfterNodes: 3,
      roundTimeoutMs: 30_000,
      waitForNodesMs: 3_000,
      evaluateEvery: 0,
    });
    const coordinator = start(['--json', 'coordinator', '--config', config]);
    await waitFor(coordinator, /listening on/);
    const started = Date.now();
    const nodes = [0, 1, 2].map((i) =>
      start([
        '--json',
        'node',
        '--config',
        nodeConfig(`hospital-${i + 1}`, port, i, `hospital-${i + 1}`, {
          ...dp(budgets[i]!),
          stateDir: `budgets-state-${i + 1}`,
        }),
      ]),
    );
    const c = await coordinator.done;
    const ns = await Promise.all(nodes.map((n) => n.done));
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(c.code, c.stderr).toBe(0);
    const summary = JSON.parse(c.stdout) as {
      status: string;
      failure: string | null;
      roundsCompleted: number;
      history: { round: number; used: number }[];
    };
    // round 3 had only hospital-1's update after hospital-2 left: below the quorum, nobody to redraw with
    expect(summary).toMatchObject({ status: 'finished', roundsCompleted: 2 });
    expect(summary.failure).toMatch(
      /^ended early after 2 of 3 rounds: round 3 needs 2 available nodes, 1 is available \(2 left the federation\)/,
    );
    expect(summary.history.map((h) => h.used)).toEqual([2, 2]);
    expect(ns[0]!.code, ns[0]!.stderr).toBe(0);
    expect(ns[1]!.code, ns[1]!.stderr).toBe(4);
    expect(ns[1]!.stderr).toMatch(/local privacy budget exhausted before round 3/);
    expect(ns[2]!.code, ns[2]!.stderr).toBe(4);
    expect(ns[2]!.stderr).toMatch(/local privacy budget exhausted before round 1/);
    // what each node owes: one DP-SGD event per round whose update left it. hospital-1's round-3 update left it
    // (the round was then discarded by the coordinator): it is owed all the same
    const owed = [['1', '2', '3'], ['1', '2'], []];
    for (const i of [0, 1, 2]) {
      const ledger = await Ledger.open(`sqlite:${join(dir, `budgets-state-${i + 1}`, 'ledger.db')}`, {
        create: false,
      });
      try {
        const spends = await ledger.spends('local-dp');
        expect(spends.map((x) => x.purpose.match(/round (\d+)$/)?.[1])).toEqual(owed[i]);
        for (const x of spends) expect(x.events).toEqual([round]);
        expect((await ledger.verifyAudit()).ok).toBe(true);
      } finally {
        await ledger.close();
      }
    }
  }, 180_000);

  it('a certificate revoked during the federation is refused on its next call, without restarting', async () => {
    const port = await freePort();
    const config = coordinatorConfig('revoke', port, {
      rounds: 40,
      minNodes: 2,
      roundTimeoutMs: 30_000,
      evaluateEvery: 40,
    });
    const coordinator = start(['--json', 'coordinator', '--config', config]);
    await waitFor(coordinator, /listening on/);
    const nodes = [0, 1].map((i) =>
      start(['--json', 'node', '--config', nodeConfig(`hospital-${i + 1}`, port, i)]),
    );
    const revoked = start(['--json', 'node', '--config', nodeConfig('hospital-4', port, 2)]);
    await waitFor(coordinator, /round 2\/40 done/);
    const r = await veil(['--json', 'certs', 'revoke', '--ca', 'ca', '--name', 'hospital-4']);
    expect(r.code, r.stderr).toBe(0);
    const gone = await revoked.done;
    expect(gone.code).not.toBe(0);
    expect(gone.stdout).toMatch(/revoked|permission|unauthenticated/i);
    const c = await coordinator.done;
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/CRL reloaded \(file changed\)/);
    expect(c.stderr).toMatch(/node hospital-4 expelled: certificate revoked/);
    for (const n of await Promise.all(nodes.map((x) => x.done))) expect(n.code, n.stderr).toBe(0);
    const summary = JSON.parse(c.stdout) as { roundsCompleted: number; history: { used: number }[] };
    expect(summary.roundsCompleted).toBe(40);
    expect(summary.history[39]!.used).toBe(2);
  });
  it('nodes send DP synthetic samples of their records to the coordinator, charged once to their own ledgers', async () => {
    const withSynth = (path: string, synth: Record<string, unknown>) => {
      const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      writeFileSync(path, JSON.stringify({ ...c, synth }));
      return path;
    };
    const synth = {
      domain: join(ADULT, 'adult-domain.json'),
      method: 'mst',
      epsilon: 1,
      delta: 1e-6,
      rows: 300,
    };
    // a coordinator that collects no samples: the node stops before it spends anything
    const bare = await freePort();
    const none = start([
      '--json',
      'coordinator',
      '--config',
      coordinatorConfig('no-synth', bare, { rounds: 1 }),
    ]);
    await waitFor(none, /listening on/);
    const refused = await veil([
      '--json',
      'node',
      '--config',
      nodeConfig('hospital-1', bare, 0, 'hospital-1', { synth, stateDir: 'synth-refused' }),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/collects no synthetic samples/);
    none.child.kill('SIGKILL');
    const ledgerOf = async (state: string) =>
      Ledger.open(`sqlite:${join(dir, state, 'ledger.db')}`, { create: false });
    const empty = await ledgerOf('synth-refused');
    try {
      expect(await empty.spends('local-dp')).toEqual([]);
    } finally {
      await empty.close();
    }

    // a coordinator that keeps them, every cell checked against the domain
    const port = await freePort();
    const config = withSynth(coordinatorConfig('synth', port, { rounds: 1, minNodes: 2, evaluateEvery: 0 }), {
      domain: join(ADULT, 'adult-domain.json'),
      maxRows: 1000,
    });
    const coordinator = start(['--json', 'coordinator', '--config', config]);
    await waitFor(coordinator, /listening on/);
    const nodes = [0, 1].map((i) =>
      start([
        '--json',
        'node',
        '--config',
        nodeConfig(`hospital-${i + 1}`, port, i, `hospital-${i + 1}`, {
          synth,
          stateDir: `synth-state-${i + 1}`,
        }),
      ]),
    );
    const c = await coordinator.done;
    const ns = await Promise.all(nodes.map((n) => n.done));
    expect(c.code, c.stderr).toBe(0);
    for (const n of ns) expect(n.code, n.stderr).toBe(0);
    const kept = (JSON.parse(c.stdout) as { samples: { node: string; rows: number; epsilon: number }[] })
      .samples;
    expect(kept.map((k) => [k.node, k.rows, k.epsilon])).toEqual([
      ['hospital-1', 300, 1],
      ['hospital-2', 300, 1],
    ]);
    const csv = readFileSync(join(dir, 'synthetic-samples', 'hospital-1.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe(readFileSync(join(ADULT, 'adult.csv'), 'utf8').split('\n')[0]);
    expect(csv).toHaveLength(301);
    for (const i of [1, 2]) {
      const node = JSON.parse(ns[i - 1]!.stdout) as { samples: { status: string; spend: { id: number } } };
      expect(node.samples.status).toBe('sent');
      const ledger = await ledgerOf(`synth-state-${i}`);
      try {
        const spends = await ledger.spends('local-dp');
        expect(spends).toHaveLength(1);
        expect(spends[0]!.events).toEqual([expect.objectContaining({ kind: 'zcdp', mechanism: 'mst' })]);
        const lineage = (await ledger.auditEntries()).filter((e) => e.action === 'job.complete');
        expect(lineage.map((e) => String(e.detail['job']).split(' ').slice(0, 2).join(' '))).toEqual([
          'veil synth',
        ]);
        expect((await ledger.verifyAudit()).ok).toBe(true);
      } finally {
        await ledger.close();
      }
    }

    // the same node at another coordinator sends the same samples, at no new privacy cost
    const next = await freePort();
    const second = start([
      '--json',
      'coordinator',
      '--config',
      withSynth(coordinatorConfig('synth-2', next, { rounds: 1, minNodes: 1, evaluateEvery: 0 }), {
        dir: 'synthetic-samples-2',
      }),
    ]);
    await waitFor(second, /listening on/);
    const again = await veil([
      '--json',
      'node',
      '--config',
      nodeConfig('hospital-1', next, 0, 'hospital-1', { synth, stateDir: 'synth-state-1' }),
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect((await second.done).code).toBe(0);
    expect(readFileSync(join(dir, 'synthetic-samples-2', 'hospital-1.csv'), 'utf8')).toBe(
      readFileSync(join(dir, 'synthetic-samples', 'hospital-1.csv'), 'utf8'),
    );
    const ledger = await ledgerOf('synth-state-1');
    try {
      expect(await ledger.spends('local-dp')).toHaveLength(1);
    } finally {
      await ledger.close();
    }
  }, 180_000);
});
