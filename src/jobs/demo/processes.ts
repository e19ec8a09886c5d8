/**
 * The demo federation of `federation.ts` as real OS processes — one `veil coordinator` and one `veil node` per
 * organisation, gRPC over mutual TLS 1.3 on 127.0.0.1, certificates from a development CA made under the run's
 * directory — returning the same {@link DemoRun} as the in-process run. Each node loads its organisation's rows
 * from a CSV written for it (`node-data.ts`); the processes are `bin/veil` of this checkout (`process-group.ts`).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { PrivacyEvent } from '../../accounting/index.js';
import { ensureDirectory, InvalidParameterError, ProtocolError, seededRng } from '../../core/index.js';
import { type FederatedData, federationModel, fileCheckpointStore, loadParams } from '../../fl/index.js';
import { SequentialModel } from '../../ml/index.js';
import { evaluateModel } from '../../train/index.js';
import { initCa, issueCertificate } from '../../transport/index.js';
import { ledgerAt } from '../context.js';
import { DEFAULT_NODE_ACCOUNT } from '../federation/node.js';
import { type DemoRound, type DemoRun, type DemoSettings, demoFederation } from './federation.js';
import { demoDomain, writeOrganisationData } from './node-data.js';
import { type Child, ProcessGroup, tail } from './process-group.js';

/** How the processes talk, as {@link DemoRun.transport} reports it. */
export const PROCESSES_TRANSPORT = 'gRPC over mutual TLS 1.3 (loopback, separate processes)';

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
const LISTENING = /^veil coordinator: listening on /;

/** The files of a run over processes: configs of the coordinator and of each node, and the checkpoint. */
interface RunFiles {
  readonly coordinatorConfig: string;
  readonly nodeConfigs: readonly string[];
  readonly checkpoint: string;
}

/** Writes the CA, every certificate, the data and the configs of the run under `dir` (empty). */
async function prepareRun(dir: string, data: FederatedData, settings: DemoSettings): Promise<RunFiles> {
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
  return { coordinatorConfig, nodeConfigs, checkpoint };
}

/** The accuracy on `data.test` of the global model in the coordinator's checkpoint after `round` (else null). */
function checkpointAccuracy(
  data: FederatedData,
  settings: DemoSettings,
  checkpoint: string,
): (round: number) => number | null {
  const first = data.nodes[0]!.train;
  const federation = demoFederation(settings, data.nodes.length);
  const { spec } = federationModel(federation, first.featureShape, first.numClasses);
  const evaluator = new SequentialModel(spec, first.featureShape, first.numClasses, seededRng(0));
  return (round) => {
    try {
      const c = fileCheckpointStore(checkpoint).load();
      if (c?.roundsCompleted !== round) return null;
      loadParams(evaluator.params, c.global);
      return evaluateModel(evaluator, data.test).accuracy;
    } catch {
      return null;
    }
  };
}

/**
 * Runs the demo federation as separate processes over mutual TLS on loopback and collects what it produced.
 * `options.dir` must be empty or absent; it receives the CA, certificates, configs, data, checkpoint and node state.
 * The nodes start once the coordinator says it listens. Progress: `onRound` after each round (accuracy of the
 * round's global model, read from the coordinator's checkpoint, on `data.test`), `onLog` for the processes'
 * notable stderr lines.
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
  ensureDirectory(dir);
  const files = await prepareRun(dir, data, settings);
  // the global model's accuracy on the held-out test set, as in the in-process run
  const accuracyAfter = checkpointAccuracy(data, settings, files.checkpoint);
  let listening = () => {};
  const ready = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const group = new ProcessGroup((child, line) => {
    if (child.label === 'coordinator' && LISTENING.test(line)) listening();
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
  });
  const timeoutMs = options.timeoutMs ?? 60_000 + 10_000 * settings.rounds;
  const timer = setTimeout(() => {
    const stuck = group.running;
    group.fail(
      new ProtocolError(
        `veil demo --processes: timed out after ${(timeoutMs / 1000).toFixed(0)} s; still running: ${stuck.map((c) => c.label).join(', ')}${stuck.map((c) => `\n--- last lines of ${c.label}'s stderr ---\n${tail(c.stderr)}`).join('')}`,
        { stage: 'timeout' },
      ),
    );
  }, timeoutMs);
  try {
    const coordinator = group.start(
      'coordinator',
      ['coordinator', '--config', files.coordinatorConfig],
      join(dir, 'coordinator'),
    );
    // the nodes start once the coordinator listens: none has to dial a port that is not open yet (and print
    // that it retries)
    await group.until(ready, 'the coordinator listened');
    const nodes = data.nodes.map((n, i) =>
      group.start(n.name, ['node', '--config', files.nodeConfigs[i]!], join(dir, n.name)),
    );
    await group.wait(); // every process exited (stdout complete), or the first failure is thrown
    return await collect(coordinator, nodes, data, files.checkpoint, dir, started);
  } finally {
    clearTimeout(timer);
    await group.close();
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
