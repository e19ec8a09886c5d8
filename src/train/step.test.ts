import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.js';
import { parseModelSpec, SequentialModel } from '../ml/index.js';
import { ClippingState } from './clipping.js';
import { gradientSum, stepContext } from './step.js';
import type { TrainingData } from './training-data.js';

function data(n: number, width: number): TrainingData {
  const rng = seededRng(11);
  const features = Float32Array.from({ length: n * width }, () => 3 * rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.uniformInt(2));
  return { features, labels, numExamples: n, featureShape: [width] };
}

const norm = (sums: readonly Float32Array[]) =>
  Math.sqrt(sums.reduce((s, v) => s + v.reduce((t, x) => t + x * x, 0), 0));

describe('gradientSum clipping in float32', () => {
  // Review finding: the clip weight C / ||g|| is rounded to float32 and the product w g too, so a clipped
  // example could contribute slightly more than C, above the sensitivity the accountant is told.
  for (const kind of ['flat', 'per-layer'] as const) {
    it(`${kind}: no example's clipped gradient exceeds C once rounded to float32`, () => {
      const width = 7;
      const train = data(300, width);
      const model = new SequentialModel(parseModelSpec('mlp:5:tanh', 2), [width], 2, seededRng(2));
      for (const maxGradNorm of [1e-3, 0.1, 0.7]) {
        const ctx = stepContext(model, 64, new ClippingState({ kind, maxGradNorm }));
        let worst = 0;
        for (let i = 0; i < train.numExamples; i++) {
          const { sums } = gradientSum(ctx, train, Int32Array.of(i));
          worst = Math.max(worst, norm(sums) / maxGradNorm);
        }
        expect(worst).toBeLessThanOrEqual(1);
        expect(worst).toBeGreaterThan(0.99); // the examples really were clipped
      }
    });
  }
});
