import { describe, expect, it } from 'vitest';
import { csprng, seededRng } from '../core/index.js';
import { parseModelSpec, SequentialModel, Tensor } from '../ml/index.js';
import { plannedEvents } from './plan.js';
import { poissonSample } from './sampling.js';
import { evaluateModel, type TrainingData, type TrainOptions, trainModel } from './trainer.js';

/** A small separable task: label = [x0 + x1 > 0]. */
function toyData(n: number, seed: number, width = 4): TrainingData {
  const rng = seededRng(seed);
  const features = new Float32Array(n * width);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) features[i * width + j] = rng.normal();
    labels[i] = features[i * width]! + features[i * width + 1]! > 0 ? 1 : 0;
  }
  return { features, labels, numExamples: n, featureShape: [width] };
}

const model = (spec = 'mlp:8:tanh', width = 4) =>
  new SequentialModel(parseModelSpec(spec, 2), [width], 2, seededRng(3));
const snapshot = (m: SequentialModel) => m.params.map((p) => Float32Array.from(p.value));

describe('trainModel', () => {
  it('with noise 0 and no clipping equals plain SGD on the same Poisson batches, step for step', () => {
    const data = toyData(60, 1);
    const dpModel = model();
    const plainModel = model();
    const q = 10 / 60;
    const lr = 0.3;
    const dpSteps: Float32Array[][] = [];
    trainModel({
      model: dpModel,
      train: data,
      publicSize: data.numExamples,
      epochs: 1,
      batchSize: 10,
      optimizer: { kind: 'sgd', learningRate: lr },
      privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 0 },
      clipping: { kind: 'none' },
      rng: seededRng(5),
      onProgress: () => dpSteps.push(snapshot(dpModel)),
    });
    // the reference: the same Poisson samples (same seed), summed gradients / expected batch size, p -= lr g
    const rng = seededRng(5);
    const params = plainModel.params;
    for (let step = 0; step < dpSteps.length; step++) {
      const idx = poissonSample(60, q, rng);
      const x = new Float32Array(idx.length * 4);
      const y = new Int32Array(idx.length);
      idx.forEach((src, i) => {
        x.set(data.features.subarray(src * 4, src * 4 + 4), i * 4);
        y[i] = data.labels[src]!;
      });
      const sums = params.map((p) => new Float32Array(p.value.length));
      if (idx.length > 0)
        plainModel
          .lossAndGradients(new Tensor([idx.length, 4], x), y)
          .grads.forEach((g, i) => g.accumulate(null, sums[i]!));
      params.forEach((p, i) => {
        for (let j = 0; j < p.value.length; j++) p.value[j]! -= lr * (sums[i]![j]! / (q * 60));
      });
      params.forEach((p, i) => {
        for (let j = 0; j < p.value.length; j++) expect(dpSteps[step]![i]![j]).toBeCloseTo(p.value[j]!, 5);
      });
    }
    expect(dpSteps.length).toBe(6);
  });

  it('is reproducible with a seeded generator, and then marked not private', () => {
    const run = () => {
      const m = model();
      const r = trainModel({
        model: m,
        train: toyData(80, 2),
        publicSize: 80,
        epochs: 2,
        batchSize: 16,
        optimizer: { kind: 'adam', learningRate: 0.01 },
        privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 1 },
        rng: seededRng(9),
      });
      return { params: snapshot(m), r };
    };
    const a = run();
    const b = run();
    expect(a.params).toEqual(b.params);
    expect(a.r.private).toBe(false);
    expect(a.r.epsilon!.rdp).toBeGreaterThan(0);
  });

  it('adds noise with exactly the standard deviation the accountant is told (sigma * C)', () => {
    // The first step with expected batch size 1 (q N = 1) on zeroed parameters: the update is -(noise + the
    // clipped gradient of the ~1 sampled example); that gradient (norm <= C) is negligible next to noise of norm
    // sigma * C * sqrt(5,300) ~ 124 C: it moves the measured variance by < 0.1%.
    const width = 50;
    const m = new SequentialModel(parseModelSpec('mlp:100', 2), [width], 2, seededRng(4));
    for (const p of m.params) p.value.fill(0);
    const C = 2;
    const sigma = 1.7;
    let first: Float32Array[] | null = null;
    const r = trainModel({
      model: m,
      train: toyData(100, 3, width),
      publicSize: 100,
      epochs: 1,
      batchSize: 1,
      optimizer: { kind: 'sgd', learningRate: 1 },
      privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: sigma },
      clipping: { kind: 'flat', maxGradNorm: C },
      rng: seededRng(8),
      onProgress: () => {
        first ??= snapshot(m);
      },
    });
    const event = r.events[0] as {
      kind: 'self-composed';
      event: { event: { sigma: number; l2Sensitivity: number } };
    };
    const told = event.event.event.sigma / event.event.event.l2Sensitivity;
    let sumSq = 0;
    let count = 0;
    for (const p of first!) {
      for (const v of p) {
        sumSq += v * v; // noise = -update, q N = 1, lr = 1
        count++;
      }
    }
    const std = Math.sqrt(sumSq / count);
    // ~5,300 coordinates: the sample std has relative SE ~1%; allow 5 SE (false alarm < 1e-6)
    expect(count).toBeGreaterThan(5000);
    expect(told).toBe(sigma);
    expect(Math.abs(std / C / told - 1)).toBeLessThan(0.05);
  });

  it('gives the same update whatever the physical chunk size (virtual steps)', () => {
    const go = (maxPhysicalBatch: number) => {
      const m = model();
      trainModel({
        model: m,
        train: toyData(64, 5),
        publicSize: 64,
        epochs: 1,
        batchSize: 32,
        optimizer: { kind: 'sgd', learningRate: 0.1 },
        privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 0.5 },
        rng: seededRng(2),
        maxPhysicalBatch,
      });
      return snapshot(m);
    };
    const big = go(1000);
    const small = go(3);
    big.forEach((p, i) => p.forEach((v, j) => expect(small[i]![j]).toBeCloseTo(v, 5)));
  });

  it('calibrates the noise to a target epsilon and spends at most it', () => {
    const r = trainModel({
      model: model(),
      train: toyData(200, 6),
      publicSize: 200,
      epochs: 3,
      batchSize: 20,
      optimizer: { kind: 'sgd', learningRate: 0.1 },
      privacy: { kind: 'dp', delta: 1e-5, targetEpsilon: 2 },
      rng: csprng(),
    });
    expect(r.private).toBe(true);
    expect(r.stepsRun).toBe(30);
    expect(r.epsilon!.rdp).toBeLessThanOrEqual(2);
    expect(r.epsilon!.rdp).toBeGreaterThan(1.99);
    expect(r.epsilon!.pld).toBeLessThan(r.epsilon!.rdp);
  });

  it('stops before the step that would exceed the budget, and says so', () => {
    const r = trainModel({
      model: model(),
      train: toyData(100, 7),
      publicSize: 100,
      epochs: 10,
      batchSize: 50,
      optimizer: { kind: 'sgd', learningRate: 0.1 },
      privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 1, targetEpsilon: 1.5 },
      rng: csprng(),
    });
    expect(r.stoppedEarly).not.toBeNull();
    expect(r.stoppedEarly!.reason).toMatch(/would exceed the privacy budget epsilon = 1.5/);
    expect(r.stepsRun).toBeLessThan(r.stepsPlanned);
    expect(r.epsilon!.rdp).toBeLessThanOrEqual(1.5);
  });

  it('per-layer clipping bounds every layer update by its share of C', () => {
    const m = model('mlp:8:tanh');
    const before = snapshot(m);
    const C = 0.01;
    trainModel({
      model: m,
      train: toyData(4, 8),
      publicSize: 4,
      epochs: 1,
      batchSize: 4,
      optimizer: { kind: 'sgd', learningRate: 1 },
      privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 0 },
      clipping: { kind: 'per-layer', maxGradNorm: C },
      rng: seededRng(1),
    });
    // q = 1: the update of a layer is (sum of 4 clipped gradients) / 4, norm <= C / sqrt(2 layers)
    const layerNorm = (indices: number[]) =>
      Math.sqrt(
        indices.reduce(
          (s, i) => s + m.params[i]!.value.reduce((t, v, j) => t + (v - before[i]![j]!) ** 2, 0),
          0,
        ),
      );
    expect(layerNorm([0, 1])).toBeLessThanOrEqual((C / Math.SQRT2) * (1 + 1e-5));
    expect(layerNorm([2, 3])).toBeLessThanOrEqual((C / Math.SQRT2) * (1 + 1e-5));
    expect(layerNorm([0, 1])).toBeGreaterThan(0);
  });

  it('adaptive clipping moves the threshold towards the target quantile', () => {
    const r = trainModel({
      model: model(),
      train: toyData(400, 9),
      publicSize: 400,
      epochs: 3,
      batchSize: 100,
      optimizer: { kind: 'sgd', learningRate: 0.05 },
      privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 1 },
      clipping: { kind: 'adaptive', initialMaxGradNorm: 100, targetQuantile: 0.5, learningRate: 0.5 },
      rng: seededRng(3),
    });
    expect(r.epochs[r.epochs.length - 1]!.maxGradNorm!).toBeLessThan(100 / 5);
    expect(r.gradientNoiseMultiplier!).toBeGreaterThan(1); // the count release costs some gradient noise
  });

  it('trains without privacy on the same engine', () => {
    const data = toyData(400, 10);
    const trained = model();
    const r = trainModel({
      model: trained,
      train: data,
      publicSize: data.numExamples,
      test: toyData(200, 11),
      epochs: 5,
      batchSize: 32,
      optimizer: { kind: 'sgd', learningRate: 0.5 },
      privacy: { kind: 'non-private' },
      rng: seededRng(1),
    });
    expect(r.finalTestAccuracy!).toBeGreaterThan(0.9);
    const m = evaluateModel(trained, toyData(200, 11));
    expect(m.accuracy).toBe(r.finalTestAccuracy);
    expect(m.loss).toBeGreaterThan(0);
    expect(m.loss).toBeLessThan(Math.log(2));
    expect(r.epsilon).toBeNull();
    expect(r.events[0]!.kind).toBe('non-private');
  });

  it("FedProx's proximal term pulls the weights towards the anchor, and mu = 0 changes nothing", () => {
    const data = toyData(200, 12);
    const run = (proximal?: TrainOptions['proximal']) => {
      const m = model();
      const anchor = snapshot(m);
      trainModel({
        model: m,
        train: data,
        publicSize: data.numExamples,
        epochs: 3,
        batchSize: 20,
        optimizer: { kind: 'sgd', learningRate: 0.3 },
        privacy: { kind: 'non-private' },
        rng: seededRng(4),
        ...(proximal ? { proximal: { mu: proximal.mu, anchor } } : {}),
      });
      return {
        moved: Math.hypot(...m.params.flatMap((p, i) => [...p.value].map((v, j) => v - anchor[i]![j]!))),
        m,
      };
    };
    const free = run();
    const zero = run({ mu: 0, anchor: [] });
    const prox = run({ mu: 2, anchor: [] });
    expect(snapshot(zero.m)).toEqual(snapshot(free.m));
    expect(prox.moved).toBeLessThan(0.7 * free.moved);
    expect(prox.moved).toBeGreaterThan(0);
    expect(() =>
      trainModel({
        model: model(),
        train: data,
        publicSize: data.numExamples,
        epochs: 1,
        batchSize: 20,
        optimizer: { kind: 'sgd', learningRate: 0.3 },
        privacy: { kind: 'non-private' },
        rng: seededRng(4),
        proximal: { mu: 1, anchor: [new Float32Array(3)] },
      }),
    ).toThrow(/proximal.anchor must be one vector per model parameter/);
  });

  it('refuses bad options before training', () => {
    const base: TrainOptions = {
      model: model(),
      train: toyData(10, 1),
      publicSize: 10,
      epochs: 1,
      batchSize: 5,
      optimizer: { kind: 'sgd', learningRate: 0.1 },
      privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 1 },
      rng: seededRng(1),
    };
    expect(() => trainModel({ ...base, privacy: { kind: 'dp', delta: 1e-5, targetEpsilon: 0 } })).toThrow(
      /targetEpsilon must be a finite number > 0/,
    );
    expect(() => trainModel({ ...base, privacy: { kind: 'dp', delta: 1, noiseMultiplier: 1 } })).toThrow(
      /delta must be a number in \(0, 1\)/,
    );
    expect(() => trainModel({ ...base, privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: -1 } })).toThrow(
      /noiseMultiplier/,
    );
    expect(() => trainModel({ ...base, batchSize: 11, privacy: { kind: 'non-private' } })).toThrow(
      /batchSize must be at most the number of training examples/,
    );
    expect(() => trainModel({ ...base, batchSize: 11 })).toThrow(/publicSize must be an integer >= 11/);
    expect(() => trainModel({ ...base, clipping: { kind: 'none' } })).toThrow(/clipping/);
    expect(() => trainModel({ ...base, optimizer: { kind: 'sgd', learningRate: 0 } })).toThrow(
      /learningRate/,
    );
  });

  it('a private run takes q and its steps from the public size, never from the actual count', () => {
    // Review finding: q = B / n and the step count depended on the actual n, which was also printed, so the
    // add/remove claim did not hold. Now a private run needs a public size and nothing depends on n.
    const base: TrainOptions = {
      model: model(),
      train: toyData(10, 1),
      epochs: 2,
      batchSize: 5,
      optimizer: { kind: 'sgd', learningRate: 0.1 },
      privacy: { kind: 'dp', delta: 1e-5, noiseMultiplier: 1 },
      rng: seededRng(1),
    };
    expect(() => trainModel(base)).toThrow(/publicSize/);
    const a = trainModel({ ...base, publicSize: 40 });
    const b = trainModel({ ...base, model: model(), train: toyData(13, 2), publicSize: 40 });
    for (const r of [a, b]) {
      expect(r.sampleRate).toBe(5 / 40);
      expect(r.stepsRun).toBe(2 * 8);
    }
    expect(a.events).toEqual(b.events); // the same events (and epsilon) for 10 or 13 actual records
    expect(a.epsilon!.rdp).toBe(b.epsilon!.rdp);
    expect(plannedEvents({ ...base, publicSize: 40 }).events).toEqual(a.events);
    expect(() => plannedEvents(base)).toThrow(/publicSize/);
  });
});
