import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { blockSoftmax, blocksOf } from './block-softmax.js';
import { marginalPenalty, marginalPenaltyGradient } from './generator.js';

describe('marginalPenalty', () => {
  const blocks = blocksOf([3, 2]);
  const probabilities = [Float64Array.of(0.7, 0.2, 0.1), Float64Array.of(0.4, 0.6)];
  const rng = seededRng(5);
  const logits = Float32Array.from({ length: 4 * blocks.width }, () => rng.normal());
  const loss = (x: Float32Array) =>
    marginalPenalty(blockSoftmax(x, blocks, 1, null), blocks, probabilities, 2);

  it('is 0 when the batch marginals equal the target, positive otherwise', () => {
    const exact = Float32Array.from({ length: blocks.width }, (_, j) =>
      Math.log([0.7, 0.2, 0.1, 0.4, 0.6][j]!),
    );
    expect(loss(exact)).toBeCloseTo(0, 6);
    expect(loss(logits)).toBeGreaterThan(0);
  });

  it('has the gradient of finite differences', () => {
    const dx = marginalPenaltyGradient(blockSoftmax(logits, blocks, 1, null), blocks, probabilities, 2);
    const h = 1e-2;
    for (let i = 0; i < logits.length; i++) {
      const plus = Float32Array.from(logits);
      const minus = Float32Array.from(logits);
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (loss(plus) - loss(minus)) / (2 * h);
      expect(Math.abs(dx[i]! - numeric)).toBeLessThan(2e-3 * (1 + Math.abs(numeric)));
    }
  });
});
