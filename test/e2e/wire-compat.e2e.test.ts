/**
 * The federation's wire format did not change when the transport moved onto the service registry (issue 12,
 * item 4): `veil node` processes of the code before that change (a git worktree of {@link OLD_COMMIT}) take part
 * in federations run by today's `veil coordinator` over mutual TLS, alongside today's nodes, plain and with
 * secure aggregation, so every RPC of the service (Register, GetTask, SubmitUpdate, SubmitEvaluation,
 * SubmitSecAgg) crosses between the two generations. Skipped, saying why, where git or that commit is missing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../src/core/index.js';
import { hospitalDataset } from '../../src/fl/index.js';
import { DEMO_HOSPITALS, generateHospital } from '../../src/ml/index.js';
import { initCa, issueCertificate } from '../../src/transport/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** main just before the transport moved onto the service registry: its nodes are the "old" ones. */
const OLD_COMMIT = 'ca472b6f2e63d7fcf3d8280e3e463824dcf11e85';

/** Why the old code cannot be checked out here, or undefined when it can. */
function unavailable(): string | undefined {
  try {
    execFileSync('git', ['-C', ROOT, 'cat-file', '-e', `${OLD_COMMIT}^{commit}`], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `git or commit ${OLD_COMMIT.slice(0, 7)} is not available (a shallow clone or no git)`;
  }
}
const skipped = unavailable();

const base = mkdtempSync(join(tmpdir(), 'veil-wire-compat-e2e-'));
const OLD = join(base, 'old');
const children: ChildProcess[] = [];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Started {
  readonly done: Promise<Run>;
  readonly stderr: () => string;
  readonly exited: () => boolean;
}

/** Runs `veil` of the tree `root` in `base`. */
function veil(root: string, args: string[]): Started {
  const child = spawn(process.execPath, [join(root, 'bin', 'veil'), '--json', ...args], {
    cwd: base,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    if (process.env.VEIL_E2E_DEBUG) process.stderr.write(`[${root === OLD ? 'old' : 'new'}] ${c}`);
  });
  const done = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { done, stderr: () => stderr, exited: () => child.exitCode !== null || child.signalCode !== null };
}

async function waitFor(p: Started, pattern: RegExp): Promise<void> {
  while (!pattern.test(p.stderr())) {
    if (p.exited()) throw new Error(`exited before ${pattern}: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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

const NODES = ['city-clinic', 'cardiology-centre', 'rural-hospital'] as const;

/** Writes the configs of a federation of `NODES.length` nodes and returns their paths. */
function configs(name: string, port: number, extra: Record<string, unknown>) {
  const first = hospitalDataset(generateHospital(DEMO_HOSPITALS[0]!, seededRng('1/city-clinic')));
  const coordinator = join(base, `${name}-coordinator.json`);
  writeFileSync(
    coordinator,
    JSON.stringify({
      listen: { host: '127.0.0.1', port },
      tls: { cert: 'coordinator/coordinator.crt', key: 'coordinator/coordinator.key', ca: 'ca/ca.crt' },
      task: { inputShape: [...first.featureShape], numClasses: first.numClasses },
      checkpoint: `${name}-checkpoint.json`,
      finishGraceMs: 10_000,
      federation: {
        model: 'logreg',
        rounds: 3,
        minNodes: NODES.length,
        roundTimeoutMs: 30_000,
        train: { localEpochs: 1, batchSize: 32, learningRate: 0.5 },
        ...extra,
      },
    }),
  );
  const nodes = NODES.map((node) => {
    const path = join(base, `${name}-${node}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        coordinator: `https://127.0.0.1:${port}`,
        tls: { cert: `${node}/${node}.crt`, key: `${node}/${node}.key`, ca: `${node}/ca.crt` },
        data: { kind: 'hospital', name: node },
        privacy: { kind: 'non-private' },
        stateDir: `${name}-state-${node}`,
        reconnectForMs: 30_000,
      }),
    );
    return path;
  });
  return { coordinator, nodes };
}

/** One federation: today's coordinator, `generations[i]` ('old' or 'new') running node i. */
async function federation(name: string, generations: readonly ('old' | 'new')[], extra = {}) {
  const port = await freePort();
  const paths = configs(name, port, extra);
  const coordinator = veil(ROOT, ['coordinator', '--config', paths.coordinator]);
  await waitFor(coordinator, /listening on/);
  const nodes = paths.nodes.map((path, i) =>
    veil(generations[i] === 'old' ? OLD : ROOT, ['node', '--config', path]),
  );
  return { coordinator: await coordinator.done, nodes: await Promise.all(nodes.map((n) => n.done)) };
}

beforeAll(async () => {
  if (skipped !== undefined) return;
  execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', OLD, OLD_COMMIT], { stdio: 'ignore' });
  symlinkSync(join(ROOT, 'node_modules'), join(OLD, 'node_modules'), 'dir');
  const caDir = join(base, 'ca');
  await initCa({ dir: caDir, name: 'veil-wire-compat-ca', validDays: 2 });
  await issueCertificate({
    caDir,
    name: 'coordinator',
    role: 'coordinator',
    hosts: ['127.0.0.1'],
    outDir: join(base, 'coordinator'),
    validDays: 1,
  });
  for (const node of NODES) {
    await issueCertificate({ caDir, name: node, role: 'node', outDir: join(base, node), validDays: 1 });
  }
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (existsSync(OLD)) {
    try {
      execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', OLD], { stdio: 'ignore' });
    } catch {
      // removed below; `git worktree prune` forgets it
    }
  }
  rmSync(base, { recursive: true, force: true });
  if (skipped === undefined) execFileSync('git', ['-C', ROOT, 'worktree', 'prune'], { stdio: 'ignore' });
});

interface CoordinatorSummary {
  status: string;
  roundsCompleted: number;
  history: { used: number; secureAggregation?: { survivors: number } }[];
}

function expectFinished(run: { coordinator: Run; nodes: Run[] }) {
  expect(run.coordinator.code, run.coordinator.stderr).toBe(0);
  const summary = JSON.parse(run.coordinator.stdout) as CoordinatorSummary;
  expect(summary.status).toBe('finished');
  expect(summary.roundsCompleted).toBe(3);
  expect(summary.history.map((h) => h.used)).toEqual([3, 3, 3]);
  for (const node of run.nodes) {
    expect(node.code, node.stderr).toBe(0);
    expect(JSON.parse(node.stdout)).toMatchObject({ status: 'finished', roundsTrained: 3 });
  }
  return summary;
}

describe.skipIf(skipped !== undefined)(
  `old nodes and a new coordinator over mutual TLS${skipped !== undefined ? ` (skipped: ${skipped})` : ''}`,
  () => {
    it('the old tree is the code before the service registry', () => {
      expect(existsSync(join(OLD, 'src', 'transport', 'grpc', 'server.ts'))).toBe(true);
      expect(existsSync(join(OLD, 'src', 'transport', 'registry.ts'))).toBe(false);
    });

    it('a federation of two old nodes and a new one finishes every round with all three', async () => {
      expectFinished(await federation('plain', ['old', 'new', 'old']));
    });

    it('with secure aggregation (SubmitSecAgg), old and new nodes unmask the sum together', async () => {
      const secure = { secureAggregation: 'secagg', secagg: { clipNorm: 10, stageTimeoutMs: 30_000 } };
      const summary = expectFinished(await federation('secure', ['old', 'old', 'new'], secure));
      expect(summary.history.every((h) => h.secureAggregation?.survivors === 3)).toBe(true);
    });
  },
);
