import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  IntegrityError,
  InvalidParameterError,
  ProtocolError,
  seededRng,
} from '../../core/index.js';
import {
  GetTaskRequestSchema,
  type GetTaskResponse,
  LeaveRequestSchema,
  type PeerIdentity,
  RegisterRequestSchema,
  SubmitEvaluationRequestSchema,
  SubmitUpdateRequestSchema,
  type TrainTask,
} from '../../transport/index.js';
import type { PrivacyBudget } from '../budget.js';
import { federationModel, parseFederation } from '../config/index.js';
import { decodeParameters, PROTOCOL_VERSION, toUpdateMessage } from '../protocol/index.js';
import { fedAvg, fedProx, withServerDp } from '../strategies/index.js';
import { fileCheckpointStore } from './checkpoint.js';
import type { Clock } from './clock.js';
import { Coordinator } from './coordinator.js';
import type { CoordinatorOptions, LocalTrainingSpec } from './options.js';
import type { CoordinatorEvent } from './records.js';

/** A clock whose time moves only when the test says so; timers fire in time order as it passes them. */
class FakeClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const id = this.seq++;
    this.timers.set(id, { at: this.t + ms, fn });
    return () => {
      this.timers.delete(id);
    };
  }

  /** Moves time forward by `ms`, firing every timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }

  /** Timers set and neither fired nor cancelled. */
  get pending(): number {
    return this.timers.size;
  }
}

/** Lets pending promise callbacks (long polls woken by a timer or a phase change) run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const { model } = federationModel(parseFederation({ model: 'logreg' }), [3], 2);
const TRAIN: LocalTrainingSpec = {
  localEpochs: 1,
  batchSize: 8,
  learningRate: 0.1,
  momentum: 0,
  compression: { kind: 'none' },
  localLayers: [],
};
const TIMEOUT = 1_000;

function setup(options: Partial<CoordinatorOptions> = {}, clock = new FakeClock()) {
  const events: CoordinatorEvent[] = [];
  const coordinator = new Coordinator({
    model,
    initialGlobal: new Float32Array(4),
    rounds: 2,
    minNodes: 2,
    selection: { kind: 'fraction', fraction: 1 },
    train: TRAIN,
    strategy: fedAvg(),
    roundTimeoutMs: TIMEOUT,
    evaluateEvery: 0,
    configSha256: 'config-a',
    rng: (purpose) => seededRng(purpose),
    clock,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { coordinator, clock, events };
}

const peer = (id: string): PeerIdentity => ({ id, fingerprint: `sha256:${id}` });

const registration = (init: MessageInitShape<typeof RegisterRequestSchema> = {}) =>
  create(RegisterRequestSchema, { protocolVersion: PROTOCOL_VERSION, numExamples: 10n, ...init });

async function register(c: Coordinator, ...ids: string[]): Promise<void> {
  for (const id of ids) {
    const r = await c.register(registration(), peer(id));
    expect(r.accepted, r.reason).toBe(true);
  }
}

const poll = (c: Coordinator, id: string, waitMs = 0) =>
  c.getTask(create(GetTaskRequestSchema, { waitMs }), peer(id));

const submit = (
  c: Coordinator,
  id: string,
  round: number,
  delta: readonly number[],
  init: MessageInitShape<typeof SubmitUpdateRequestSchema> = {},
) =>
  c.submitUpdate(
    create(SubmitUpdateRequestSchema, {
      round,
      update: toUpdateMessage({ kind: 'dense', delta: Float32Array.from(delta) }),
      numExamples: 10n,
      trainLoss: 0.5,
      ...init,
    }),
    peer(id),
  );

const evaluation = (
  c: Coordinator,
  id: string,
  init: MessageInitShape<typeof SubmitEvaluationRequestSchema>,
) => c.submitEvaluation(create(SubmitEvaluationRequestSchema, init), peer(id));

const leave = (c: Coordinator, id: string, reason = '') =>
  c.leave(create(LeaveRequestSchema, { reason }), peer(id));

function trainTask(r: GetTaskResponse): TrainTask {
  if (r.task.case !== 'train') throw new Error(`expected a train task, got ${r.task.case}`);
  return r.task.value;
}

function waitReason(r: GetTaskResponse): string {
  if (r.task.case !== 'wait') throw new Error(`expected wait, got ${r.task.case}`);
  return r.task.value.reason;
}

/** The nodes among `ids` that get a train task now. */
async function selectedAmong(c: Coordinator, ids: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if ((await poll(c, id)).task.case === 'train') out.push(id);
  return out;
}

describe('Coordinator: registration', () => {
  it('refuses a registration with its reason: protocol version, model hash, allowed nodes, example count', async () => {
    const { coordinator, events } = setup({ allowedNodes: ['a', 'b'] });
    const refused = async (id: string, init: MessageInitShape<typeof RegisterRequestSchema>) => {
      const r = await coordinator.register(registration(init), peer(id));
      expect(r.accepted).toBe(false);
      expect(r.modelSpecJson).toBe('');
      return r.reason;
    };
    expect(await refused('a', { protocolVersion: PROTOCOL_VERSION + 1 })).toBe(
      `protocol version ${PROTOCOL_VERSION + 1} is not supported (this coordinator speaks ${PROTOCOL_VERSION})`,
    );
    expect(await refused('a', { modelSpecSha256: 'ff'.repeat(32) })).toBe(
      `the node expects model spec ${'ff'.repeat(32)}, the federation trains ${model.specSha256}`,
    );
    expect(await refused('mallory', {})).toBe('node "mallory" is not in this federation\'s allowed nodes');
    expect(await refused('a', { numExamples: 0n })).toBe('num_examples must be a positive integer, got 0');
    expect(await refused('b', { numExamples: 2n ** 60n })).toMatch(/num_examples must be a positive integer/);
    expect(events.filter((e) => e.kind === 'refused').map((e) => e.node)).toEqual([
      'a',
      'a',
      'mallory',
      'a',
      'b',
    ]);
    expect(coordinator.status()).toEqual({ phase: 'waiting', round: 0, registered: 0 });
  });

  it('accepts a node (pinning the right model hash) and answers with the model, shape, classes and rounds', async () => {
    const { coordinator, events } = setup({ rounds: 5 });
    const r = await coordinator.register(registration({ modelSpecSha256: model.specSha256 }), peer('a'));
    expect(r).toMatchObject({
      accepted: true,
      reason: '',
      modelSpecJson: model.specJson,
      inputShape: [3],
      numClasses: 2,
      rounds: 5,
    });
    expect(events).toEqual([{ kind: 'registered', node: 'a', numExamples: 10 }]);
    expect(coordinator.status()).toEqual({ phase: 'waiting', round: 0, registered: 1 });
    expect(coordinator.summary().nodes[0]).toMatchObject({
      id: 'a',
      fingerprint: 'sha256:a',
      numExamples: 10,
    });
  });

  it('records a Leave reason as one bounded printable line: no forged log line, no 1 MB line', async () => {
    const { coordinator, events } = setup();
    await register(coordinator, 'a', 'b');
    await leave(coordinator, 'a', 'x\n\u001b[31mveil coordinator: round 9 done');
    await leave(coordinator, 'b', 'r'.repeat(1_000_000));
    const reasons = events.flatMap((e) => (e.kind === 'left' ? [e.reason] : []));
    expect(reasons[0]).toBe('x\\n\\x1b[31mveil coordinator: round 9 done');
    expect(reasons[1]).toMatch(/^r+… \[1000000 characters\]$/);
    for (const reason of reasons) {
      expect([...reason].some((c) => c < ' ')).toBe(false); // no newline, no ESC
      expect(reason.length).toBeLessThanOrEqual(200);
    }
  });

  it('quotes request fields in a refusal only as printable text', async () => {
    const { coordinator, events } = setup();
    const forged = `x\n\u001b[2Knode b registered${'!'.repeat(10_000)}`;
    const r = await coordinator.register(registration({ modelSpecSha256: forged }), peer('a'));
    expect(r.accepted).toBe(false);
    expect(r.reason).toMatch(
      /^the node expects model spec x\\n\\x1b\[2Knode b registered!+… \[\d+ characters\]$/,
    );
    expect(r.reason.length).toBeLessThanOrEqual(500);
    expect(events).toEqual([{ kind: 'refused', node: 'a', reason: r.reason }]);
  });

  it('refuses every call from a peer that never registered with a ProtocolError', async () => {
    const { coordinator } = setup();
    await register(coordinator, 'a');
    const error = await poll(coordinator, 'ghost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toBe(
      'GetTask: node "ghost" is not registered (call Register first)',
    );
    expect((error as ProtocolError).details).toMatchObject({ peer: 'ghost', stage: 'register' });
    await expect(submit(coordinator, 'ghost', 1, [0, 0, 0, 0])).rejects.toThrow(/is not registered/);
    await expect(evaluation(coordinator, 'ghost', { round: 1 })).rejects.toThrow(/is not registered/);
    await expect(leave(coordinator, 'ghost')).rejects.toThrow(/is not registered/);
    expect(coordinator.status().registered).toBe(1);
  });

  it('refuses bad options at construction', () => {
    expect(() => setup({ rounds: 0 })).toThrow(InvalidParameterError);
    expect(() => setup({ minNodes: 1.5 })).toThrow(/minNodes must be an integer >= 1/);
    expect(() => setup({ initialGlobal: new Float32Array(0) })).toThrow(/initialGlobal/);
    expect(() => setup({ evaluateFraction: 0 })).toThrow(/evaluateFraction/);
    expect(() => setup({ train: { ...TRAIN, momentum: 1 } })).toThrow(/train.momentum/);
    expect(() => setup({ resume: true })).toThrow(/resume only with a checkpoint store/);
  });
});

describe('Coordinator: rounds', () => {
  it('starts round 1 only once startAfterNodes nodes are registered, and hands the selected nodes the model and config', async () => {
    const initialGlobal = Float32Array.from([0.5, -1, 2, 0.25]);
    const { coordinator, clock, events } = setup({
      minNodes: 2,
      startAfterNodes: 3,
      selection: { kind: 'fraction', fraction: 0.5 },
      strategy: fedProx({ mu: 0.25 }),
      train: { ...TRAIN, compression: { kind: 'quantization', bits: 8 }, localLayers: [1] },
      initialGlobal,
    });
    await register(coordinator, 'a', 'b');
    const early = await poll(coordinator, 'a');
    expect(waitReason(early)).toBe('waiting for nodes: 2 of 3 registered');
    expect(coordinator.status().phase).toBe('waiting');
    expect(events.some((e) => e.kind === 'round-started')).toBe(false);

    await register(coordinator, 'c');
    expect(events).toContainEqual({ kind: 'round-started', round: 1, attempt: 1, selected: 2 });
    expect(coordinator.status()).toEqual({ phase: 'training', round: 1, registered: 3 });
    const responses = new Map<string, GetTaskResponse>();
    for (const id of ['a', 'b', 'c']) responses.set(id, await poll(coordinator, id));
    const selected = [...responses].filter(([, r]) => r.task.case === 'train').map(([id]) => id);
    const outsider = ['a', 'b', 'c'].find((id) => !selected.includes(id))!;
    expect(selected).toHaveLength(2);
    expect(waitReason(responses.get(outsider)!)).toBe('not selected for round 1');

    const task = trainTask(responses.get(selected[0]!)!);
    expect(task).toEqual(trainTask(responses.get(selected[1]!)!));
    expect(task.round).toBe(1);
    expect(task.deadlineUnixMs).toBe(BigInt(clock.now() + TIMEOUT));
    expect([...decodeParameters(task.global, 4, 'task')]).toEqual([...initialGlobal]);
    expect(task.config).toMatchObject({
      localEpochs: 1,
      batchSize: 8,
      learningRate: 0.1,
      momentum: 0,
      proximalMu: 0.25,
      localLayers: [1],
    });
    expect(task.config!.compression!.kind).toEqual({
      case: 'quantization',
      value: expect.objectContaining({ bits: 8 }),
    });
  });

  it('refuses updates out of round, from unselected nodes and repeated ones, changing nothing', async () => {
    const { coordinator, events } = setup({
      minNodes: 1,
      startAfterNodes: 4,
      selection: { kind: 'fraction', fraction: 0.75 },
    });
    const ids = ['a', 'b', 'c', 'd'];
    await register(coordinator, ...ids);
    const selected = await selectedAmong(coordinator, ids);
    expect(selected).toHaveLength(3);
    const outsider = ids.find((id) => !selected.includes(id))!;
    const [good, short, poisoned] = selected as [string, string, string];

    const refusal = async (id: string, round: number, delta: number[]) => {
      const r = await submit(coordinator, id, round, delta);
      expect(r.accepted).toBe(false);
      return r.reason;
    };
    expect(await refusal(outsider, 1, [1, 1, 1, 1])).toBe(`node "${outsider}" was not selected for round 1`);
    expect(await refusal(good, 2, [1, 1, 1, 1])).toBe('round 2 is not open for updates (round 1 is)');
    expect(await refusal(good, 0, [1, 1, 1, 1])).toBe('round 0 is not open for updates (round 1 is)');
    expect((await submit(coordinator, good, 1, [1, 2, 3, 4])).accepted).toBe(true);
    expect(await refusal(good, 1, [9, 9, 9, 9])).toBe(`node "${good}" already sent its update for round 1`);
    // none of these counted as a rejected update
    expect(events.some((e) => e.kind === 'update-rejected')).toBe(false);
    expect(coordinator.summary().nodes.every((n) => n.updatesRejected === 0)).toBe(true);
    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 1 });
    expect([...coordinator.globalModel()]).toEqual([0, 0, 0, 0]);

    // refused and recorded: a wrong length (the decoder's ProtocolError) and a NaN
    const wrongLength = await refusal(short, 1, [1, 2, 3]);
    expect(wrongLength).toBe('update has 3 parameters, the model has 4');
    expect(coordinator.status().phase).toBe('training');
    const nan = await refusal(poisoned, 1, [Number.NaN, 0, 0, 0]);
    expect(nan).toMatch(/non-finite value NaN at index 0/);

    // every selected node answered: the round closed on the one good update
    const record = coordinator.summary().history[0]!;
    expect(record.used).toEqual([good]);
    expect(record.rejected).toEqual([
      { nodeId: short, reason: wrongLength },
      { nodeId: poisoned, reason: nan },
    ]);
    expect(record.dropped).toEqual([]);
    expect(record.selected).toEqual([...selected].sort());
    expect([...coordinator.summary().global]).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.kind === 'update-rejected').map((e) => e.node)).toEqual([short, poisoned]);
    const rejectedCount = Object.fromEntries(
      coordinator.summary().nodes.map((n) => [n.id, n.updatesRejected]),
    );
    expect(rejectedCount).toEqual({ [good]: 0, [short]: 1, [poisoned]: 1, [outsider]: 0 });
  });

  it("counts a refused update as the node's answer: no second train task, no second try", async () => {
    const { coordinator } = setup({ minNodes: 1, startAfterNodes: 3 });
    await register(coordinator, 'a', 'b', 'c');
    expect((await submit(coordinator, 'a', 1, [Number.NaN, 0, 0, 0])).accepted).toBe(false);
    // a is not handed the round's task again (it would train and spend privacy budget a second time)
    expect((await poll(coordinator, 'a')).task.case).toBe('wait');
    const again = await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    expect(again.accepted).toBe(false);
    expect(again.reason).toMatch(/already/);
    await submit(coordinator, 'b', 1, [2, 2, 2, 2]);
    await submit(coordinator, 'c', 1, [4, 4, 4, 4]);
    const record = coordinator.summary().history[0]!;
    expect(record.used).toEqual(['b', 'c']);
    expect(record.rejected.map((r) => r.nodeId)).toEqual(['a']);
    expect([...coordinator.summary().global]).toEqual([3, 3, 3, 3]);
  });

  it('refuses an update after the deadline even when the timer is late, then closes the round dropping the node', async () => {
    const { coordinator, clock } = setup({ minNodes: 1, startAfterNodes: 2 });
    await register(coordinator, 'a', 'b');
    expect((await submit(coordinator, 'a', 1, [2, 2, 2, 2])).accepted).toBe(true);
    clock.advance(TIMEOUT + 0.5); // past the deadline, before the deadline timer (deadline + 1 ms)
    expect(coordinator.status().phase).toBe('training');
    expect((await poll(coordinator, 'b')).task.case).toBe('wait');
    const late = await submit(coordinator, 'b', 1, [1, 1, 1, 1]);
    expect(late).toMatchObject({ accepted: false, reason: "round 1's deadline has passed" });
    expect(coordinator.summary().history).toHaveLength(0);
    clock.advance(1);
    const record = coordinator.summary().history[0]!;
    expect(record).toMatchObject({ round: 1, used: ['a'], dropped: ['b'], rejected: [], attempts: 1 });
    expect([...coordinator.summary().global]).toEqual([2, 2, 2, 2]);
  });

  it('aggregates without stragglers once the deadline passes with the quorum', async () => {
    const { coordinator, clock, events } = setup({ minNodes: 2, startAfterNodes: 3, rounds: 1 });
    await register(coordinator, 'a', 'b', 'c');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1], { numExamples: 10n, trainLoss: 0.2 });
    await submit(coordinator, 'b', 1, [3, 3, 3, 3], { numExamples: 30n, trainLoss: 0.6 });
    clock.advance(TIMEOUT);
    expect(coordinator.summary().history).toHaveLength(0);
    clock.advance(1);
    const record = coordinator.summary().history[0]!;
    expect(record).toMatchObject({
      round: 1,
      attempts: 1,
      selected: ['a', 'b', 'c'],
      used: ['a', 'b'],
      dropped: ['c'],
      rejected: [],
      seconds: (TIMEOUT + 1) / 1000,
    });
    expect(record.meanTrainLoss).toBeCloseTo(0.4, 12);
    expect(record.updateNorm).toBeCloseTo(4, 6); // ||(2, 2, 2, 2)||
    expect(Object.keys(record.uploadBytes)).toEqual(['a', 'b']);
    // weighted by examples (never more than the node registered: b registered 10, claims 30)
    expect([...coordinator.summary().global]).toEqual([2, 2, 2, 2]);
    expect(events.some((e) => e.kind === 'round-retried')).toBe(false);
    const nodes = Object.fromEntries(coordinator.summary().nodes.map((n) => [n.id, n.roundsParticipated]));
    expect(nodes).toEqual({ a: 1, b: 1, c: 0 });
  });

  it('re-draws a round that missed its quorum, recording the attempts', async () => {
    const { coordinator, clock, events } = setup({ minNodes: 2, startAfterNodes: 3, maxRoundAttempts: 3 });
    await register(coordinator, 'a', 'b', 'c');
    await submit(coordinator, 'a', 1, [5, 5, 5, 5]);
    clock.advance(TIMEOUT + 1);
    expect(events).toContainEqual({ kind: 'round-retried', round: 1, attempt: 1, received: 1 });
    expect(events).toContainEqual({ kind: 'round-started', round: 1, attempt: 2, selected: 3 });
    expect(coordinator.summary().history).toHaveLength(0);
    // a fresh attempt: a is asked again, its first update does not count
    expect(trainTask(await poll(coordinator, 'a')).round).toBe(1);
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [3, 3, 3, 3]);
    clock.advance(TIMEOUT + 1);
    const record = coordinator.summary().history[0]!;
    expect(record).toMatchObject({ round: 1, attempts: 2, used: ['a', 'b'], dropped: ['c'] });
    expect([...coordinator.summary().global]).toEqual([2, 2, 2, 2]);
  });

  it('fails the federation after maxRoundAttempts draws without the quorum, naming it', async () => {
    const { coordinator, clock, events } = setup({ minNodes: 2, startAfterNodes: 3, maxRoundAttempts: 2 });
    await register(coordinator, 'a', 'b', 'c');
    await submit(coordinator, 'a', 1, [5, 5, 5, 5]);
    clock.advance(TIMEOUT + 1);
    await submit(coordinator, 'a', 1, [5, 5, 5, 5]);
    clock.advance(TIMEOUT + 1);
    const summary = await coordinator.finished;
    expect(summary.status).toBe('failed');
    expect(summary.failure).toBe(
      'round 1: 1 usable updates after 2 attempts, the quorum is 2 (deadline passed)',
    );
    expect(summary.roundsCompleted).toBe(0);
    expect(summary.history).toEqual([]);
    expect([...summary.global]).toEqual([0, 0, 0, 0]);
    expect(events.filter((e) => e.kind === 'round-retried')).toHaveLength(2);
    expect(events.at(-1)).toEqual({ kind: 'failed', reason: summary.failure });
    expect(clock.pending).toBe(0);
    const after = await poll(coordinator, 'b');
    expect(after.task).toMatchObject({ case: 'wait', value: { retryAfterMs: 60_000 } });
    expect(waitReason(after)).toBe(`the federation failed: ${summary.failure}`);
    expect(await submit(coordinator, 'b', 1, [1, 1, 1, 1])).toMatchObject({ accepted: false });
  });

  it('does not select a node whose last contact is older than the availability window', async () => {
    const { coordinator, clock } = setup({ minNodes: 2, availabilityWindowMs: 5_000 });
    await register(coordinator, 'stale');
    clock.advance(5_001);
    await register(coordinator, 'b');
    expect(coordinator.status().phase).toBe('waiting'); // only b is available
    expect(waitReason(await poll(coordinator, 'b'))).toBe('waiting for nodes: 1 of 2 registered');
    await register(coordinator, 'c');
    expect(coordinator.status().phase).toBe('training');
    expect(await selectedAmong(coordinator, ['b', 'c'])).toEqual(['b', 'c']);
    expect(waitReason(await poll(coordinator, 'stale'))).toBe('not selected for round 1');
    await submit(coordinator, 'b', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'c', 1, [1, 1, 1, 1]);
    expect(coordinator.summary().history[0]!.selected).toEqual(['b', 'c']);
    // stale polled since: it is available again for round 2
    expect((await selectedAmong(coordinator, ['b', 'c', 'stale'])).sort()).toEqual(['b', 'c', 'stale']);
  });
});

describe('Coordinator: long polls', () => {
  it('answers a held poll with the train task as soon as another registration starts the round', async () => {
    const { coordinator, clock } = setup({ minNodes: 2 });
    await register(coordinator, 'a');
    let answer: GetTaskResponse | undefined;
    const held = poll(coordinator, 'a', 5_000).then((r) => {
      answer = r;
    });
    await flush();
    expect(answer).toBeUndefined();
    await register(coordinator, 'b');
    await held;
    expect(trainTask(answer!).round).toBe(1);
    expect(clock.pending).toBe(1); // the round's deadline; the poll's timer was cancelled
  });

  it('wakes only the held polls of the nodes the new round selected; the others wait out their hold', async () => {
    const { coordinator, clock } = setup({
      minNodes: 2,
      startAfterNodes: 4,
      selection: { kind: 'fraction', fraction: 0.5 },
      roundTimeoutMs: 60_000,
    });
    await register(coordinator, 'a', 'b', 'c');
    const answers = new Map<string, GetTaskResponse>();
    const held = ['a', 'b', 'c'].map((id) =>
      poll(coordinator, id, 5_000).then((r) => {
        answers.set(id, r);
      }),
    );
    await flush();
    expect(answers.size).toBe(0);
    await register(coordinator, 'd'); // round 1 starts: 2 of the 4 nodes
    await flush();
    const selected = await selectedAmong(coordinator, ['a', 'b', 'c', 'd']);
    expect(selected).toHaveLength(2);
    for (const id of ['a', 'b', 'c']) {
      if (selected.includes(id)) expect(trainTask(answers.get(id)!).round).toBe(1);
      else expect(answers.has(id), `${id} was not selected: its poll stays held`).toBe(false);
    }
    clock.advance(5_000);
    await Promise.all(held);
    for (const id of ['a', 'b', 'c'].filter((x) => !selected.includes(x)))
      expect(waitReason(answers.get(id)!)).toBe('not selected for round 1');
  });

  it('answers a held poll with Wait when its time (capped by maxLongPollMs) runs out', async () => {
    const { coordinator, clock } = setup({ minNodes: 2, maxLongPollMs: 2_000 });
    await register(coordinator, 'a');
    let answer: GetTaskResponse | undefined;
    const held = poll(coordinator, 'a', 100_000).then((r) => {
      answer = r;
    });
    clock.advance(1_999);
    await flush();
    expect(answer).toBeUndefined();
    clock.advance(1);
    await held;
    expect(waitReason(answer!)).toBe('waiting for nodes: 1 of 2 registered');
    expect(clock.pending).toBe(0);
  });

  it('answers at once a poll whose own arrival makes the round start', async () => {
    const { coordinator, clock } = setup({ minNodes: 2, availabilityWindowMs: 5_000 });
    await register(coordinator, 'a');
    clock.advance(5_001);
    await register(coordinator, 'b'); // a is stale: 1 of 2 available
    expect(coordinator.status().phase).toBe('waiting');
    // a's poll makes it available again; the round it starts must not wait for the long poll to expire
    const answer = await Promise.race([poll(coordinator, 'a', 10_000), flush().then(() => 'held' as const)]);
    expect(answer).not.toBe('held');
    expect(trainTask(answer as GetTaskResponse).round).toBe(1);
  });
});

describe('Coordinator: leaving', () => {
  it('closes a round without waiting for the deadline when a selected node leaves, and never selects it again', async () => {
    const { coordinator, clock, events } = setup({ minNodes: 2, startAfterNodes: 3, rounds: 2 });
    await register(coordinator, 'a', 'b', 'c');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [1, 1, 1, 1]);
    expect(coordinator.summary().history).toHaveLength(0);
    await leave(coordinator, 'c', 'privacy budget spent');
    expect(events).toContainEqual({ kind: 'left', node: 'c', reason: 'privacy budget spent' });
    expect(coordinator.summary().history[0]).toMatchObject({ round: 1, used: ['a', 'b'] });
    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 2 });
    expect(waitReason(await poll(coordinator, 'c'))).toBe('not selected for round 2');
    expect(await selectedAmong(coordinator, ['a', 'b'])).toEqual(['a', 'b']);
    await submit(coordinator, 'a', 2, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 2, [1, 1, 1, 1]);
    expect(coordinator.summary().history[1]!.selected).toEqual(['a', 'b']);
    expect(coordinator.summary().nodes.find((n) => n.id === 'c')!.left).toBe(true);
    expect(clock.pending).toBe(1); // the evaluation timer only: no stale round deadline left
  });

  it('ends the run early with its last model when too few nodes remain past waitForNodesMs, instead of waiting forever', async () => {
    const { coordinator, clock, events } = setup({ minNodes: 2, rounds: 3, waitForNodesMs: 5_000 });
    await register(coordinator, 'a', 'b');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [3, 3, 3, 3]);
    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 2 });
    // b cannot afford round 2: it leaves; a's update alone misses the quorum, and no node is there to redraw with
    await leave(coordinator, 'b', 'local privacy budget exhausted before round 2');
    await submit(coordinator, 'a', 2, [5, 5, 5, 5]);
    expect(coordinator.status().phase).toBe('waiting');
    clock.advance(4_999);
    expect(coordinator.status().phase).toBe('waiting');
    clock.advance(2);
    const summary = await coordinator.finished;
    expect(summary.status).toBe('finished');
    expect(summary.roundsCompleted).toBe(1);
    expect(summary.failure).toBe(
      'ended early after 1 of 3 rounds: round 2 needs 2 available nodes, 1 is available (1 left the federation) ' +
        'and none joined within 5000 ms',
    );
    expect(Array.from(summary.global)).toEqual([2, 2, 2, 2]); // round 1's model, not round 2's lone update
    expect(events.at(-1)).toEqual({ kind: 'finished', rounds: 1, reason: summary.failure });
    expect((await poll(coordinator, 'a')).task.case).toBe('finished');
    expect(clock.pending).toBe(0);
  });

  it('goes on when a node joins within waitForNodesMs, and waits for registrations before round 1 without a deadline', async () => {
    const { coordinator, clock } = setup({ minNodes: 2, rounds: 2, waitForNodesMs: 5_000 });
    await register(coordinator, 'a');
    clock.advance(20_000); // before round 1: no deadline
    expect(coordinator.status().phase).toBe('waiting');
    await register(coordinator, 'b');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await leave(coordinator, 'b', 'gone'); // round 1 misses its quorum; too few nodes to redraw: the deadline is armed
    expect(coordinator.status().phase).toBe('waiting');
    expect(clock.pending).toBe(1);
    clock.advance(4_000);
    await register(coordinator, 'c');
    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 1 });
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'c', 1, [1, 1, 1, 1]);
    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 2 });
    expect(clock.pending).toBe(1); // the round's deadline only: the wait's was cancelled
  });

  it('fails the run, the round discarded, when the privacy budget never answers the charge', async () => {
    const hanging: PrivacyBudget = {
      epsilon: 10,
      delta: 1e-5,
      accountant: 'rdp',
      events: async () => [],
      charge: () => new Promise<number>(() => {}), // a ledger server that hangs
    };
    const strategy = withServerDp(fedAvg(), {
      noiseMultiplier: 1,
      clipping: { kind: 'fixed', clipNorm: 1 },
      expectedNodesPerRound: 2,
      sampling: { kind: 'fixed-size' },
    });
    const { coordinator, clock } = setup({ minNodes: 2, rounds: 2, strategy, budget: hanging });
    await register(coordinator, 'a', 'b');
    await submit(coordinator, 'a', 1, [0.1, 0, 0, 0]);
    await submit(coordinator, 'b', 1, [0, 0.1, 0, 0]);
    expect(coordinator.status().phase).toBe('charging');
    clock.advance(TIMEOUT);
    const summary = await coordinator.finished;
    expect(summary.status).toBe('failed');
    expect(summary.failure).toBe(
      `round 1: the privacy budget did not answer the charge within ${TIMEOUT} ms (the round was discarded)`,
    );
    expect(summary.roundsCompleted).toBe(0);
    expect(Array.from(summary.global)).toEqual([0, 0, 0, 0]);
  });

  it('expels a node (its certificate was revoked) as if it had left: the round closes without it', async () => {
    const { coordinator, events } = setup({ minNodes: 2, startAfterNodes: 3, rounds: 2, evaluateEvery: 0 });
    await register(coordinator, 'a', 'b', 'c');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [1, 1, 1, 1]);
    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 1 });
    expect(coordinator.expel('c', 'its certificate was revoked')).toBe(true);
    expect(coordinator.expel('c', 'again')).toBe(false);
    expect(coordinator.expel('nobody', 'unknown')).toBe(false);
    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 2 });
    expect(events).toContainEqual({ kind: 'left', node: 'c', reason: 'its certificate was revoked' });
    const r = await poll(coordinator, 'c');
    expect(r.task.case).not.toBe('train');
  });

  it("answers an expelled node's held poll at once, and never hands it the final model", async () => {
    const { coordinator } = setup({ minNodes: 2, startAfterNodes: 3, rounds: 1, evaluateEvery: 0 });
    await register(coordinator, 'a', 'b', 'c');
    await submit(coordinator, 'c', 1, [1, 1, 1, 1]);
    let answer: GetTaskResponse | undefined;
    const held = poll(coordinator, 'c', 60_000).then((r) => {
      answer = r;
    });
    await flush();
    expect(answer).toBeUndefined(); // c answered its round: its poll is held
    coordinator.expel('c', 'its certificate was revoked');
    await held;
    expect(answer!.task.case).toBe('wait');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [1, 1, 1, 1]);
    for (const id of ['a', 'b'])
      await evaluation(coordinator, id, { round: 1, numExamples: 10n, accuracy: 0.5, loss: 1 });
    expect(coordinator.status().phase).toBe('done');
    expect((await poll(coordinator, 'a')).task.case).toBe('finished');
    const late = await poll(coordinator, 'c');
    expect(late.task.case).toBe('wait');
    expect(waitReason(late)).toMatch(/finished without this node/);
  });

  it('closes an evaluation when the last node it waits for leaves', async () => {
    const { coordinator } = setup({ minNodes: 2, rounds: 1 });
    await register(coordinator, 'a', 'b');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [1, 1, 1, 1]);
    expect(coordinator.status().phase).toBe('evaluating');
    await evaluation(coordinator, 'a', { round: 1, numExamples: 10n, accuracy: 0.5, loss: 1 });
    await leave(coordinator, 'b');
    const summary = await coordinator.finished;
    expect(summary.status).toBe('finished');
    expect(summary.finalEvaluation).toEqual({ nodes: 1, examples: 10, accuracy: 0.5, loss: 1 });
  });
});

describe('Coordinator: evaluation and the end', () => {
  it('asks every node to evaluate, refuses bad results, records the weighted mean and finishes with the final model', async () => {
    const { coordinator, clock, events } = setup({ minNodes: 2, rounds: 2, evaluateEvery: 1 });
    await register(coordinator, 'a', 'b');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [3, 3, 3, 3]);
    expect(coordinator.status()).toMatchObject({ phase: 'evaluating', round: 1 });
    for (const id of ['a', 'b']) {
      const r = await poll(coordinator, id);
      if (r.task.case !== 'evaluate') throw new Error(`expected evaluate, got ${r.task.case}`);
      expect(r.task.value.round).toBe(1);
      expect([...decodeParameters(r.task.value.global, 4, 'evaluate')]).toEqual([2, 2, 2, 2]);
    }
    const answer = (init: MessageInitShape<typeof SubmitEvaluationRequestSchema>) =>
      evaluation(coordinator, 'a', { round: 1, numExamples: 10n, accuracy: 0.5, loss: 1, ...init });
    const refused = async (init: MessageInitShape<typeof SubmitEvaluationRequestSchema>) => {
      const r = await answer(init);
      return r.accepted ? '' : r.reason;
    };
    // each refusal says why (a node logs it)
    expect(await refused({ accuracy: 1.5 })).toBe('accuracy must be in [0, 1], got 1.5');
    expect(await refused({ accuracy: -0.1 })).toBe('accuracy must be in [0, 1], got -0.1');
    expect(await refused({ loss: Number.NaN })).toBe('loss must be finite, got NaN');
    expect(await refused({ loss: Number.POSITIVE_INFINITY })).toBe('loss must be finite, got Infinity');
    expect(await refused({ round: 2 })).toBe('the open evaluation is of round 1, not round 2');
    expect(await submit(coordinator, 'a', 1, [1, 1, 1, 1])).toMatchObject({ accepted: false });
    expect(coordinator.status().phase).toBe('evaluating');

    expect(await answer({ accuracy: 0.8, loss: 0.4, numExamples: 10n })).toMatchObject({
      accepted: true,
      reason: '',
    });
    expect(await refused({ accuracy: 0.1, loss: 9 })).toBe('a already answered the evaluation of round 1'); // a second answer
    expect((await poll(coordinator, 'a')).task.case).toBe('wait');
    expect(
      (await evaluation(coordinator, 'b', { round: 1, numExamples: 30n, accuracy: 0.5, loss: 1 })).accepted,
    ).toBe(true);
    const first = coordinator.summary().history[0]!.evaluation!;
    expect(first.nodes).toBe(2);
    expect(first.examples).toBe(40);
    expect(first.accuracy).toBeCloseTo((0.8 * 10 + 0.5 * 30) / 40, 12);
    expect(first.loss).toBeCloseTo((0.4 * 10 + 1 * 30) / 40, 12);
    expect(events).toContainEqual({ kind: 'evaluated', round: 1, evaluation: first });

    expect(coordinator.status()).toMatchObject({ phase: 'training', round: 2 });
    await submit(coordinator, 'a', 2, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 2, [1, 1, 1, 1]);
    await evaluation(coordinator, 'a', { round: 2, numExamples: 10n, accuracy: 0.9, loss: 0.2 });
    // b never answers: the evaluation timer closes it with a's result alone
    clock.advance(TIMEOUT);
    const summary = await coordinator.finished;
    expect(summary.status).toBe('finished');
    expect(summary.roundsCompleted).toBe(2);
    expect([...summary.global]).toEqual([3, 3, 3, 3]);
    expect(summary.finalEvaluation).toEqual({ nodes: 1, examples: 10, accuracy: 0.9, loss: 0.2 });
    expect(summary.central).toBeNull();
    expect(events.at(-1)).toEqual({ kind: 'finished', rounds: 2 });
    for (const id of ['a', 'b']) {
      const r = await poll(coordinator, id, 5_000);
      if (r.task.case !== 'finished') throw new Error(`expected finished, got ${r.task.case}`);
      expect(r.task.value.rounds).toBe(2);
      expect([...decodeParameters(r.task.value.global, 4, 'final')]).toEqual([3, 3, 3, 3]);
    }
    expect(clock.pending).toBe(0);
  });

  it('counts a node that declines to release its metrics (numExamples 0) as answered, with no result', async () => {
    const { coordinator } = setup({ minNodes: 2, rounds: 2, evaluateEvery: 1 });
    await register(coordinator, 'a', 'b');
    await submit(coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(coordinator, 'b', 1, [3, 3, 3, 3]);
    await poll(coordinator, 'a');
    await poll(coordinator, 'b');
    const declined = await evaluation(coordinator, 'a', { round: 1, numExamples: 0n, accuracy: 0, loss: 0 });
    expect(declined.accepted).toBe(true);
    expect(coordinator.status().phase).toBe('evaluating');
    // no second answer after declining
    const late = await evaluation(coordinator, 'a', { round: 1, numExamples: 5n, accuracy: 0.9, loss: 0.1 });
    expect(late).toMatchObject({ accepted: false, reason: 'a was not asked to evaluate round 1' });
    await evaluation(coordinator, 'b', { round: 1, numExamples: 30n, accuracy: 0.5, loss: 1 });
    const record = coordinator.summary().history[0]!.evaluation!;
    expect(record).toMatchObject({ nodes: 1, examples: 30, accuracy: 0.5 });
  });

  it('evaluates only every k-th round and after the last one', async () => {
    const { coordinator } = setup({ minNodes: 1, rounds: 3, evaluateEvery: 2 });
    await register(coordinator, 'a');
    const phases: string[] = [];
    for (const round of [1, 2, 3]) {
      await submit(coordinator, 'a', round, [1, 1, 1, 1]);
      phases.push(coordinator.status().phase);
      if (coordinator.status().phase === 'evaluating')
        await evaluation(coordinator, 'a', { round, numExamples: 10n, accuracy: 0.5, loss: 1 });
    }
    expect(phases).toEqual(['training', 'evaluating', 'evaluating']);
    expect(coordinator.summary().history.map((h) => h.evaluation !== null)).toEqual([false, true, true]);
  });

  it('stop() answers held polls, cancels timers and settles the run as failed', async () => {
    const { coordinator, clock } = setup({ minNodes: 2, startAfterNodes: 3 });
    await register(coordinator, 'a', 'b');
    const held = poll(coordinator, 'a', 5_000);
    coordinator.stop('operator stopped it');
    expect(waitReason(await held)).toBe('the federation failed: operator stopped it');
    const summary = await coordinator.finished;
    expect(summary).toMatchObject({ status: 'failed', failure: 'operator stopped it', roundsCompleted: 0 });
    expect(clock.pending).toBe(0);
  });
});

describe('Coordinator: checkpoints', () => {
  const dirs: string[] = [];
  const tempFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-coordinator-'));
    dirs.push(dir);
    return join(dir, 'checkpoint.json');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a valid checkpoint after every round, before the next round is handed out', async () => {
    const path = tempFile();
    const { coordinator, events } = setup({ minNodes: 1, rounds: 3, checkpoint: fileCheckpointStore(path) });
    await register(coordinator, 'a');
    expect(existsSync(path)).toBe(false);
    await submit(coordinator, 'a', 1, [1, 2, 3, 4]);
    const first = fileCheckpointStore(path).load()!;
    expect(first).toMatchObject({ version: 1, configSha256: 'config-a', roundsCompleted: 1 });
    expect([...first.global]).toEqual([1, 2, 3, 4]);
    expect(first.nodes).toHaveLength(1);
    expect(first.history).toHaveLength(1);
    await submit(coordinator, 'a', 2, [1, 1, 1, 1]);
    const second = fileCheckpointStore(path).load()!;
    expect(second.roundsCompleted).toBe(2);
    expect([...second.global]).toEqual([2, 3, 4, 5]);
    const kinds = events.map((e) => (e.kind === 'checkpoint' ? `checkpoint ${e.round}` : e.kind));
    expect(kinds.indexOf('checkpoint 1')).toBeGreaterThan(-1);
    expect(kinds.indexOf('checkpoint 1')).toBeLessThan(
      events.findIndex((e) => e.kind === 'round-started' && e.round === 2),
    );
  });

  it('resumes after the last completed round with the node registry and the history', async () => {
    const path = tempFile();
    const first = setup({ minNodes: 1, rounds: 3, checkpoint: fileCheckpointStore(path) });
    await register(first.coordinator, 'a');
    await submit(first.coordinator, 'a', 1, [1, 1, 1, 1]);
    await submit(first.coordinator, 'a', 2, [1, 1, 1, 1]);
    first.coordinator.stop('crash');

    const resumed = setup({ minNodes: 1, rounds: 3, checkpoint: fileCheckpointStore(path), resume: true });
    const c = resumed.coordinator;
    expect(resumed.events[0]).toEqual({ kind: 'resumed', roundsCompleted: 2 });
    expect(c.status()).toEqual({ phase: 'waiting', round: 2, registered: 1 });
    expect([...c.globalModel()]).toEqual([2, 2, 2, 2]);
    expect(c.summary().history.map((h) => h.round)).toEqual([1, 2]);
    expect(c.summary().nodes[0]).toMatchObject({ id: 'a', roundsParticipated: 2 });
    expect(c.summary().resumedFrom).toBe(2);
    // a is known without registering again, and round 3 comes next
    expect(trainTask(await poll(c, 'a')).round).toBe(3);
    await submit(c, 'a', 3, [1, 1, 1, 1]);
    await evaluation(c, 'a', { round: 3, numExamples: 10n, accuracy: 1, loss: 0 });
    const summary = await c.finished;
    expect(summary).toMatchObject({ status: 'finished', roundsCompleted: 3, resumedFrom: 2 });
    expect([...summary.global]).toEqual([3, 3, 3, 3]);
    expect(summary.history.map((h) => h.round)).toEqual([1, 2, 3]);
    expect(fileCheckpointStore(path).load()!.roundsCompleted).toBe(3);
  });

  it('finishes at once when resuming a checkpoint of a completed federation', async () => {
    const path = tempFile();
    const first = setup({ minNodes: 1, rounds: 1, checkpoint: fileCheckpointStore(path) });
    await register(first.coordinator, 'a');
    await submit(first.coordinator, 'a', 1, [1, 1, 1, 1]);
    const again = setup({ minNodes: 1, rounds: 1, checkpoint: fileCheckpointStore(path), resume: true });
    expect((await again.coordinator.finished).status).toBe('finished');
    expect((await poll(again.coordinator, 'a')).task.case).toBe('finished');
  });

  it('refuses to resume with another configuration, naming the checkpoint hash', async () => {
    const path = tempFile();
    const first = setup({ minNodes: 1, rounds: 3, checkpoint: fileCheckpointStore(path) });
    await register(first.coordinator, 'a');
    await submit(first.coordinator, 'a', 1, [1, 1, 1, 1]);
    const error = (() => {
      try {
        setup({
          minNodes: 1,
          rounds: 3,
          checkpoint: fileCheckpointStore(path),
          resume: true,
          configSha256: 'config-b',
        });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('SHA-256 config-a');
    expect((error as ConfigError).issues[0]).toMatchObject({ path: 'configuration', value: 'config-b' });
    expect(() =>
      setup({
        minNodes: 1,
        rounds: 3,
        checkpoint: fileCheckpointStore(path),
        resume: true,
        initialGlobal: new Float32Array(5),
      }),
    ).toThrow(/checkpoint.global: must be 5 parameters, got 4/);
  });

  it('refuses resume: true when there is no checkpoint', () => {
    expect(() => setup({ checkpoint: fileCheckpointStore(tempFile()), resume: true })).toThrow(ConfigError);
    expect(() => setup({ checkpoint: fileCheckpointStore(tempFile()), resume: true })).toThrow(
      /resume: must be a checkpoint to resume from \(none was found\)/,
    );
  });

  it('refuses a corrupt checkpoint with an IntegrityError and leaves the file as it was', () => {
    const path = tempFile();
    writeFileSync(path, '{"version":1,"roundsCompl');
    expect(() => setup({ checkpoint: fileCheckpointStore(path), resume: true })).toThrow(IntegrityError);
    expect(readFileSync(path, 'utf8')).toBe('{"version":1,"roundsCompl');
    writeFileSync(path, JSON.stringify({ version: 1, roundsCompleted: 2, configSha256: 'config-a' }));
    expect(() => setup({ checkpoint: fileCheckpointStore(path), resume: true })).toThrow(
      /is missing the model, the round or the configuration hash/,
    );
  });
});
