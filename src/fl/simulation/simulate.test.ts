import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { createDataset, parseModelSpec, SequentialModel } from '../../ml/index.js';
import { trainModel } from '../../train/index.js';
import { parseFederation } from '../config/index.js';
import { memoryCheckpointStore } from '../coordinator/index.js';
import { loadFederatedData, parseSimulationData } from './data.js';
import { simulate } from './simulate.js';

const hospitals = (n: number) =>
  loadFederatedData(parseSimulationData({ kind: 'hospitals' }), n, seededRng(1));
const train = { localEpochs: 1, batchSize: 32, learningRate: 0.5 };

describe('simulate', () => {
  it('trains across three non-IID hospitals to within 2 points of centralised training on the pooled data', async () => {
    const data = hospitals(3);
    const r = await simulate({
      federation: parseFederation({ rounds: 10, minNodes: 3, train }),
      data,
      seed: 1,
    });
    // centralised: the same model, the union of the nodes' training sets, as many passes over the data
    const pooled = createDataset({
      features: Float32Array.from(data.nodes.flatMap((n) => [...n.train.features])),
      labels: Int32Array.from(data.nodes.flatMap((n) => [...n.train.labels])),
      featureShape: data.test.featureShape,
      numClasses: 2,
    });
    const central = trainModel({
      model: new SequentialModel(parseModelSpec('logreg', 2), [5], 2, seededRng(2)),
      train: pooled,
      test: data.test,
      epochs: 10,
      batchSize: 32,
      optimizer: { kind: 'sgd', learningRate: 0.5 },
      privacy: { kind: 'non-private' },
      rng: seededRng(3),
    });
    expect(r.coordinator.status).toBe('finished');
    expect(r.coordinator.roundsCompleted).toBe(10);
    expect(Math.abs(r.testAccuracy - central.finalTestAccuracy!)).toBeLessThan(0.02);
    expect(r.testAccuracy).toBeGreaterThan(0.8);
    // every node finished with the final model, evaluated it, and its bytes per round are counted
    expect(r.nodes.map((n) => n.status)).toEqual(['finished', 'finished', 'finished']);
    expect(r.nodes.every((n) => n.finalGlobal!.every((v, i) => v === r.coordinator.global[i]))).toBe(true);
    expect(r.coordinator.finalEvaluation!.nodes).toBe(3);
    expect(r.bytes).toHaveLength(30);
    expect(r.bytes.every((b) => b.received >= r.parameters * 4 && b.sent >= r.parameters * 4)).toBe(true);
    expect(r.private).toBe(false);
  });

  it('is reproducible with a seed', async () => {
    const data = hospitals(3);
    const fed = parseFederation({
      rounds: 3,
      minNodes: 3,
      train,
      selection: { kind: 'fraction', fraction: 0.7 },
    });
    const a = await simulate({ federation: fed, data, seed: 9 });
    const b = await simulate({ federation: fed, data, seed: 9 });
    expect([...b.coordinator.global]).toEqual([...a.coordinator.global]);
    expect(b.coordinator.history.map((h) => h.selected)).toEqual(
      a.coordinator.history.map((h) => h.selected),
    );
  });

  it('resumes from a checkpoint to the same model and the same central privacy spend, charging no round twice', async () => {
    const data = hospitals(6);
    const fed = parseFederation({
      rounds: 6,
      minNodes: 3,
      population: 6,
      train,
      selection: { kind: 'poisson', rate: 0.7 },
      strategy: { kind: 'fedadam', serverLearningRate: 0.05 },
      centralDp: {
        noiseMultiplier: 0.8,
        clipping: { kind: 'adaptive', initialClipNorm: 1, countNoise: 0.5 },
      },
    });
    const whole = await simulate({ federation: fed, data, seed: 4, checkpoint: memoryCheckpointStore() });
    const store = memoryCheckpointStore();
    const first = await simulate({ federation: fed, data, seed: 4, checkpoint: store, stopAfterRound: 3 });
    expect(first.coordinator.status).toBe('failed');
    expect(first.coordinator.roundsCompleted).toBe(3);
    const resumed = await simulate({ federation: fed, data, seed: 4, checkpoint: store, resume: true });
    expect(resumed.coordinator.resumedFrom).toBe(3);
    expect(resumed.coordinator.roundsCompleted).toBe(6);
    expect([...resumed.coordinator.global]).toEqual([...whole.coordinator.global]);
    expect(resumed.coordinator.central!.events).toHaveLength(6);
    expect(resumed.coordinator.central!.events).toEqual(whole.coordinator.central!.events);
    expect(resumed.coordinator.central!.epsilonRdp).toBe(whole.coordinator.central!.epsilonRdp);
    expect(whole.coordinator.central!.events[0]!.kind).toBe('poisson-sampled');
  });

  it('under local DP, nodes keep their loss and evaluation metrics unless told to release them', async () => {
    const federation = parseFederation({ rounds: 2, minNodes: 3, train, evaluateEvery: 1 });
    const localPrivacy = { kind: 'dp', epsilon: 5, delta: 1e-5 } as const;
    const kept = await simulate({ federation, data: hospitals(3), seed: 5, localPrivacy });
    for (const h of kept.coordinator.history) {
      expect(h.meanTrainLoss).toBeNull();
      expect(h.evaluation).toBeNull();
    }
    // the nodes still evaluated, for their own records
    expect(kept.nodes.every((n) => n.lastEvaluation !== null)).toBe(true);
    const released = await simulate({
      federation,
      data: hospitals(3),
      seed: 5,
      localPrivacy,
      releaseMetrics: true,
    });
    expect(released.coordinator.history[1]!.meanTrainLoss).toBeGreaterThan(0);
    expect(released.coordinator.history[1]!.evaluation!.nodes).toBe(3);
  });

  it('under central DP, nodes without local DP withhold their unnoised metrics by default', async () => {
    // Review finding: releaseMetrics defaulted to true unless the node itself used local DP, so the unnoised
    // training loss and evaluation reached the coordinator (and its output) beside the central epsilon.
    const federation = parseFederation({
      rounds: 2,
      minNodes: 3,
      population: 3,
      train,
      evaluateEvery: 1,
      centralDp: { noiseMultiplier: 1, clipping: { kind: 'fixed', clipNorm: 1 } },
    });
    const kept = await simulate({ federation, data: hospitals(3), seed: 5 });
    expect(kept.coordinator.central).not.toBeNull();
    for (const h of kept.coordinator.history) {
      expect(h.meanTrainLoss).toBeNull();
      expect(h.evaluation).toBeNull();
    }
    const released = await simulate({ federation, data: hospitals(3), seed: 5, releaseMetrics: true });
    expect(released.coordinator.history[1]!.meanTrainLoss).toBeGreaterThan(0);
  });

  it('a robust aggregator holds against 20% sign-flipping nodes while FedAvg degrades', async () => {
    const data = hospitals(10);
    const run = async (aggregator: Record<string, unknown>, attack?: 'sign-flip' | 'random' | 'nan') =>
      (
        await simulate({
          federation: parseFederation({ rounds: 8, minNodes: 5, train, strategy: { aggregator } }),
          data,
          seed: 3,
          ...(attack ? { byzantine: { fraction: 0.2, attack } } : {}),
        })
      ).testAccuracy;
    const clean = await run({ kind: 'mean' });
    const fedAvgFlipped = await run({ kind: 'mean' }, 'sign-flip');
    const medianFlipped = await run({ kind: 'median' }, 'sign-flip');
    const trimmedRandom = await run({ kind: 'trimmed-mean', beta: 0.2 }, 'random');
    expect(fedAvgFlipped).toBeLessThan(clean - 0.1);
    expect(medianFlipped).toBeGreaterThan(clean - 0.03);
    expect(trimmedRandom).toBeGreaterThan(clean - 0.03);
  });

  it('refuses NaN updates with the reason recorded', async () => {
    const r = await simulate({
      federation: parseFederation({ rounds: 2, minNodes: 3, train }),
      data: hospitals(5),
      seed: 3,
      byzantine: { fraction: 0.4, attack: 'nan' },
    });
    expect(r.byzantineNodes).toHaveLength(2);
    const rejected = r.coordinator.history[0]!.rejected;
    expect(rejected.map((x) => x.nodeId).sort()).toEqual(r.byzantineNodes);
    expect(rejected[0]!.reason).toMatch(/non-finite value NaN at index 0/);
    expect(r.coordinator.history[0]!.used).toHaveLength(3);
  });

  it('local DP: every node stays within its own budget and leaves when it is spent', async () => {
    const r = await simulate({
      federation: parseFederation({ rounds: 4, minNodes: 2, train }),
      data: hospitals(3),
      seed: 5,
      localPrivacy: { kind: 'dp', epsilon: 2, delta: 1e-5, plannedRounds: 2, maxGradNorm: 1 },
    });
    // calibrated for 2 rounds, so a third would overspend: every node leaves before round 3
    for (const n of r.nodes) {
      expect(n.status).toBe('left');
      expect(n.reason).toMatch(/local privacy budget exhausted before round 3/);
      expect(n.roundsTrained).toBe(2);
      expect(n.localPrivacy!.epsilonSpent).toBeLessThanOrEqual(2);
      expect(n.localPrivacy!.epsilonSpent).toBeGreaterThan(1.9);
    }
    expect(r.coordinator.status).toBe('failed');
    expect(r.coordinator.failure).toMatch(/every node left the federation/);
    expect(r.coordinator.roundsCompleted).toBe(2);
  });

  it('8-bit quantised updates are a quarter of the dense bytes, and train as well', async () => {
    const data = hospitals(3);
    const run = (compression: Record<string, unknown>) =>
      simulate({
        federation: parseFederation({
          model: 'mlp:32',
          rounds: 5,
          minNodes: 3,
          train: { ...train, compression },
        }),
        data,
        seed: 2,
      });
    const dense = await run({ kind: 'none' });
    const q8 = await run({ kind: 'quantization', bits: 8 });
    const topK = await run({ kind: 'top-k', fraction: 0.1 });
    const upload = (r: typeof dense) => r.bytes.reduce((s, b) => s + b.sent, 0) / r.bytes.length;
    expect(upload(q8)).toBeLessThan(upload(dense) / 3.5);
    expect(upload(topK)).toBeLessThan(upload(dense) / 4);
    expect(q8.testAccuracy).toBeGreaterThan(dense.testAccuracy - 0.02);
  });
});
