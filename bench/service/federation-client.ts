/**
 * A process of lightweight federation nodes for `npm run -s bench -- service federation` (issue 16, item 7),
 * forked by bench/service/federation-scale.ts with an IPC channel; not run by hand.
 *
 * Each node here is a real participant of `veil coordinator`: its own certificate (CN = its node id, issued by
 * the benchmark's development CA) on its own gRPC client (the transport face's `createCoordinatorClient`: one
 * HTTP/2 connection over mutual TLS 1.3), registered with `Register`, long-polling `GetTask` as `veil node` does
 * (20 s holds), and answering when selected: the global model is decoded and its SHA-256 checked
 * (`decodeParameters`), and a small dense delta goes back with `SubmitUpdate`. What it leaves out is the local
 * training (a fixed small delta; the model is a 12-parameter logistic regression, so compute is negligible), the
 * ledger and the retries of `veil node`: an evaluation is declined (`numExamples: 0`, as a node under local DP
 * does), and a failed call is counted and retried after 1 s.
 *
 * Messages from the parent: `{kind: 'grow', upTo}` registers this process's nodes up to `upTo` (at most
 * `concurrency` registrations in flight), `{kind: 'report'}` asks for a report, `{kind: 'stop'}` closes every
 * client and exits. To the parent: `{kind: 'report', ...}` (after each `grow` completes, on request, and once a
 * second while something changes) and `{kind: 'task', node, round, receivedAt, answeredMs}` per train task.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { create } from '@bufbuild/protobuf';
import { decodeParameters, PROTOCOL_VERSION } from '../../src/fl/index.js';
import {
  createCoordinatorClient,
  DenseUpdateSchema,
  GetTaskRequestSchema,
  type GetTaskResponse,
  type GrpcCoordinatorClient,
  RegisterRequestSchema,
  SubmitEvaluationRequestSchema,
  SubmitUpdateRequestSchema,
  UpdateSchema,
} from '../../src/transport/index.js';

/** What the parent passes as the first argument (JSON). */
export interface ClientProcessOptions {
  readonly url: string;
  /** The node certificates: `<certDir>/<shard>/<name>.crt|.key`, the CA in `<certDir>/ca/ca.crt`. */
  readonly certDir: string;
  /** This process's nodes: `[name, shard]` pairs. */
  readonly nodes: readonly (readonly [string, string])[];
  /** Registrations in flight at once. */
  readonly concurrency: number;
  /** Hold each GetTask asks for (ms), as `veil node` (20,000). */
  readonly pollWaitMs: number;
}

/** A report to the parent. */
export interface ClientReport {
  readonly kind: 'report';
  readonly registered: number;
  readonly target: number;
  readonly registerFailures: number;
  /** Milliseconds of each node's first successful Register (TLS handshake + HTTP/2 + the call). */
  readonly registerMs: readonly number[];
  readonly polling: number;
  /** GetTask calls answered `wait` (a hold that ran out, or a wake-up with nothing for this node). */
  readonly waitAnswers: number;
  /** Of those, the ones answered while round r was training (their reason names it: "not selected for round r"). */
  readonly waitAnswersByRound: Readonly<Record<number, number>>;
  readonly trained: number;
  readonly updatesRefused: number;
  readonly evaluationsDeclined: number;
  readonly finished: number;
  readonly callErrors: number;
  readonly firstErrors: readonly string[];
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly eventLoopDelayMaxMs: number;
  /** CPU time this process has used so far (user + system), ms. */
  readonly cpuMs: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ClientProcessOptions;
const caPem = readFileSync(join(options.certDir, 'ca', 'ca.crt'), 'utf8');
const lag = monitorEventLoopDelay({ resolution: 20 });
lag.enable();

const clients: GrpcCoordinatorClient[] = [];
const registerMs: number[] = [];
let next = 0;
let target = 0;
let registerFailures = 0;
let polling = 0;
let waitAnswers = 0;
const waitAnswersByRound: Record<number, number> = {};
let trained = 0;
let updatesRefused = 0;
let evaluationsDeclined = 0;
let finished = 0;
let callErrors = 0;
const firstErrors: string[] = [];
let stopping = false;
let dirty = true;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const send = (message: unknown) => {
  if (process.connected) process.send?.(message);
};

function noteError(where: string, err: unknown): void {
  callErrors++;
  dirty = true;
  if (firstErrors.length < 5) firstErrors.push(`${where}: ${(err as Error)?.message ?? String(err)}`);
}

function report(): ClientReport {
  const mem = process.memoryUsage();
  return {
    kind: 'report',
    registered: registerMs.length,
    target,
    registerFailures,
    registerMs,
    polling,
    waitAnswers,
    waitAnswersByRound,
    trained,
    updatesRefused,
    evaluationsDeclined,
    finished,
    callErrors,
    firstErrors,
    rssMiB: Math.round(mem.rss / 2 ** 20),
    heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
    eventLoopDelayMaxMs: Math.round(lag.max / 1e6),
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
  };
}

/** One node: register (retrying), then poll and answer until the federation finishes or the process stops. */
async function runNode(name: string, shard: string): Promise<void> {
  const dir = join(options.certDir, shard);
  const client = await createCoordinatorClient({
    url: options.url,
    tls: {
      cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
      ca: caPem,
    },
    timeoutMs: 120_000,
  });
  clients.push(client);
  for (;;) {
    const t0 = performance.now();
    try {
      const r = await client.register(
        create(RegisterRequestSchema, { protocolVersion: PROTOCOL_VERSION, numExamples: 50n }),
      );
      if (!r.accepted) throw new Error(`registration refused: ${r.reason}`);
      registerMs.push(performance.now() - t0);
      dirty = true;
      break;
    } catch (err) {
      registerFailures++;
      noteError(`${name} register`, err);
      if (stopping) return;
      await sleep(1000);
    }
  }
  void poll(name, client);
}

async function poll(name: string, client: GrpcCoordinatorClient): Promise<void> {
  let lastRound = 0;
  let parameters = 0;
  polling++;
  try {
    while (!stopping) {
      let response: GetTaskResponse;
      try {
        response = await client.getTask(
          create(GetTaskRequestSchema, { lastRound, waitMs: options.pollWaitMs }),
        );
      } catch (err) {
        if (stopping) return;
        noteError(`${name} getTask`, err);
        await sleep(1000);
        continue;
      }
      const task = response.task;
      if (task.case === 'wait') {
        waitAnswers++;
        const training = /^(?:not selected for|update received for) round (\d+)$/.exec(task.value.reason);
        if (training) {
          const r = Number(training[1]);
          waitAnswersByRound[r] = (waitAnswersByRound[r] ?? 0) + 1;
        }
        await sleep(Math.min(task.value.retryAfterMs, 5000));
      } else if (task.case === 'train') {
        const receivedAt = Date.now();
        const t0 = performance.now();
        const g = task.value.global;
        parameters = Number(g?.length ?? 0n);
        const global = decodeParameters(g, parameters, `round ${task.value.round}`);
        // "local training": a fixed small step, far below the coordinator's maxUpdateNorm
        const delta = new Float32Array(global.length).fill(0.001);
        try {
          const answer = await client.submitUpdate(
            create(SubmitUpdateRequestSchema, {
              round: task.value.round,
              update: create(UpdateSchema, {
                length: BigInt(delta.length),
                encoding: {
                  case: 'dense',
                  value: create(DenseUpdateSchema, { float32Le: new Uint8Array(delta.buffer) }),
                },
              }),
              numExamples: 50n,
              trainLoss: 0.5,
            }),
          );
          if (answer.accepted) trained++;
          else {
            updatesRefused++;
            noteError(`${name} update refused`, new Error(answer.reason));
          }
        } catch (err) {
          noteError(`${name} submitUpdate`, err);
        }
        lastRound = task.value.round;
        dirty = true;
        send({
          kind: 'task',
          node: name,
          round: task.value.round,
          receivedAt,
          answeredMs: performance.now() - t0,
        });
      } else if (task.case === 'evaluate') {
        try {
          await client.submitEvaluation(
            create(SubmitEvaluationRequestSchema, { round: task.value.round, numExamples: 0n }),
          );
          evaluationsDeclined++;
        } catch (err) {
          noteError(`${name} submitEvaluation`, err);
        }
        dirty = true;
      } else if (task.case === 'finished') {
        decodeParameters(task.value.global, parameters || Number(task.value.global?.length ?? 0n), 'final');
        finished++;
        dirty = true;
        await client.close();
        return;
      } else {
        noteError(`${name} getTask`, new Error(`unexpected task ${task.case}`));
        await sleep(1000);
      }
    }
  } finally {
    polling--;
  }
}

/** Registers nodes up to `upTo` (of this process's list), `concurrency` at a time; reports when done. */
async function grow(upTo: number): Promise<void> {
  target = Math.min(upTo, options.nodes.length);
  const workers: Promise<void>[] = [];
  for (let w = 0; w < options.concurrency; w++) {
    workers.push(
      (async () => {
        while (next < target && !stopping) {
          const [name, shard] = options.nodes[next++]!;
          try {
            await runNode(name, shard);
          } catch (err) {
            registerFailures++;
            noteError(`${name} client`, err);
          }
        }
      })(),
    );
  }
  await Promise.all(workers);
  send(report());
}

async function stop(): Promise<void> {
  stopping = true;
  await Promise.allSettled(clients.map((c) => c.close()));
  process.exit(0);
}

process.on('message', (m: { kind: string; upTo?: number }) => {
  if (m.kind === 'grow') void grow(m.upTo ?? 0);
  else if (m.kind === 'report') send(report());
  else if (m.kind === 'stop') void stop();
});
// the parent went away (killed, crashed): nothing is left behind
process.on('disconnect', () => void stop());
setInterval(() => {
  if (!dirty) return;
  dirty = false;
  send(report());
}, 1000).unref();
send({ kind: 'ready' });
