import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import { dpSgdEvent } from '../../accounting/index.js';
import { ConfigError, ProtocolError, seededRng } from '../../core/index.js';
import { createDataset, type Dataset, SequentialModel } from '../../ml/index.js';
import { trainModel } from '../../train/index.js';
import {
  type CoordinatorHandler,
  createInMemoryClient,
  GetTaskResponseSchema,
  LeaveResponseSchema,
  RegisterResponseSchema,
  type SecAggSetup,
  SecAggSetupSchema,
  SubmitEvaluationResponseSchema,
  SubmitSecAggResponseSchema,
  type SubmitUpdateRequest,
  SubmitUpdateResponseSchema,
  TrainConfigSchema,
  type TrainTask,
} from '../../transport/index.js';
import { epsilonSpent, memoryBudget } from '../budget.js';
import { federationModel, parseFederation } from '../config/index.js';
import {
  Coordinator,
  type CoordinatorEvent,
  type CoordinatorOptions,
  type LocalTrainingSpec,
} from '../coordinator/index.js';
import {
  decodeDelta,
  decodeParameters,
  encodeParameters,
  flattenParams,
  loadParams,
} from '../protocol/index.js';
import { fedAvg } from '../strategies/index.js';
import { FederatedNode } from './node.js';
import type { NodeOptions } from './options.js';
import type { NodeEvent } from './records.js';

const TRAIN: LocalTrainingSpec = {
  localEpochs: 1,
  batchSize: 8,
  learningRate: 0.5,
  momentum: 0,
  compression: { kind: 'none' },
  localLayers: [],
};

/** n examples of `featureShape`, labelled by the sign of their first feature. */
function dataset(n: number, seed: string, featureShape = [3], numClasses = 2): Dataset {
  const size = featureShape.reduce((a, b) => a * b, 1);
  const features = new Float32Array(n * size);
  seededRng(seed).fillNormal(features);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = features[i * size]! > 0 ? 1 : 0;
  return createDataset({ features, labels, featureShape, numClasses });
}

const coordinators: Coordinator[] = [];
afterEach(() => {
  for (const c of coordinators.splice(0)) c.stop('test over');
});

/** A coordinator for a model over [3] features and 2 classes, on the system clock (tests never wait on it). */
function coordinatorFor(modelText: string, options: Partial<CoordinatorOptions> = {}) {
  const { model, spec } = federationModel(parseFederation({ model: modelText }), [3], 2);
  const initialGlobal = flattenParams(new SequentialModel(spec, [3], 2, seededRng('init')).params);
  const events: CoordinatorEvent[] = [];
  const coordinator = new Coordinator({
    model,
    initialGlobal,
    rounds: 1,
    minNodes: 1,
    selection: { kind: 'fraction', fraction: 1 },
    train: TRAIN,
    strategy: fedAvg(),
    roundTimeoutMs: 60_000,
    configSha256: 'node-test',
    rng: (purpose) => seededRng(`coordinator/${purpose}`),
    onEvent: (e) => events.push(e),
    ...options,
  });
  coordinators.push(coordinator);
  return { coordinator, model, spec, initialGlobal, events };
}

function makeNode(
  handler: CoordinatorHandler,
  name: string,
  train: Dataset,
  extra: Partial<NodeOptions> = {},
) {
  const events: NodeEvent[] = [];
  const node = new FederatedNode({
    client: createInMemoryClient(handler, { id: name, fingerprint: `sim:${name}` }),
    name,
    train,
    privacy: { kind: 'non-private' },
    rng: (purpose) => seededRng(`${name}/${purpose}`),
    pollWaitMs: 1_000,
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { node, events };
}

/** A handler that forwards every call to `target()`, chosen at call time. */
function forwarding(target: () => CoordinatorHandler): CoordinatorHandler {
  return {
    register: (r, p) => target().register(r, p),
    getTask: (r, p) => target().getTask(r, p),
    submitUpdate: (r, p) => target().submitUpdate(r, p),
    submitEvaluation: (r, p) => target().submitEvaluation(r, p),
    leave: (r, p) => target().leave(r, p),
    submitSecAgg: (r, p) => target().submitSecAgg(r, p),
  };
}

/**
 * A scripted coordinator for one node over [3] features, 2 classes: it registers the node with `modelSpec` and
 * answers GetTask with each round of `rounds` in turn (a training task under the secure aggregation setup that
 * `setup` makes from the node's registered signing key), then `finished`. Advertisements are recorded and
 * refused (the node then drops the round's state).
 */
function scriptedCoordinator(options: {
  readonly modelSpec?: string;
  readonly inputShape?: readonly number[];
  readonly rounds?: readonly { readonly round: number; readonly setup: (own: Uint8Array) => SecAggSetup }[];
}) {
  const { model, spec } = federationModel(parseFederation({ model: 'logreg' }), [3], 2);
  const global = flattenParams(new SequentialModel(spec, [3], 2, seededRng('init')).params);
  const advertised: { session: string; encryptionKey: Uint8Array; maskKey: Uint8Array }[] = [];
  let own: Uint8Array = new Uint8Array(0);
  let next = 0;
  const handler: CoordinatorHandler = {
    async register(r) {
      own = r.secaggSigningKey;
      return create(RegisterResponseSchema, {
        accepted: true,
        modelSpecJson: options.modelSpec ?? model.specJson,
        inputShape: [...(options.inputShape ?? [3])],
        numClasses: 2,
        rounds: 1,
      });
    },
    async getTask() {
      const r = options.rounds?.[next++];
      if (!r) {
        return create(GetTaskResponseSchema, {
          task: { case: 'finished', value: { rounds: 1, global: encodeParameters(global) } },
        });
      }
      return create(GetTaskResponseSchema, {
        task: {
          case: 'train',
          value: {
            round: r.round,
            global: encodeParameters(global),
            config: create(TrainConfigSchema, {
              localEpochs: 1,
              batchSize: 8,
              learningRate: 0.5,
              compression: { kind: { case: 'none', value: {} } },
            }),
            secagg: r.setup(own),
          },
        },
      });
    },
    async submitUpdate() {
      return create(SubmitUpdateResponseSchema, { accepted: true });
    },
    async submitEvaluation() {
      return create(SubmitEvaluationResponseSchema, { accepted: true });
    },
    async leave() {
      return create(LeaveResponseSchema, {});
    },
    async submitSecAgg(r) {
      if (r.message.case === 'advertise') {
        advertised.push({
          session: r.session,
          encryptionKey: r.message.value.encryptionKey,
          maskKey: r.message.value.maskKey,
        });
      }
      return create(SubmitSecAggResponseSchema, { accepted: false, reason: 'recorded' });
    },
  };
  return { handler, advertised };
}

/** A SecAgg setup naming the node (by its signing key) and `others` more peers with random keys. */
function setupFor(
  own: Uint8Array,
  fields: Partial<
    Pick<SecAggSetup, 'session' | 'protocol' | 'threshold' | 'degree' | 'fractionalBits' | 'clipNorm'>
  > & { readonly others?: number } = {},
) {
  const { others = 2, ...rest } = fields;
  return create(SecAggSetupSchema, {
    session: 'session-1',
    protocol: 'secagg',
    threshold: 2,
    degree: 0,
    fractionalBits: 20,
    clipNorm: 1,
    noiseSigma: 0,
    peers: [
      { node: 'me', signingKey: own },
      ...Array.from({ length: others }, (_, i) => {
        const signingKey = new Uint8Array(32);
        seededRng(`peer-${i}`).fillBytes(signingKey);
        return { node: `peer-${i}`, signingKey };
      }),
    ],
    ...rest,
  });
}

describe('FederatedNode', () => {
  it('a node that requires secure aggregation never sends a plain update', async () => {
    const { coordinator, events } = coordinatorFor('logreg', { roundTimeoutMs: 300, maxRoundAttempts: 1 });
    const stop = new AbortController();
    const { node, events: nodeEvents } = makeNode(coordinator, 'careful', dataset(16, 'careful'), {
      requireSecureAggregation: {},
      signal: stop.signal,
    });
    const run = node.run();
    const summary = await coordinator.finished;
    expect(summary.status).toBe('failed');
    expect(summary.failure).toMatch(/0 usable updates/);
    expect(nodeEvents).toContainEqual({
      kind: 'secagg-refused',
      round: 1,
      reason: 'this node requires secure aggregation and the round asks for a plain update',
    });
    expect(nodeEvents.some((e) => e.kind === 'trained')).toBe(false);
    expect(events.some((e) => e.kind === 'update-rejected')).toBe(false);
    stop.abort();
    await run.catch(() => undefined);
  });

  it('refuses a federation whose input shape or class count differs from its data', async () => {
    const { coordinator } = coordinatorFor('logreg', { minNodes: 5 });
    const wide = makeNode(coordinator, 'wide', dataset(8, 'wide', [4]));
    const shapeError = await wide.node.run().catch((e: unknown) => e);
    expect(shapeError).toBeInstanceOf(ConfigError);
    expect((shapeError as ConfigError).message).toMatch(/^invalid node "wide": train\.featureShape: /);
    expect((shapeError as ConfigError).issues).toEqual([
      {
        path: 'train.featureShape',
        value: "[4] (this node's data)",
        allowed: "the federation's input shape [3]",
      },
    ]);
    const threeClasses = makeNode(coordinator, 'three', dataset(8, 'three', [3], 3));
    const classError = await threeClasses.node.run().catch((e: unknown) => e);
    expect(classError).toBeInstanceOf(ConfigError);
    expect((classError as ConfigError).issues).toEqual([
      { path: 'train.numClasses', value: 3, allowed: "the federation's 2 classes" },
    ]);
    expect(wide.events).toEqual([]);
    expect(threeClasses.events).toEqual([]);
  });

  it('stops with a ProtocolError carrying the reason when the coordinator refuses its pinned model hash', async () => {
    const { coordinator, model, events } = coordinatorFor('logreg');
    const pin = '00'.repeat(32);
    const { node } = makeNode(coordinator, 'pinned', dataset(8, 'pinned'), { expectedModelSha256: pin });
    const error = await node.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toBe(
      `the coordinator refused node "pinned": the node expects model spec ${pin}, the federation trains ${model.specSha256}`,
    );
    expect(events).toEqual([{ kind: 'refused', node: 'pinned', reason: expect.stringContaining(pin) }]);
    expect(coordinator.status().registered).toBe(0);
  });

  it('registers again and carries on when a restarted coordinator has forgotten it', async () => {
    const first = coordinatorFor('logreg', { minNodes: 2 });
    const second = coordinatorFor('logreg', { rounds: 2 });
    let current: CoordinatorHandler = first.coordinator;
    const calls: string[] = [];
    const handler = forwarding(() => current);
    const proxy: CoordinatorHandler = {
      ...handler,
      async register(r, p) {
        calls.push('register');
        const answer = await handler.register(r, p);
        current = second.coordinator; // the coordinator restarts, its registry lost
        return answer;
      },
      async getTask(r, p) {
        calls.push('getTask');
        return handler.getTask(r, p);
      },
    };
    const { node, events } = makeNode(proxy, 'n', dataset(16, 'n'), {
      expectedModelSha256: second.model.specSha256,
    });
    const summary = await node.run();
    expect(calls.slice(0, 4)).toEqual(['register', 'getTask', 'register', 'getTask']);
    expect(summary.status).toBe('finished');
    expect(summary.roundsTrained).toBe(2);
    expect(summary.updatesAccepted).toBe(2);
    const final = await second.coordinator.finished;
    expect(final.status).toBe('finished');
    expect(final.nodes.map((n) => [n.id, n.roundsParticipated])).toEqual([['n', 2]]);
    expect([...summary.finalGlobal!]).toEqual([...final.global]);
    expect(first.coordinator.status()).toEqual({ phase: 'waiting', round: 0, registered: 1 });
    // the model is built once; re-registering is not a transport failure to retry
    expect(events.filter((e) => e.kind === 'registered')).toHaveLength(1);
    expect(events.some((e) => e.kind === 'retrying')).toBe(false);
  });

  it('FedPer: sends zeros for its personal layer and keeps that layer across global models', async () => {
    const localLayers = [1]; // the first dense layer of flatten → dense(4) → relu → dense(2)
    const { coordinator, spec, initialGlobal } = coordinatorFor('mlp:4', {
      rounds: 2,
      train: { ...TRAIN, localLayers },
    });
    const data = dataset(32, 'fedper');
    const size = initialGlobal.length;
    const updates: SubmitUpdateRequest[] = [];
    const tasks: TrainTask[] = [];
    const proxy: CoordinatorHandler = {
      ...forwarding(() => coordinator),
      async getTask(r, p) {
        const answer = await coordinator.getTask(r, p);
        if (answer.task.case === 'train') tasks.push(answer.task.value);
        return answer;
      },
      submitUpdate(r, p) {
        updates.push(r);
        return coordinator.submitUpdate(r, p);
      },
    };
    const { node } = makeNode(proxy, 'fedper', data);
    const summary = await node.run();
    expect(summary.status).toBe('finished');
    expect(tasks.map((t) => t.round)).toEqual([1, 2]);
    expect(updates.map((u) => u.round)).toEqual([1, 2]);

    // where the personal layer sits in the flat parameter vector
    const reference = new SequentialModel(spec, [3], 2, seededRng('reference'));
    const lengths = reference.layers.map((l) => l.params.reduce((s, p) => s + p.value.length, 0));
    const from = lengths.slice(0, 1).reduce((a, b) => a + b, 0);
    const to = from + lengths[1]!;
    expect(to - from).toBe(16); // 3 x 4 weights + 4 biases
    const personal = (v: Float32Array) => [...v.subarray(from, to)];
    const shared = (v: Float32Array) => [...v.subarray(0, from), ...v.subarray(to)];

    const sent = updates.map((u) => decodeDelta(u.update, size));
    for (const delta of sent) {
      expect(personal(delta).every((x) => x === 0)).toBe(true);
      expect(shared(delta).some((x) => x !== 0)).toBe(true);
    }
    const final = await coordinator.finished;
    expect(personal(final.global)).toEqual(personal(initialGlobal));
    expect(shared(final.global)).not.toEqual(shared(initialGlobal));

    // Oracle: the node's round-2 update is what training from (round-2 global, with the node's own trained
    // personal layer) gives, and not what training from the round-2 global alone gives.
    const localTrain = (start: Float32Array, round: number) => {
      const model = new SequentialModel(spec, [3], 2, seededRng('oracle'));
      loadParams(model.params, start);
      trainModel({
        model,
        train: data,
        epochs: TRAIN.localEpochs,
        batchSize: TRAIN.batchSize,
        optimizer: { kind: 'sgd', learningRate: TRAIN.learningRate, momentum: TRAIN.momentum },
        privacy: { kind: 'non-private' },
        rng: seededRng(`fedper/round/${round}/train`),
      });
      return flattenParams(model.params);
    };
    const maskedDelta = (local: Float32Array, global: Float32Array) => {
      const delta = new Float32Array(size);
      for (let i = 0; i < size; i++) delta[i] = i >= from && i < to ? 0 : local[i]! - global[i]!;
      return delta;
    };
    const global1 = decodeParameters(tasks[0]!.global, size, 'round 1');
    const global2 = decodeParameters(tasks[1]!.global, size, 'round 2');
    const local1 = localTrain(global1, 1);
    expect([...sent[0]!]).toEqual([...maskedDelta(local1, global1)]);
    const kept = Float32Array.from(global2);
    kept.set(local1.subarray(from, to), from);
    expect(personal(kept)).not.toEqual(personal(global2));
    expect([...sent[1]!]).toEqual([...maskedDelta(localTrain(kept, 2), global2)]);
    expect([...sent[1]!]).not.toEqual([...maskedDelta(localTrain(global2, 2), global2)]);
  });

  it('a restarted node remembers its local-DP spends and leaves when the next round would exceed its budget', async () => {
    const data = dataset(32, 'dp');
    // the event of one round: q = 8/32, 4 steps per epoch, sigma 1
    const round = dpSgdEvent({ sampleRate: 0.25, noiseMultiplier: 1, steps: 4 });
    const one = epsilonSpent([round], 1e-5, 'rdp');
    const epsilon = (one + epsilonSpent([round, round], 1e-5, 'rdp')) / 2; // pays for one round, not two
    const privacy = { kind: 'dp', epsilon, delta: 1e-5, noiseMultiplier: 1, publicSize: 32 } as const;
    // the budget outlives the node, as a ledger account does (jobs/federation/budget.test.ts: over a real file)
    const budget = memoryBudget(epsilon, 1e-5);

    const first = coordinatorFor('logreg');
    const before = makeNode(first.coordinator, 'h', data, { privacy, budget });
    const done = await before.node.run();
    expect(done.status).toBe('finished');
    expect(done.localPrivacy!.epsilonSpent).toBeCloseTo(one, 10);
    expect(done.localPrivacy!.events).toEqual([round]);

    const second = coordinatorFor('logreg');
    const after = makeNode(second.coordinator, 'h', data, { privacy, budget });
    const left = await after.node.run();
    expect(left.status).toBe('left');
    expect(left.reason).toMatch(/^local privacy budget exhausted before round 1: /);
    expect(left.roundsTrained).toBe(0);
    expect(left.localPrivacy!.epsilonSpent).toBeCloseTo(one, 10); // the refused round charged nothing
    expect(second.events).toContainEqual({ kind: 'left', node: 'h', reason: left.reason });
    expect(after.events.map((e) => e.kind)).toEqual(['registered', 'left']);
    expect(await budget.events()).toHaveLength(1);
  });

  it('a round drawn again gets the same noised update, charged once; an update never sent is never charged', async () => {
    // a plain coordinator that hands out round 1 twice (a redrawn attempt, the same global model), then round 2
    const { model, spec } = federationModel(parseFederation({ model: 'logreg' }), [3], 2);
    const global = flattenParams(new SequentialModel(spec, [3], 2, seededRng('init')).params);
    const submitted: SubmitUpdateRequest[] = [];
    const rounds = [1, 1, 2];
    let next = 0;
    const config = create(TrainConfigSchema, {
      localEpochs: 1,
      batchSize: 8,
      learningRate: 0.5,
      compression: { kind: { case: 'none', value: {} } },
    });
    const handler: CoordinatorHandler = {
      register: async () =>
        create(RegisterResponseSchema, {
          accepted: true,
          modelSpecJson: model.specJson,
          inputShape: [3],
          numClasses: 2,
          rounds: 2,
        }),
      getTask: async () => {
        const round = rounds[next++];
        return create(GetTaskResponseSchema, {
          task:
            round === undefined
              ? { case: 'finished', value: { rounds: 2, global: encodeParameters(global) } }
              : { case: 'train', value: { round, global: encodeParameters(global), config } },
        });
      },
      submitUpdate: async (r) => {
        submitted.push(r);
        return create(SubmitUpdateResponseSchema, { accepted: true });
      },
      submitEvaluation: async () => create(SubmitEvaluationResponseSchema, { accepted: true }),
      leave: async () => create(LeaveResponseSchema, {}),
      submitSecAgg: async () => create(SubmitSecAggResponseSchema, { accepted: false }),
    };
    const privacy = { kind: 'dp', epsilon: 4, delta: 1e-5, noiseMultiplier: 1.5, publicSize: 32 } as const;
    const budget = memoryBudget(4, 1e-5);
    const summary = await makeNode(handler, 'h', dataset(32, 'dp'), { privacy, budget }).node.run();
    expect(summary.status).toBe('finished');
    expect(submitted.map((r) => r.round)).toEqual([1, 1, 2]);
    // the redrawn round 1 got the very same noised update: post-processing of one release, paid once
    const bytes = (r: SubmitUpdateRequest) => decodeDelta(r.update, global.length);
    expect(bytes(submitted[1]!)).toEqual(bytes(submitted[0]!));
    expect(bytes(submitted[2]!)).not.toEqual(bytes(submitted[0]!));
    const round = dpSgdEvent({ sampleRate: 0.25, noiseMultiplier: 1.5, steps: 4 });
    expect(await budget.events()).toEqual([round, round]);
    expect(summary.roundsTrained).toBe(2);
    expect(submitted[1]!.localEpsilon).toBe(submitted[0]!.localEpsilon);

    // secure aggregation: the advertisement is refused, so the masked update never leaves: nothing is owed
    const secure = scriptedCoordinator({ rounds: [{ round: 1, setup: (own) => setupFor(own) }] });
    const unsent = memoryBudget(4, 1e-5);
    const s = await makeNode(secure.handler, 'h', dataset(32, 'dp'), { privacy, budget: unsent }).node.run();
    expect(s.status).toBe('finished');
    expect(secure.advertised).toHaveLength(1);
    expect(await unsent.events()).toEqual([]);
  });

  it('a restarted node keeps the noise of its persisted spends instead of recalibrating', async () => {
    const data = dataset(32, 'dp');
    // a budget calibrated over 4 planned rounds; the federation has 2 rounds per run
    const privacy = { kind: 'dp', epsilon: 2, delta: 1e-5, plannedRounds: 4, publicSize: 32 } as const;
    const budget = memoryBudget(2, 1e-5);
    const first = coordinatorFor('logreg', { rounds: 2 });
    const a = await makeNode(first.coordinator, 'h', data, {
      privacy,
      budget,
    }).node.run();
    expect(a.status).toBe('finished');
    const sigma = a.localPrivacy!.noiseMultiplier;
    // restarted with a plan edited to the 2 rounds left: calibrating afresh would aim the whole budget at them
    // (less noise, and the node would leave at once); the noise of the spends already made is kept instead
    const second = coordinatorFor('logreg', { rounds: 2 });
    const b = await makeNode(second.coordinator, 'h', data, {
      privacy: { ...privacy, plannedRounds: 2 },
      budget,
    }).node.run();
    expect(b.status).toBe('finished');
    expect(b.localPrivacy!.noiseMultiplier).toBe(sigma);
    expect(b.localPrivacy!.events).toHaveLength(4);
    expect(b.localPrivacy!.epsilonSpent).toBeLessThanOrEqual(2);
    expect(b.localPrivacy!.epsilonSpent).toBeGreaterThan(1.9);
  });

  it('a seeded node draws fresh secure-aggregation secrets for each session of a round (a retried attempt)', async () => {
    const { handler, advertised } = scriptedCoordinator({
      rounds: [
        { round: 1, setup: (own) => setupFor(own, { session: 'round-1/attempt-1' }) },
        { round: 1, setup: (own) => setupFor(own, { session: 'round-1/attempt-2' }) },
      ],
    });
    const { node, events } = makeNode(handler, 'seeded', dataset(16, 'seeded'));
    const summary = await node.run();
    expect(summary.status).toBe('finished');
    expect(events.some((e) => e.kind === 'secagg-refused')).toBe(false);
    expect(advertised.map((a) => a.session)).toEqual(['round-1/attempt-1', 'round-1/attempt-2']);
    // the same seeded rng, the same round: the keys (and so the self-mask seed and shares drawn after them from
    // the same stream) must still differ, or a server could combine what each attempt released
    expect(advertised[1]!.encryptionKey).not.toEqual(advertised[0]!.encryptionKey);
    expect(advertised[1]!.maskKey).not.toEqual(advertised[0]!.maskKey);
  });

  it('sits a round out, without training, when the threshold is not a majority of its neighbourhood', async () => {
    // 4 peers, t = 2: two groups of 2 shown different survivor lists would give a coordinator both of a node's
    // secrets. Refused even without requireSecureAggregation. A 3-peer SecAgg+ setup of degree 2 with t = 2 is
    // fine (2 of 3), and a 2-peer roster is refused whatever t.
    const { handler, advertised } = scriptedCoordinator({
      rounds: [
        { round: 1, setup: (own) => setupFor(own, { session: 'low', others: 3, threshold: 2 }) },
        { round: 1, setup: (own) => setupFor(own, { session: 'pair', others: 1, threshold: 2 }) },
        {
          round: 1,
          setup: (own) =>
            setupFor(own, { session: 'plus', protocol: 'secagg+', others: 9, threshold: 2, degree: 4 }),
        },
        { round: 1, setup: (own) => setupFor(own, { session: 'ok', others: 3, threshold: 3 }) },
      ],
    });
    const { node, events } = makeNode(handler, 'majority', dataset(16, 'majority'));
    const summary = await node.run();
    expect(summary.status).toBe('finished');
    const refused = events.filter((e) => e.kind === 'secagg-refused');
    expect(refused).toEqual([
      {
        kind: 'secagg-refused',
        round: 1,
        reason:
          "invalid secure aggregation setup: the threshold 2 is not a majority of the 4 clients of the neighbourhood (at least 3 needed, or a server showing two survivor lists could unmask one client's input); sitting the round out",
      },
      {
        kind: 'secagg-refused',
        round: 1,
        reason:
          'invalid secure aggregation setup: 2 clients in the neighbourhood, fewer than the minimum 3; sitting the round out',
      },
      {
        kind: 'secagg-refused',
        round: 1,
        reason: expect.stringMatching(
          /the threshold 2 is not a majority of the 5 clients of the neighbourhood/,
        ),
      },
    ]);
    // only the last setup (t = 3 of 4) was trained for and advertised
    expect(advertised.map((a) => a.session)).toEqual(['ok']);
    expect(events.filter((e) => e.kind === 'trained')).toHaveLength(1);
  });

  it('a bad secure-aggregation setup makes the node sit the round out instead of stopping', async () => {
    const bad: [string, (own: Uint8Array) => SecAggSetup, RegExp][] = [
      ['protocol', (own) => setupFor(own, { session: 'p', protocol: 'secagg-9000' }), /unknown protocol/],
      ['threshold', (own) => setupFor(own, { session: 't', threshold: 1 }), /threshold/],
      ['degree', (own) => setupFor(own, { session: 'd', protocol: 'secagg+', degree: 3 }), /graph/],
      ['bits', (own) => setupFor(own, { session: 'b', fractionalBits: 30, clipNorm: 4 }), /could wrap/],
      ['clip', (own) => setupFor(own, { session: 'c', clipNorm: 0 }), /clip norm/],
      ['missing', () => setupFor(new Uint8Array(32), { session: 'm' }), /another signing key/],
    ];
    const { handler, advertised } = scriptedCoordinator({
      rounds: bad.map(([, setup], i) => ({ round: i + 1, setup })),
    });
    const { node, events } = makeNode(handler, 'steady', dataset(16, 'steady'));
    const summary = await node.run();
    expect(summary.status).toBe('finished');
    expect(advertised).toEqual([]);
    expect(events.some((e) => e.kind === 'trained')).toBe(false);
    const refused = events.filter((e) => e.kind === 'secagg-refused');
    expect(refused.map((e) => e.round)).toEqual([1, 2, 3, 4, 5, 6]);
    bad.forEach(([what, , reason], i) => {
      expect(refused[i], what).toMatchObject({ reason: expect.stringMatching(reason) });
    });
  });

  it("refuses the coordinator's model spec over the size caps before allocating it", async () => {
    // 3 x 100,000 + 100,000^2 + ... parameters: far above MAX_MODEL_PARAMETERS (50 million)
    const wide = scriptedCoordinator({ modelSpec: 'mlp:100000,100000' });
    const a = makeNode(wide.handler, 'wide', dataset(8, 'wide'));
    const error = await a.node.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(
      /^node "wide" refuses the coordinator's model spec: .*model\.layers\[3\] \(dense\).*at most 50000000 parameters/,
    );
    expect(a.events).toEqual([]);
    // a layer whose output per example is above MAX_LAYER_OUTPUT (2^24): 64 x 64 x 8192 values
    const image = scriptedCoordinator({
      inputShape: [64, 64, 1],
      modelSpec: JSON.stringify({
        layers: [
          { type: 'conv2d', filters: 8192, kernelSize: 1, padding: 'same' },
          { type: 'flatten' },
          { type: 'dense', units: 1 },
        ],
        loss: 'binary-cross-entropy',
      }),
    });
    const b = makeNode(image.handler, 'image', dataset(4, 'image', [64, 64, 1]));
    const imageError = await b.node.run().catch((e: unknown) => e);
    expect(imageError).toBeInstanceOf(ProtocolError);
    expect((imageError as ProtocolError).message).toMatch(
      /model\.layers\[0\] \(conv2d\) must be at most 16777216 outputs per example .*got "33554432 outputs per example"/,
    );
  });
});
