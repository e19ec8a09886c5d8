/**
 * The oracle for DP-SGD's per-example algebra (as Opacus tests its grad samplers): for every layer type, each
 * example's gradient norm, and weighted (clipped) sums of the examples' gradients, from one batched backward
 * pass must equal a loop of batch-size-1 backward passes (relative error <= 1e-4 in float32).
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { Tensor } from '../tensor.js';
import { SequentialModel } from './sequential.js';
import { type ModelSpec, parseModelSpec } from './spec.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));

function maxRelError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-12);
}

function check(
  spec: ModelSpec,
  inputShape: number[],
  classes: number,
  makeInput: (n: number) => Float32Array,
): void {
  const rng = seededRng(11);
  const model = new SequentialModel(spec, inputShape, classes, rng);
  const batch = 5;
  const perExample = inputShape.reduce((a, b) => a * b, 1);
  const xData = makeInput(batch * perExample);
  const labels = Int32Array.from(
    { length: batch },
    (_, i) => i % (spec.loss === 'binary-cross-entropy' ? 2 : classes),
  );
  const x = new Tensor([batch, ...inputShape], xData);
  const params = model.params;

  // batched
  const { grads } = model.lossAndGradients(x, labels);
  expect(grads.length).toBe(params.length);
  const norms = new Float64Array(batch);
  for (const g of grads) g.addSquaredNorms(norms);
  const clip = 0.5;
  const weights = Float32Array.from(norms, (n) => Math.min(1, clip / Math.sqrt(n)));
  const clipped = params.map((p) => new Float32Array(p.value.length));
  grads.forEach((g, i) => g.accumulate(weights, clipped[i]!));
  const plain = params.map((p) => new Float32Array(p.value.length));
  grads.forEach((g, i) => g.accumulate(null, plain[i]!));

  // loop of batch-size-1 passes
  const loopNorms = new Float64Array(batch);
  const loopClipped = params.map((p) => new Float32Array(p.value.length));
  const loopPlain = params.map((p) => new Float32Array(p.value.length));
  for (let b = 0; b < batch; b++) {
    const xb = new Tensor([1, ...inputShape], xData.slice(b * perExample, (b + 1) * perExample));
    const one = model.lossAndGradients(xb, labels.slice(b, b + 1));
    const gb = params.map((p) => new Float32Array(p.value.length));
    one.grads.forEach((g, i) => g.accumulate(null, gb[i]!));
    let sq = 0;
    for (const g of gb) for (const v of g) sq += v * v;
    loopNorms[b] = sq;
    const w = Math.min(1, clip / Math.sqrt(sq));
    gb.forEach((g, i) => {
      for (let j = 0; j < g.length; j++) {
        loopClipped[i]![j]! += w * g[j]!;
        loopPlain[i]![j]! += g[j]!;
      }
    });
  }
  for (let b = 0; b < batch; b++)
    expect(rel(Math.sqrt(norms[b]!), Math.sqrt(loopNorms[b]!))).toBeLessThan(1e-4);
  params.forEach((p, i) => {
    expect(maxRelError(clipped[i]!, loopClipped[i]!), `clipped ${p.name} of param ${i}`).toBeLessThan(1e-4);
    expect(maxRelError(plain[i]!, loopPlain[i]!), `plain ${p.name} of param ${i}`).toBeLessThan(1e-4);
  });
  // some examples were actually clipped, so the test exercises clipping
  expect(Array.from(weights).some((w) => w < 1)).toBe(true);
}

const gaussian = (seed: number) => (n: number) => {
  const r = seededRng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};

describe('per-example gradients = loop of batch-size-1 passes', () => {
  it('logistic regression (binary cross-entropy)', () => {
    check(parseModelSpec('logreg', 2), [7], 2, gaussian(1));
  });

  it('MLP with relu, tanh and sigmoid (softmax cross-entropy)', () => {
    check(parseModelSpec('mlp:6,5:tanh', 3), [4], 3, gaussian(2));
    check(parseModelSpec('mlp:6:relu', 3), [4], 3, gaussian(3));
    check(parseModelSpec('mlp:6:sigmoid', 3), [4], 3, gaussian(4));
  });

  it('the Papernot CNN (conv, same/valid padding, stride, max-pool, tanh, dense)', () => {
    check(parseModelSpec('cnn:papernot', 10), [28, 28, 1], 10, gaussian(5));
  });

  it('conv with avg-pool, tempered sigmoid, layer norm and group norm', () => {
    const spec = parseModelSpec(
      JSON.stringify({
        layers: [
          { type: 'conv2d', filters: 4, kernelSize: 3, strides: 1, padding: 'same' },
          { type: 'groupNorm', groups: 2 },
          {
            type: 'activation',
            activation: { type: 'temperedSigmoid', scale: 2, inverseTemperature: 2, offset: 1 },
          },
          { type: 'avgPool2d', poolSize: 2 },
          { type: 'conv2d', filters: 3, kernelSize: [2, 3], strides: [1, 2] },
          { type: 'flatten' },
          { type: 'layerNorm' },
          { type: 'dense', units: 4 },
        ],
      }),
      4,
    );
    check(spec, [8, 9, 2], 4, gaussian(6));
  });

  it('embedding with repeated ids', () => {
    const spec = parseModelSpec(
      JSON.stringify({
        layers: [
          { type: 'embedding', inputDim: 6, outputDim: 3 },
          { type: 'flatten' },
          { type: 'dense', units: 2 },
        ],
      }),
      2,
    );
    check(spec, [4], 2, (n) => Float32Array.from({ length: n }, (_, i) => (i * 7) % 3));
  });
});
