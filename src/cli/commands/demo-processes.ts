/**
 * `veil demo --processes`: the demo federation of `demo-federation.ts` as real OS processes — one `veil coordinator`
 * and one `veil node` per organisation, gRPC over mutual TLS 1.3 on 127.0.0.1, certificates from a development CA
 * made under the run's directory — returning the same {@link DemoRun} as the in-process run.
 *
 * The data each node loads: a node reads a CSV with a domain file. The demo's features are already on public
 * scales (age², blood pressure in standard units, …), so each organisation's rows are written as they are, the
 * domain declares public bounds that contain every value ({@link DEMO_FEATURE_BOUNDS}), and the node's data section
 * asks for `numericScaling: 'none'` (clip to the bounds, keep the value): the nodes train on exactly the in-memory
 * features, and the global model needs no conversion.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { PrivacyEvent } from '../../accounting/index.js';
import { InvalidParameterError, ProtocolError, seededRng } from '../../core/index.js';
import { type FederatedData, federationModel, fileCheckpointStore, loadParams } from '../../fl/index.js';
import { DEFAULT_NODE_ACCOUNT, ledgerAt } from '../../jobs/index.js';
import { type Dataset, SequentialModel } from '../../ml/index.js';
import { evaluateModel } from '../../train/index.js';
import { initCa, issueCertificate } from '../../transport/index.js';
import { type DemoRound, type DemoRun, type DemoSettings, demoFederation } from './demo-federation.js';

/** How the processes talk, as {@link DemoRun.transport} reports it. */
export const PROCESSES_TRANSPORT = 'gRPC over mutual TLS 1.3 (loopback, separate processes)';

const VEIL = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'veil');
const LABEL = 'label';

/** Public bounds of a feature (declared before any record is read). */
export interface FeatureBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * Public bounds of the demo's features, from the patient generator's documented ranges (`ml/data/hospitals.ts`:
 * age 18–95, BMI 15–60, systolic pressure 80–220) through the demo's feature formulas, rounded outward (float32
 * values of the endpoints must not be clipped). Declared before any record is read; with `numericScaling: 'none'`
 * the loader clips to them and keeps the value, so every demo value loads unchanged.
 */
export const DEMO_FEATURE_BOUNDS: Readonly<Record<string, FeatureBounds>> = Object.freeze({
  age: { min: -1.51, max: 2.78 }, // (age − 45) / 18
  'age^2': { min: 0, max: 7.72 },
  sex: { min: 0, max: 1 },
  bmi: { min: -2.17, max: 5.34 }, // (bmi − 28) / 6
  systolicBp: { min: -2.51, max: 4.51 }, // (bp − 130) / 20
  smoker: { min: 0, max: 1 },
});

/** The bounds of each feature column, in order. @throws {InvalidParameterError} for a feature without bounds */
export function featureBounds(ds: Dataset): FeatureBounds[] {
  const d = ds.features.length / Math.max(1, ds.numExamples);
  const names = ds.featureNames ?? Array.from({ length: d }, (_, j) => `x${j}`);
  return names.map((name) => {
    const b = DEMO_FEATURE_BOUNDS[name];
    if (!b) {
      throw new InvalidParameterError({
        fn: 'runInProcesses',
        param: `data feature ${name}`,
        value: name,
        allowed: `a feature with public bounds: ${Object.keys(DEMO_FEATURE_BOUNDS).join(', ')}`,
      });
    }
    return b;
  });
}

/**
 * Writes one organisation's train rows then test rows as a CSV (the in-memory float32 values, written so they parse
 * back exactly) and returns the node's `data` section, which keeps numeric values as they are
 * (`numericScaling: 'none'`). The domain file is shared by every node.
 * @throws {InvalidParameterError} when a value lies outside its bounds (the loader would clip it)
 */
export function writeOrganisationData(
  dir: string,
  name: string,
  train: Dataset,
  test: Dataset,
  domainPath: string,
): {
  kind: 'csv';
  path: string;
  label: string;
  domain: string;
  rows: [number, number];
  testRows: [number, number];
  numericScaling: 'none';
} {
  const bounds = featureBounds(train);
  const d = bounds.length;
  const names = train.featureNames ?? bounds.map((_, j) => `x${j}`);
  const lines = [[...names, LABEL].join(',')];
  for (const ds of [train, test]) {
    for (let i = 0; i < ds.numExamples; i++) {
      const row: string[] = [];
      for (let j = 0; j < d; j++) {
        const x = ds.features[i * d + j]!;
        if (!(x >= bounds[j]!.min && x <= bounds[j]!.max)) {
          throw new InvalidParameterError({
            fn: 'runInProcesses',
            param: `${name}: feature ${names[j]}`,
            value: x,
            allowed: `a value within its public bounds [${bounds[j]!.min}, ${bounds[j]!.max}]`,
          });
        }
        row.push(String(x));
      }
      row.push(String(ds.labels[i]));
      lines.push(row.join(','));
    }
  }
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return {
    kind: 'csv',
    path,
    label: LABEL,
    domain: domainPath,
    rows: [0, train.numExamples],
    testRows: [train.numExamples, train.numExamples + test.numExamples],
    numericScaling: 'none',
  };
}

/** The domain file of the CSVs {@link writeOrganisationData} writes. */
export function demoDomain(ds: Dataset): Record<string, unknown> {
  const bounds = featureBounds(ds);
  const names = ds.featureNames ?? bounds.map((_, j) => `x${j}`);
  return {
    ...Object.fromEntries(names.map((n, j) => [n, { type: 'numeric', ...bounds[j]! }])),
    [LABEL]: ds.numClasses,
  };
}

interface Child {
  readonly label: string;
  readonly process: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = (c: Child) => c.process.exitCode === null && c.process.signalCode === null;

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The `{ok: false, error}` envelope a failed `veil --json` command prints, if any. */
function jsonError(stdout: string): string | null {
  try {
    const parsed = JSON.parse(stdout) as { error?: { message?: string } };
    return parsed.error?.message ?? null;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

const NODE_ROUTINE = /^veil node: round \d+: (trained|evaluated|secure aggregation unmask sent)/;
const COORDINATOR_ROUTINE = /^veil coordinator: round \d+\/\d+: \d+ nodes selected/;
const ROUND_DONE = /^veil coordinator: round (\d+)\/(\d+) done: (.*)$/;

/**
 * Runs the demo federation as separate processes over mutual TLS on loopback and collects what it produced.
 * `options.dir` must be empty or absent; it receives the CA, certificates, configs, data, checkpoint and node state.
 * Progress: `onRound` after each round (accuracy of the round's global model, read from the coordinator's
 * checkpoint, on `data.test`), `onLog` for the processes' notable stderr lines.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION naming the process that failed (or timed out) and its stderr tail;
 *   every child is killed before it is thrown
 */
export async function runInProcesses(
  data: FederatedData,
  settings: DemoSettings,
  options: {
    dir: string;
    onRound?: (r: DemoRound) => void;
    onLog?: (line: string) => void;
    /** Give up (and kill every process) after this long; default 60 s plus 10 s per round. */
    timeoutMs?: number;
  },
): Promise<DemoRun> {
  const started = performance.now();
  const dir = resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new InvalidParameterError({
      fn: 'runInProcesses',
      param: 'options.dir',
      value: dir,
      allowed: 'an empty or absent directory (a previous run is never overwritten)',
    });
  }
  mkdirSync(dir, { recursive: true });
  const first = data.nodes[0]!.train;
  const names = data.nodes.map((n) => n.name);
  const federation = demoFederation(settings, data.nodes.length);

  // PKI: a development CA and one certificate per process (the library `veil certs` uses)
  const caDir = join(dir, 'ca');
  await initCa({ dir: caDir, name: 'veil-demo-ca', validDays: 2 });
  await issueCertificate({
    caDir,
    name: 'coordinator',
    role: 'coordinator',
    hosts: ['127.0.0.1'],
    outDir: join(dir, 'coordinator'),
    validDays: 1,
  });
  for (const name of names) {
    await issueCertificate({ caDir, name, role: 'node', outDir: join(dir, name), validDays: 1 });
  }

  const port = await freePort();
  const checkpoint = join(dir, 'coordinator', 'checkpoint.json');
  const coordinatorConfig = join(dir, 'coordinator', 'coordinator.json');
  writeFileSync(
    coordinatorConfig,
    JSON.stringify({
      listen: { host: '127.0.0.1', port },
      tls: { cert: 'coordinator.crt', key: 'coordinator.key', ca: 'ca.crt', crl: join(caDir, 'crl.pem') },
      task: { inputShape: [...first.featureShape], numClasses: first.numClasses },
      checkpoint,
      allowedNodes: names,
      finishGraceMs: 10_000,
      // loopback: a round that takes 30 s has failed, not straggled
      federation: { ...federation, roundTimeoutMs: 30_000 },
    }),
  );
  const domainPath = join(dir, 'domain.json');
  writeFileSync(domainPath, JSON.stringify(demoDomain(first), null, 2));
  const nodeConfigs = data.nodes.map((n) => {
    const nodeDir = join(dir, n.name);
    const path = join(nodeDir, 'node.json');
    writeFileSync(
      path,
      JSON.stringify({
        coordinator: `https://127.0.0.1:${port}`,
        tls: { cert: `${n.name}.crt`, key: `${n.name}.key`, ca: 'ca.crt' },
        data: writeOrganisationData(nodeDir, n.name, n.train, n.test, domainPath),
        privacy: {
          kind: 'dp',
          epsilon: settings.localEpsilon,
          delta: settings.delta,
          maxGradNorm: settings.maxGradNorm,
          // the demo's hospital sizes are fixed by its settings, so public by construction
          publicSize: n.train.numExamples,
        },
        stateDir: 'state',
        reconnectForMs: 30_000,
        requireSecureAggregation: { minThreshold: 2 },
      }),
    );
    return path;
  });

  // the global model's accuracy on the held-out test set, as in the in-process run
  const { spec } = federationModel(federation, first.featureShape, first.numClasses);
  const evaluator = new SequentialModel(spec, first.featureShape, first.numClasses, seededRng(0));
  const accuracyAfter = (round: number): number | null => {
    try {
      const c = fileCheckpointStore(checkpoint).load();
      if (c?.roundsCompleted !== round) return null;
      loadParams(evaluator.params, c.global);
      return evaluateModel(evaluator, data.test).accuracy;
    } catch {
      return null;
    }
  };

  const children: Child[] = [];
  let failure: ProtocolError | null = null;
  let wake: () => void = () => {};
  const fail = (e: ProtocolError) => {
    failure ??= e;
    wake();
  };
  const onLine = (child: Child, line: string) => {
    const m = ROUND_DONE.exec(line);
    if (m) {
      const how = m[3]!;
      const participants = Number(
        /sum of (\d+) updates/.exec(how)?.[1] ?? /(\d+) updates used/.exec(how)?.[1],
      );
      const round = Number(m[1]);
      options.onRound?.({ round, rounds: Number(m[2]), participants, accuracy: accuracyAfter(round) });
      return;
    }
    if (line.trim() === '' || NODE_ROUTINE.test(line) || COORDINATOR_ROUTINE.test(line)) return;
    options.onLog?.(`${child.label}: ${line.replace(/^veil (coordinator|node): /, '')}`);
  };
  const start = (label: string, args: string[], cwd: string): Child => {
    const p = spawn(process.execPath, [VEIL, '--json', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const child: Child = {
      label,
      process: p,
      stdout: '',
      stderr: '',
      exit: new Promise((done) => p.once('exit', (code, signal) => done({ code, signal }))),
    };
    let partial = '';
    p.stdout!.on('data', (c: Buffer) => {
      child.stdout += c.toString('utf8');
    });
    p.stderr!.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      child.stderr = (child.stderr + text).slice(-64_000);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          onLine(child, line);
        } catch (err) {
          fail(
            new ProtocolError(`veil demo --processes: progress callback failed: ${(err as Error).message}`),
          );
        }
      }
    });
    p.once('error', (err) =>
      fail(
        new ProtocolError(`veil demo --processes: could not start ${label}: ${err.message}`, { peer: label }),
      ),
    );
    void child.exit.then(({ code, signal }) => {
      if (code === 0) return wake();
      const why = jsonError(child.stdout);
      fail(
        new ProtocolError(
          `veil demo --processes: ${label} (pid ${p.pid}) exited with ${code !== null ? `code ${code}` : `signal ${signal}`}${why ? `: ${why}` : ''}\n--- last lines of its stderr ---\n${tail(child.stderr)}`,
          { peer: label, stage: 'process' },
        ),
      );
    });
    children.push(child);
    return child;
  };
  const killAll = () => {
    for (const c of children) if (running(c)) c.process.kill('SIGKILL');
  };
  process.on('exit', killAll); // never leave orphans, even if this process exits abruptly

  const timeoutMs = options.timeoutMs ?? 60_000 + 10_000 * settings.rounds;
  const timer = setTimeout(() => {
    const stuck = children.filter(running);
    fail(
      new ProtocolError(
        `veil demo --processes: timed out after ${(timeoutMs / 1000).toFixed(0)} s; still running: ${stuck.map((c) => c.label).join(', ')}${stuck.map((c) => `\n--- last lines of ${c.label}'s stderr ---\n${tail(c.stderr)}`).join('')}`,
        { stage: 'timeout' },
      ),
    );
  }, timeoutMs);
  try {
    const coordinator = start(
      'coordinator',
      ['coordinator', '--config', coordinatorConfig],
      join(dir, 'coordinator'),
    );
    const nodes = data.nodes.map((n, i) =>
      start(n.name, ['node', '--config', nodeConfigs[i]!], join(dir, n.name)),
    );
    while (failure === null && children.some(running)) {
      await new Promise<void>((r) => {
        wake = r;
        if (failure !== null || !children.some(running)) r();
      });
    }
    if (failure !== null) killAll();
    await Promise.all(children.map((c) => c.exit)); // stdout is complete once every exit has been seen
    if (failure !== null) throw failure;
    return await collect(coordinator, nodes, data, checkpoint, dir, started);
  } finally {
    clearTimeout(timer);
    killAll();
    await Promise.all(children.map((c) => c.exit));
    process.off('exit', killAll);
  }
}

interface NodeJson {
  readonly localPrivacy: { readonly epsilonSpent: number } | null;
  readonly bytesPerRound: readonly { round: number; sent: number; received: number }[];
}

async function collect(
  coordinator: Child,
  nodes: readonly Child[],
  data: FederatedData,
  checkpoint: string,
  dir: string,
  started: number,
): Promise<DemoRun> {
  const summary = JSON.parse(coordinator.stdout) as { status: string; roundsCompleted: number };
  const saved = fileCheckpointStore(checkpoint).load();
  if (summary.status !== 'finished' || !saved) {
    throw new ProtocolError(`veil demo --processes: the federation did not finish (${summary.status})`, {
      peer: 'coordinator',
    });
  }
  const events: Record<string, readonly PrivacyEvent[]> = {};
  const epsilon: Record<string, number> = {};
  let sent = 0;
  let received = 0;
  for (const [i, n] of data.nodes.entries()) {
    const s = JSON.parse(nodes[i]!.stdout) as NodeJson;
    // each node charged its own ledger (its state directory's): read its spends back from there
    const url = `sqlite:${join(dir, n.name, 'state', 'ledger.db')}`;
    const spends = await ledgerAt(url).use((l) => l.spends(DEFAULT_NODE_ACCOUNT));
    events[n.name] = spends.filter((x) => x.status === 'granted').flatMap((x) => x.events);
    epsilon[n.name] = s.localPrivacy?.epsilonSpent ?? 0;
    for (const b of s.bytesPerRound) {
      sent += b.sent;
      received += b.received;
    }
  }
  return {
    global: saved.global,
    roundsCompleted: summary.roundsCompleted,
    eventsByOrganisation: events,
    epsilonByOrganisation: epsilon,
    bytes: { sent, received },
    transport: PROCESSES_TRANSPORT,
    private: true,
    seconds: (performance.now() - started) / 1000,
  };
}
