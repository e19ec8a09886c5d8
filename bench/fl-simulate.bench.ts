/**
 * `npm run -s bench -- fl-simulate [--nodes N] [--rate Q] [--rounds R] [--runs K] [--model SPEC]
 *                                  [--real-rounds R] [--skip-real]`
 *
 * Two measurements of the federated runtime (issue 4), printed as one JSON object:
 *
 * 1. Scale: `simulate` with N in-process nodes (default 10,000) on the synthetic logistic task (10 features,
 *    50 examples per node), a fraction Q (default 1%) selected per round, the same coordinator and node code a
 *    deployment runs, over the in-memory transport (messages not re-encoded above 1,000 nodes, as
 *    `veil simulate` does). Each of K runs is a fresh child process, so its peak RSS is its own. Reports the
 *    set-up time (data and 10,000 registrations), rounds per second, per-round seconds, and peak RSS.
 *    Goal: peak RSS under 4 GB.
 * 2. Real processes: `veil coordinator` and three `veil node` processes on loopback over mutual TLS with
 *    certificates from `veil certs`, on the embedded hospitals (logistic regression), evaluation only after
 *    the last round: the coordinator's per-round latency (select, send the model, local training, receive and
 *    validate the updates, aggregate, checkpoint to disk).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRng } from '../src/core/index.js';
import { loadFederatedData, parseFederation, parseSimulationData, simulate } from '../src/fl/index.js';
import { machine } from './harness.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const text = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const log = (s: string) => process.stderr.write(`${s}\n`);
const ROOT = join(import.meta.dirname, '..');
const VEIL = join(ROOT, 'bin', 'veil');

function stats(xs: readonly number[]): { median: number; min: number; max: number; spread: number } {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    median: r(s[Math.floor(s.length / 2)]!),
    min: r(s[0]!),
    max: r(s[s.length - 1]!),
    spread: r(s[s.length - 1]! / s[0]!),
  };
}

interface ScaleRun {
  readonly setupSeconds: number;
  readonly roundsSeconds: number;
  readonly roundsPerSecond: number;
  readonly roundSeconds: readonly number[];
  readonly nodesPerRound: number;
  readonly testAccuracy: number;
  readonly peakRssMiB: number;
  readonly parameters: number;
}

/** One scale run, in this process (called in a child: `--child-scale`). */
async function scaleRun(): Promise<ScaleRun> {
  const nodes = flag('--nodes', 10_000);
  const rate = flag('--rate', 0.01);
  const rounds = flag('--rounds', 20);
  const t0 = performance.now();
  const data = loadFederatedData(
    parseSimulationData({ kind: 'synthetic', examplesPerNode: 50, features: 10 }),
    nodes,
    seededRng(1),
  );
  const federation = parseFederation({
    model: text('--model', 'logreg'),
    rounds,
    minNodes: Math.max(1, Math.floor(nodes * rate * 0.5)),
    population: nodes,
    selection: { kind: 'fraction', fraction: rate },
    train: { localEpochs: 1, batchSize: 32, learningRate: 0.5 },
    evaluateEvery: 0,
  });
  let firstRound = 0;
  let lastRound = 0;
  const roundSeconds: number[] = [];
  let nodesPerRound = 0;
  const r = await simulate({
    federation,
    data,
    seed: 2,
    roundTrip: nodes <= 1000,
    onCoordinatorEvent: (e) => {
      if (e.kind === 'round-started' && firstRound === 0) firstRound = performance.now();
      if (e.kind === 'round-finished') {
        lastRound = performance.now();
        roundSeconds.push(e.record.seconds);
        nodesPerRound = Math.max(nodesPerRound, e.record.used.length);
      }
    },
  });
  if (r.coordinator.status !== 'finished') throw new Error(`simulation failed: ${r.coordinator.failure}`);
  const roundsSeconds = (lastRound - firstRound) / 1000;
  return {
    setupSeconds: (firstRound - t0) / 1000,
    roundsSeconds,
    roundsPerSecond: rounds / roundsSeconds,
    roundSeconds,
    nodesPerRound,
    testAccuracy: r.testAccuracy,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    parameters: r.parameters,
  };
}

function scale(): Record<string, unknown> {
  const runs = flag('--runs', 3);
  const results: ScaleRun[] = [];
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, '--child-scale', ...args],
      { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
    );
    if (child.status !== 0) throw new Error(`scale run failed: ${child.stderr}`);
    const run = JSON.parse(child.stdout) as ScaleRun;
    log(
      `scale run ${i + 1}/${runs}: ${run.roundsPerSecond.toFixed(2)} rounds/s, set-up ${run.setupSeconds.toFixed(1)} s, peak RSS ${run.peakRssMiB} MiB`,
    );
    results.push(run);
  }
  const peak = Math.max(...results.map((r) => r.peakRssMiB));
  return {
    nodes: flag('--nodes', 10_000),
    sampleRate: flag('--rate', 0.01),
    nodesPerRound: results[0]!.nodesPerRound,
    rounds: flag('--rounds', 20),
    model: text('--model', 'logreg'),
    parameters: results[0]!.parameters,
    data: 'synthetic logistic task, 10 features, 50 examples per node, IID',
    runs,
    roundsPerSecond: stats(results.map((r) => r.roundsPerSecond)),
    roundSeconds: stats(results.flatMap((r) => r.roundSeconds)),
    setupSeconds: stats(results.map((r) => r.setupSeconds)),
    testAccuracy: results.map((r) => Math.round(r.testAccuracy * 10_000) / 10_000),
    peakRssMiB: stats(results.map((r) => r.peakRssMiB)),
    peakRssGoal: { limitMiB: 4096, met: peak < 4096 },
  };
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

function veilSync(cwd: string, ...a: string[]): void {
  const r = spawnSync(process.execPath, [VEIL, ...a], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`veil ${a.join(' ')} failed: ${r.stderr}`);
}

function run(cwd: string, a: string[]): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, [VEIL, ...a], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const done = new Promise<string>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`veil ${a[1]} exited ${code}: ${err}`)),
    ),
  );
  return { child, done };
}

async function realProcesses(): Promise<Record<string, unknown>> {
  const rounds = flag('--real-rounds', 30);
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-fl-'));
  try {
    const hospitals = ['city-clinic', 'cardiology-centre', 'rural-hospital'];
    veilSync(dir, 'certs', 'init', '--dir', 'ca');
    veilSync(
      dir,
      'certs',
      'issue',
      '--ca',
      'ca',
      '--name',
      'coordinator',
      '--role',
      'coordinator',
      '--out',
      'coord',
    );
    for (const h of hospitals) veilSync(dir, 'certs', 'issue', '--ca', 'ca', '--name', h);
    const port = await freePort();
    writeFileSync(
      join(dir, 'coordinator.json'),
      JSON.stringify({
        listen: { host: '127.0.0.1', port },
        tls: {
          cert: 'coord/coordinator.crt',
          key: 'coord/coordinator.key',
          ca: 'ca/ca.crt',
          crl: 'ca/crl.pem',
        },
        task: { inputShape: [5], numClasses: 2 },
        checkpoint: 'checkpoint.json',
        output: 'model',
        finishGraceMs: 10_000,
        federation: {
          model: 'logreg',
          rounds,
          minNodes: 3,
          train: { localEpochs: 1, batchSize: 32, learningRate: 0.5 },
          evaluateEvery: rounds,
        },
      }),
    );
    for (const h of hospitals) {
      writeFileSync(
        join(dir, `${h}.json`),
        JSON.stringify({
          coordinator: `https://127.0.0.1:${port}`,
          tls: { cert: `${h}/${h}.crt`, key: `${h}/${h}.key`, ca: `${h}/ca.crt` },
          data: { kind: 'hospital', name: h },
          privacy: { kind: 'non-private' },
          stateDir: `state-${h}`,
        }),
      );
    }
    const coordinator = run(dir, ['--json', 'coordinator', '--config', 'coordinator.json']);
    await new Promise((r) => setTimeout(r, 1500));
    const nodes = hospitals.map((h) => run(dir, ['--json', 'node', '--config', `${h}.json`]));
    const summary = JSON.parse(await coordinator.done) as {
      roundsCompleted: number;
      history: { seconds: number; used: number; uploadBytesMean: number; downloadBytesPerNode: number }[];
      finalEvaluation: { accuracy: number } | null;
    };
    await Promise.all(nodes.map((n) => n.done));
    const seconds = summary.history.map((h) => h.seconds);
    return {
      nodes: 3,
      rounds: summary.roundsCompleted,
      data: 'embedded hospitals (city-clinic, cardiology-centre, rural-hospital), logistic regression',
      transport: 'ConnectRPC gRPC over HTTP/2, TLS 1.3, client certificates, loopback',
      roundLatencySeconds: stats(seconds),
      firstRoundSeconds: seconds[0],
      bytesPerNodePerRound: {
        up: summary.history[summary.history.length - 1]!.uploadBytesMean,
        down: summary.history[summary.history.length - 1]!.downloadBytesPerNode,
      },
      finalAccuracy: summary.finalEvaluation?.accuracy ?? null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.includes('--child-scale')) {
  process.stdout.write(`${JSON.stringify(await scaleRun())}\n`);
} else {
  const result: Record<string, unknown> = { bench: 'fl-simulate', machine: machine(), scale: scale() };
  if (!args.includes('--skip-real')) result.realProcesses = await realProcesses();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
