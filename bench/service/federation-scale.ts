/**
 * `npm run -s bench -- service federation [--nodes N[,N...]] [--milestones M,...] [--processes K] [--rounds R]
 *                                          [--sample-rate Q] [--concurrency C] [--settle-ms MS]
 *                                          [--round-timeout-ms MS] [--run-timeout-s S] [--cert-cache DIR]`
 * (standalone: `node --import tsx bench/service/federation-scale.ts [flags]`)
 *
 * 10,000 federated participants (issue 16, item 7): the real `veil coordinator` process (bin/veil, unchanged,
 * with a read-only probe preloaded: bench/service/federation-probe.ts) on loopback, and N lightweight nodes in K
 * client processes (bench/service/federation-client.ts). Each node is a real participant: its own certificate
 * from the development CA (CN = its id; the coordinator counts one node per CN, so a shared certificate would be
 * one participant), its own HTTP/2 connection over mutual TLS 1.3 (the transport face's `createCoordinatorClient`,
 * the client `veil node` uses), `Register`, `GetTask` long polls of 20 s, and a `SubmitUpdate` when selected. The
 * federation: logistic regression on a 5-feature task (12 parameters), `fraction` selection of Q (default 1%) of
 * the available nodes per round, `startAfterNodes: N` (round 1 waits for every node), R rounds (default 5), no
 * secure aggregation, no DP, evaluation only after the last round on Q of the nodes (they decline, as nodes under
 * local DP do), checkpoint written (fsync) after each round.
 *
 * For each N (default 10,000), in a fresh coordinator:
 * 1. Connection set-up, by milestones (default 1,000, 2,500, 5,000, then N): the client processes register their
 *    share of the nodes (C registrations in flight per process), then pause `--settle-ms` before the sample (the
 *    last milestone is sampled at once: round 1 starts when the last node registers). Per milestone: the phase's
 *    seconds and registrations per second (each a TLS handshake, an HTTP/2 session and a Register call), the
 *    registration latency (p50/p99/max), the coordinator's RSS, V8 heap, open file descriptors and event-loop
 *    delay, and the client processes' RSS.
 * 2. Rounds: each round's seconds as the coordinator records them (selection to close, `history[].seconds`), the
 *    interval from one round's start to the next (checkpoint and the wake-up of every held poll included), the
 *    delay until each selected node holds its task, the coordinator's peak RSS, heap and event-loop delay.
 * 3. The end: the final evaluation and every node fetching the final model.
 * Certificates are issued once with the development CA and cached (bench/service/federation-certs.ts; the JSON
 * says how long issuing took). `limits` extrapolates from the largest N: the participants one coordinator process
 * could hold before running out of file descriptors (`ulimit -n`), V8 heap or memory.
 *
 * A run that does not reach N within `--run-timeout-s` (default 1,500 s) is reported with what it reached: its
 * milestones, the registrations made, and the coordinator's trace every ~10 s (RSS, heap, descriptors, CPU seconds,
 * the longest interval between probe lines, i.e. how long its event loop was held up); round 1 never starts then.
 *
 * One JSON object on stdout; progress on stderr. Every child process is killed when the benchmark ends, on error
 * or on SIGINT/SIGTERM.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine } from '../harness.js';
import { type CertificateSetup, ensureCertificates, nodeName, shardOf } from './federation-certs.js';
import type { ClientReport } from './federation-client.js';
import type { ProbeSample } from './federation-probe.js';

const log = (s: string) => process.stderr.write(`${s}\n`);
const ROOT = join(import.meta.dirname, '..', '..');
const VEIL = join(ROOT, 'bin', 'veil');
const CLIENT = join(import.meta.dirname, 'federation-client.ts');
const PROBE = join(import.meta.dirname, 'federation-probe.ts');

// ---------------------------------------------------------------------------------------------- options

interface Options {
  readonly nodes: readonly number[];
  readonly milestones: readonly number[];
  readonly processes: number;
  readonly rounds: number;
  readonly sampleRate: number;
  readonly concurrency: number;
  readonly settleMs: number;
  readonly roundTimeoutMs: number;
  readonly runTimeoutS: number;
  readonly certCache: string;
}

const FLAGS = [
  '--nodes',
  '--milestones',
  '--processes',
  '--rounds',
  '--sample-rate',
  '--concurrency',
  '--settle-ms',
  '--round-timeout-ms',
  '--run-timeout-s',
  '--cert-cache',
];

function parseOptions(args: readonly string[]): Options {
  for (let i = 0; i < args.length; i += 2) {
    if (!FLAGS.includes(args[i]!) || args[i + 1] === undefined) {
      throw new Error(
        `service federation: unknown or incomplete flag '${args[i]}' (flags: ${FLAGS.join(' ')})`,
      );
    }
  }
  const text = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  const list = (name: string, fallback: string) =>
    text(name, fallback)
      .split(',')
      .map((s) => {
        const n = Number(s.replace(/_/g, ''));
        if (!Number.isSafeInteger(n) || n < 1)
          throw new Error(`service federation: ${name}: bad count '${s}'`);
        return n;
      });
  const count = (name: string, fallback: string, min: number) => {
    const n = Number(text(name, fallback));
    if (!Number.isSafeInteger(n) || n < min)
      throw new Error(`service federation: ${name}: an integer >= ${min}, got '${text(name, fallback)}'`);
    return n;
  };
  const sampleRate = Number(text('--sample-rate', '0.01'));
  if (!(sampleRate > 0 && sampleRate <= 1))
    throw new Error(`service federation: --sample-rate: in (0, 1], got '${text('--sample-rate', '')}'`);
  return {
    nodes: list('--nodes', '10000'),
    milestones: list('--milestones', '1000,2500,5000'),
    processes: count('--processes', '4', 1),
    rounds: count('--rounds', '5', 1),
    sampleRate,
    concurrency: count('--concurrency', '32', 1),
    settleMs: count('--settle-ms', '3000', 0),
    roundTimeoutMs: count('--round-timeout-ms', '120000', 1000),
    runTimeoutS: count('--run-timeout-s', '1500', 10),
    certCache: text('--cert-cache', join(tmpdir(), 'veil-bench-federation-certs')),
  };
}

// ---------------------------------------------------------------------------------------------- helpers

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

function percentiles(xs: readonly number[]): { p50: number; p99: number; max: number; n: number } | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: r3(at(0.5)), p99: r3(at(0.99)), max: r3(s[s.length - 1]!), n: s.length };
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every child this benchmark started, killed when it ends however it ends. */
const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
let hooked = false;
function hookCleanup(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The machine and its limits, as the brief asks them quoted. */
function machineLimits(): Record<string, unknown> {
  const sh = (cmd: string) => {
    try {
      return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  return {
    ...machine(),
    nproc: Number(sh('nproc')) || availableParallelism(),
    freeG: sh('free -g')?.split('\n') ?? null,
    ulimitN: { soft: sh('ulimit -Sn'), hard: sh('ulimit -Hn') },
    loadavg: loadavg().map(r1),
    ephemeralPorts: sh('cat /proc/sys/net/ipv4/ip_local_port_range')?.replace(/\s+/g, '-') ?? null,
    somaxconn: Number(sh('cat /proc/sys/net/core/somaxconn')) || null,
  };
}

function readProbe(file: string): ProbeSample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ProbeSample);
}

// ---------------------------------------------------------------------------------------------- one run

interface ClientProc {
  readonly child: ChildProcess;
  readonly nodes: number;
  last: ClientReport | null;
  readonly waiters: Set<() => void>;
}

interface TaskNote {
  readonly node: string;
  readonly round: number;
  readonly receivedAt: number;
  readonly answeredMs: number;
}

async function runOnce(n: number, o: Options, certs: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-federation-'));
  const probeFile = join(dir, 'probe.jsonl');
  const clients: ClientProc[] = [];
  let coordinator: ChildProcess | null = null;
  const milestones: Record<string, unknown>[] = [];
  let idle: ProbeSample | null = null;
  const t0 = Date.now();
  try {
    const port = await freePort();
    const minNodes = Math.max(1, Math.floor(n * o.sampleRate * 0.5));
    writeFileSync(
      join(dir, 'coordinator.json'),
      JSON.stringify({
        listen: { host: '127.0.0.1', port },
        tls: {
          cert: join(certs, 'coord', 'coordinator.crt'),
          key: join(certs, 'coord', 'coordinator.key'),
          ca: join(certs, 'ca', 'ca.crt'),
          crl: join(certs, 'ca', 'crl.pem'),
        },
        task: { inputShape: [5], numClasses: 2 },
        checkpoint: join(dir, 'checkpoint.json'),
        finishGraceMs: 120_000,
        federation: {
          model: 'logreg',
          rounds: o.rounds,
          minNodes,
          startAfterNodes: n,
          selection: { kind: 'fraction', fraction: o.sampleRate },
          roundTimeoutMs: o.roundTimeoutMs,
          evaluateEvery: 0,
          evaluateFraction: o.sampleRate,
          train: { localEpochs: 1, batchSize: 32, learningRate: 0.5 },
        },
      }),
    );

    // ---- the coordinator
    const roundStart = new Map<number, number>();
    const roundDone = new Map<number, number>();
    const notable: string[] = [];
    let stdout = '';
    let listening!: () => void;
    const listeningP = new Promise<void>((resolve) => {
      listening = resolve;
    });
    coordinator = track(
      spawn(
        process.execPath,
        [
          '--import',
          import.meta.resolve('tsx'),
          '--import',
          pathToFileURL(PROBE).href,
          VEIL,
          '--json',
          'coordinator',
          '--config',
          'coordinator.json',
        ],
        { cwd: dir, env: { ...process.env, VEIL_BENCH_PROBE: probeFile }, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    coordinator.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    let partial = '';
    coordinator.stderr!.on('data', (c: Buffer) => {
      const now = Date.now();
      const lines = (partial + c.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        let m = /round (\d+)\/\d+: \d+ nodes selected/.exec(line);
        if (m) roundStart.set(Number(m[1]), now);
        m = /round (\d+)\/\d+ done:/.exec(line);
        if (m) roundDone.set(Number(m[1]), now);
        if (line.includes('listening on')) listening();
        if (!line.includes(' registered (')) {
          if (notable.length < 200) notable.push(line);
          if (!/nodes selected|done:|listening|model spec/.test(line)) log(`  coordinator: ${line}`);
          else log(`  ${line}`);
        }
      }
    });
    const exited = new Promise<number | null>((resolve) =>
      coordinator!.once('exit', (code) => resolve(code)),
    );
    await Promise.race([
      listeningP,
      exited.then((code) => {
        throw new Error(`the coordinator exited ${code} before listening: ${notable.join('\n')}`);
      }),
    ]);
    await sleep(1500);
    idle = readProbe(probeFile).at(-1) ?? null;
    log(`federation N=${n}: coordinator listening on port ${port} (RSS ${idle?.rssMiB} MiB idle)`);

    // ---- the client processes
    const tasks: TaskNote[] = [];
    const perProcess: [string, string][][] = Array.from({ length: o.processes }, () => []);
    for (let i = 0; i < n; i++) perProcess[i % o.processes]!.push([nodeName(i), shardOf(i)]);
    await Promise.all(
      perProcess.map(
        (nodes) =>
          new Promise<void>((resolve, reject) => {
            const child = track(
              fork(
                CLIENT,
                [
                  JSON.stringify({
                    url: `https://127.0.0.1:${port}`,
                    certDir: certs,
                    nodes,
                    concurrency: o.concurrency,
                    pollWaitMs: 20_000,
                  }),
                ],
                { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
              ),
            );
            const proc: ClientProc = { child, nodes: nodes.length, last: null, waiters: new Set() };
            clients.push(proc);
            child.on('message', (raw: unknown) => {
              const m = raw as { kind: string };
              if (m.kind === 'ready') resolve();
              else if (m.kind === 'report') {
                proc.last = raw as ClientReport;
                for (const w of [...proc.waiters]) w();
              } else if (m.kind === 'task') tasks.push(raw as TaskNote);
            });
            child.once('exit', (code) =>
              reject(new Error(`a client process exited ${code} before it was ready`)),
            );
          }),
      ),
    );

    const registered = () => clients.reduce((s, c) => s + (c.last?.registered ?? 0), 0);
    const waitFor = (pred: () => boolean, what: string, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
          if (pred()) {
            clearInterval(timer);
            resolve();
          } else if (coordinator!.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`the coordinator exited (${coordinator!.exitCode}) while waiting for ${what}`));
          } else if (Date.now() - started > timeoutMs) {
            clearInterval(timer);
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
          }
        }, 100);
      });
    const freshReports = async () => {
      const before = clients.map((c) => c.last);
      for (const c of clients) c.child.send({ kind: 'report' });
      await waitFor(() => clients.every((c, i) => c.last !== before[i]), 'client reports', 30_000);
    };

    // ---- set-up, by milestones
    const marks = [...new Set([...o.milestones.filter((m) => m < n), n])].sort((a, b) => a - b);
    const deadline = t0 + o.runTimeoutS * 1000;
    let prev = 0;
    let setupSeconds = 0;
    const registeredBefore = clients.map(() => 0);
    let cpuBefore = idle?.cpuMs ?? 0;
    let clientCpuBefore = clients.reduce((s, c) => s + (c.last?.cpuMs ?? 0), 0);
    for (const m of marks) {
      const phase0 = Date.now();
      clients.forEach((c, p) => {
        // node i lives in process i % K: this process's share of the first m
        c.child.send({ kind: 'grow', upTo: Math.floor((m - p + o.processes - 1) / o.processes) });
      });
      await waitFor(() => registered() >= m, `${m} registrations`, deadline - Date.now());
      const seconds = (Date.now() - phase0) / 1000;
      setupSeconds += seconds;
      const last = m === n;
      if (!last && o.settleMs > 0) await sleep(o.settleMs);
      await sleep(600); // a probe line taken after the phase
      await freshReports();
      const sample = readProbe(probeFile).at(-1)!;
      const during = readProbe(probeFile).filter((s) => s.t >= phase0);
      const phaseRegisterMs = clients.flatMap((c, i) => c.last!.registerMs.slice(registeredBefore[i]));
      clients.forEach((c, i) => {
        registeredBefore[i] = c.last!.registerMs.length;
      });
      const clientRss = clients.map((c) => c.last!.rssMiB);
      const clientCpu = clients.reduce((s, c) => s + c.last!.cpuMs, 0);
      const cpuMsPerRegistration = r3((sample.cpuMs - cpuBefore) / (m - prev));
      const clientCpuMsPerRegistration = r3((clientCpu - clientCpuBefore) / (m - prev));
      cpuBefore = sample.cpuMs;
      clientCpuBefore = clientCpu;
      const row = {
        connected: m,
        phaseSeconds: r3(seconds),
        registrationsPerSecond: r1((m - prev) / seconds),
        registerMs: percentiles(phaseRegisterMs),
        coordinator: {
          rssMiB: sample.rssMiB,
          heapUsedMiB: sample.heapUsedMiB,
          heapTotalMiB: sample.heapTotalMiB,
          externalMiB: sample.externalMiB,
          arrayBuffersMiB: sample.arrayBuffersMiB,
          fds: sample.fds,
          cpuMsPerRegistration,
          rssKiBPerNode: idle ? r1(((sample.rssMiB - idle.rssMiB) * 1024) / m) : null,
          heapKiBPerNode: idle ? r1(((sample.heapUsedMiB - idle.heapUsedMiB) * 1024) / m) : null,
          eventLoopDelayMaxMsDuringPhase: Math.max(0, ...during.map((s) => s.lagMaxMs)),
          probeIntervalMaxMsDuringPhase: Math.max(0, ...during.slice(1).map((s, i) => s.t - during[i]!.t)),
          rssPeakMiBDuringPhase: Math.max(0, ...during.map((s) => s.rssMiB)),
        },
        clients: {
          processes: clients.length,
          rssMiB: clientRss,
          rssKiBPerNode: r1((clientRss.reduce((a, b) => a + b, 0) * 1024) / m),
          cpuMsPerRegistration: clientCpuMsPerRegistration,
          heapUsedMiB: clients.map((c) => c.last!.heapUsedMiB),
          registerFailures: clients.reduce((s, c) => s + c.last!.registerFailures, 0),
          callErrors: clients.reduce((s, c) => s + c.last!.callErrors, 0),
          eventLoopDelayMaxMs: Math.max(...clients.map((c) => c.last!.eventLoopDelayMaxMs)),
        },
        sampledAfterSettleMs: last ? 600 : o.settleMs + 600,
      };
      milestones.push(row);
      log(
        `federation N=${n}: ${m} connected in ${row.phaseSeconds} s (${row.registrationsPerSecond}/s); coordinator RSS ${sample.rssMiB} MiB, heap ${sample.heapUsedMiB} MiB, ${sample.fds} fds; clients RSS ${clientRss.join('+')} MiB`,
      );
      prev = m;
    }

    // ---- rounds, the final evaluation and the final model
    let expire: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        expire = setTimeout(
          () =>
            reject(
              new Error(
                `the federation of ${n} nodes did not finish within --run-timeout-s ${o.runTimeoutS}`,
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
      }),
    ]).finally(() => clearTimeout(expire));
    const ended = Date.now();
    let summary: {
      status: string;
      failure: string | null;
      roundsCompleted: number;
      history: {
        round: number;
        seconds: number;
        selected: number;
        used: number;
        dropped: number;
        attempts: number;
      }[];
    } | null = null;
    try {
      summary = JSON.parse(stdout);
    } catch {
      summary = null;
    }
    await freshReports().catch(() => undefined);
    const samples = readProbe(probeFile);
    const firstRound = roundStart.get(1) ?? ended;
    const lastRoundDone = roundDone.get(o.rounds) ?? ended;
    // the rounds: from round 1's start to a probe line after the last round closed
    const inRounds = samples.filter((s) => s.t >= firstRound && s.t <= lastRoundDone + 500);
    const inFinish = samples.filter((s) => s.t > lastRoundDone);
    const history = summary?.history ?? [];
    const starts = [...roundStart.entries()].sort((a, b) => a[0] - b[0]);
    const intervals = starts.slice(1).map(([, t], i) => (t - starts[i]![1]) / 1000);
    const delivery = tasks
      .filter((t) => roundStart.has(t.round))
      .map((t) => t.receivedAt - roundStart.get(t.round)!);
    const finished = clients.reduce((s, c) => s + (c.last?.finished ?? 0), 0);
    const result = {
      nodes: n,
      processes: o.processes,
      nodesPerRound: history[0]?.selected ?? null,
      coordinatorExit: code,
      status: summary?.status ?? null,
      failure: summary?.failure ?? null,
      roundsCompleted: summary?.roundsCompleted ?? null,
      setup: {
        seconds: r3(setupSeconds),
        registrationsPerSecond: r1(n / setupSeconds),
        registerMs: percentiles(clients.flatMap((c) => c.last?.registerMs ?? [])),
      },
      idleCoordinator: idle,
      milestones,
      rounds: {
        secondsByRound: history.map((h) => r3(h.seconds)),
        seconds: percentiles(history.map((h) => h.seconds)),
        startToStartSeconds: percentiles(intervals),
        taskDeliveryMs: percentiles(delivery),
        clientAnswerMs: percentiles(tasks.map((t) => t.answeredMs)),
        // every held poll answered at each phase change, most of them with nothing to do (TaskMailbox.wakeAll)
        waitAnswersByRound: history.map((h) =>
          clients.reduce((s, c) => s + (c.last?.waitAnswersByRound[h.round] ?? 0), 0),
        ),
        used: history.map((h) => (Array.isArray(h.used) ? h.used.length : h.used)),
        dropped: history.map((h) => (Array.isArray(h.dropped) ? h.dropped.length : h.dropped)),
        attempts: history.map((h) => h.attempts),
        coordinatorDuringRounds: {
          cpuSeconds: inRounds.length > 1 ? r3((inRounds.at(-1)!.cpuMs - inRounds[0]!.cpuMs) / 1000) : null,
          wallSeconds: inRounds.length > 1 ? r3((inRounds.at(-1)!.t - inRounds[0]!.t) / 1000) : null,
          rssPeakMiB: Math.max(0, ...inRounds.map((s) => s.rssMiB)),
          heapUsedPeakMiB: Math.max(0, ...inRounds.map((s) => s.heapUsedMiB)),
          eventLoopDelayMaxMs: Math.max(0, ...inRounds.map((s) => s.lagMaxMs)),
          eventLoopDelayP99MsPerHalfSecond: percentiles(inRounds.map((s) => s.lagP99Ms)),
        },
      },
      finish: {
        secondsFromLastRoundToExit: r3((ended - lastRoundDone) / 1000),
        coordinatorRssPeakMiB: Math.max(0, ...inFinish.map((s) => s.rssMiB)),
        coordinatorHeapUsedPeakMiB: Math.max(0, ...inFinish.map((s) => s.heapUsedMiB)),
        eventLoopDelayMaxMs: Math.max(0, ...inFinish.map((s) => s.lagMaxMs)),
        nodesWithFinalModel: finished,
      },
      clientErrors: {
        callErrors: clients.reduce((s, c) => s + (c.last?.callErrors ?? 0), 0),
        updatesRefused: clients.reduce((s, c) => s + (c.last?.updatesRefused ?? 0), 0),
        first: clients.flatMap((c) => c.last?.firstErrors ?? []).slice(0, 5),
      },
      coordinatorLog: notable.filter((l) => !/nodes selected|done:/.test(l)).slice(0, 20),
    };
    log(
      `federation N=${n}: ${result.roundsCompleted} rounds, round seconds p50 ${result.rounds.seconds?.p50} max ${result.rounds.seconds?.max}; ${finished}/${n} nodes got the final model`,
    );
    return result;
  } catch (err) {
    // what was reached before it broke: the milestones, and the coordinator's trace every 10 s until then
    const samples = readProbe(probeFile);
    // a probe line is due every 500 ms: a longer interval is the coordinator's event loop held up that long
    const gapBefore = (i: number) => (i > 0 ? samples[i]!.t - samples[i - 1]!.t : 0);
    const trace = samples
      .map((s, i) => ({ s, i }))
      .filter(({ i }) => i % 20 === 0 || i === samples.length - 1);
    const registeredWhenStopped = clients.reduce((s, c) => s + (c.last?.registered ?? 0), 0);
    log(`federation N=${n}: FAILED after ${registeredWhenStopped} registrations: ${(err as Error).message}`);
    return {
      nodes: n,
      error: (err as Error).message,
      registeredWhenStopped,
      secondsWhenStopped: r3((Date.now() - t0) / 1000),
      idleCoordinator: idle,
      milestones,
      clientsWhenStopped: clients.map(
        (c) => c.last && { ...c.last, registerMs: percentiles(c.last.registerMs) },
      ),
      coordinatorTrace: trace.map(({ s, i }) => ({
        seconds: r1((s.t - t0) / 1000),
        rssMiB: s.rssMiB,
        heapUsedMiB: s.heapUsedMiB,
        fds: s.fds,
        cpuSeconds: r1(s.cpuMs / 1000),
        lagMaxMs: s.lagMaxMs,
        probeIntervalMaxMs: Math.max(
          ...Array.from({ length: Math.min(20, i + 1) }, (_, k) => gapBefore(i - k)),
        ),
      })),
    };
  } finally {
    for (const c of clients) if (c.child.connected) c.child.send({ kind: 'stop' });
    await sleep(500);
    for (const c of clients) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    if (coordinator && coordinator.exitCode === null) {
      // SIGTERM first: the coordinator stops as `veil coordinator` does on Ctrl-C (exit 5); then SIGKILL
      const gone = new Promise((resolve) => coordinator!.once('exit', resolve));
      coordinator.kill('SIGTERM');
      await Promise.race([gone, sleep(15_000)]);
      if (coordinator.exitCode === null && coordinator.signalCode === null) coordinator.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- limits

/** Where one coordinator process runs out, extrapolated linearly from the largest run's last milestone. */
function limits(run: Record<string, unknown>, machineInfo: Record<string, unknown>): Record<string, unknown> {
  const ms = run.milestones as {
    connected: number;
    coordinator: { rssMiB: number; heapUsedMiB: number; fds: number };
  }[];
  const idle = run.idleCoordinator as ProbeSample | null;
  const last = ms.at(-1);
  if (!last || !idle) return {};
  const n = last.connected;
  const fdsPerNode = (last.coordinator.fds - idle.fds) / n;
  const soft = Number((machineInfo.ulimitN as { soft: string }).soft);
  const heapPerNode = (last.coordinator.heapUsedMiB - idle.heapUsedMiB) / n;
  const rssPerNode = (last.coordinator.rssMiB - idle.rssMiB) / n;
  return {
    from: `N=${n}`,
    fileDescriptors: {
      perNode: r3(fdsPerNode),
      ulimitSoft: soft,
      maxNodes: Number.isFinite(soft) && fdsPerNode > 0 ? Math.floor((soft - idle.fds) / fdsPerNode) : null,
    },
    v8Heap: {
      kiBPerNode: r1(heapPerNode * 1024),
      limitMiB: idle.heapLimitMiB,
      maxNodes: heapPerNode > 0 ? Math.floor((idle.heapLimitMiB - idle.heapUsedMiB) / heapPerNode) : null,
    },
    memory: {
      rssKiBPerNode: r1(rssPerNode * 1024),
      totalMiB: Math.round(totalmem() / 2 ** 20),
      freeMiBNow: Math.round(freemem() / 2 ** 20),
      maxNodesInFreeMemory: rssPerNode > 0 ? Math.floor(freemem() / 2 ** 20 / rssPerNode) : null,
    },
  };
}

// ---------------------------------------------------------------------------------------------- entry

/** The `federation` part of `npm run -s bench -- service`. */
export async function federationScale(args: readonly string[]): Promise<void> {
  const o = parseOptions(args);
  hookCleanup();
  const before = machineLimits();
  const maxN = Math.max(...o.nodes);
  const certs: CertificateSetup = await ensureCertificates(o.certCache, maxN, log);
  log(
    `federation: certificates for ${maxN} nodes ready in ${certs.seconds} s (${certs.issuedNow} issued now${certs.msPerCertificate ? `, ${certs.msPerCertificate} ms each in ${certs.processes} processes` : ', from the cache'})`,
  );
  const runs: Record<string, unknown>[] = [];
  for (const n of o.nodes) {
    runs.push(await runOnce(n, o, o.certCache));
  }
  const largest = runs
    .filter((r) => ((r.milestones as unknown[] | undefined)?.length ?? 0) > 0)
    .sort((a, b) => (b.nodes as number) - (a.nodes as number))[0];
  const result = {
    bench: 'service',
    part: 'federation',
    machine: before,
    loadavgAfter: loadavg().map(r1),
    setup: {
      coordinator:
        '`veil coordinator` (bin/veil) on 127.0.0.1, gRPC over HTTP/2, TLS 1.3, client certificates, CRL',
      clients: `lightweight nodes in ${o.processes} processes: one certificate, one HTTP/2 connection and one createCoordinatorClient each; Register, GetTask long polls of 20 s, SubmitUpdate when selected, evaluation declined`,
      federation: `logreg on 5 features (12 parameters), fraction ${o.sampleRate} per round, ${o.rounds} rounds, startAfterNodes N, no secure aggregation, no DP, checkpoint after each round`,
      certificates: certs,
    },
    runs,
    limits: largest ? limits(largest, before) : null,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (import.meta.filename === process.argv[1]) await federationScale(process.argv.slice(2));
