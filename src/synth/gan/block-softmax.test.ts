import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { blockSoftmax, blockSoftmaxBackward, blocksOf, sampleBlocks } from './block-softmax.js';

describe('blockSoftmax', () => {
  const blocks = blocksOf([3, 1, 4]);
  const rng = seededRng(7);
  const batch = 2;
  const x = Float32Array.from({ length: batch * blocks.width }, () => 3 * rng.normal());

  it('gives a distribution in every block of every row', () => {
    const y = blockSoftmax(x, blocks, 0.5, seededRng(1));
    for (let b = 0; b < batch; b++)
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let j = blocks.offsets[k]!; j < blocks.offsets[k + 1]!; j++) sum += y[b * blocks.width + j]!;
        expect(sum).toBeCloseTo(1, 6);
      }
  });

  it('has the backward of finite differences (with and without Gumbel noise, which is a fixed shift)', () => {
    const dy = Float32Array.from({ length: x.length }, () => rng.normal());
    for (const temperature of [1, 0.2]) {
      for (const seed of [null, 3]) {
        const loss = (input: Float32Array) => {
          const y = blockSoftmax(input, blocks, temperature, seed === null ? null : seededRng(seed));
          return y.reduce((s, v, i) => s + v * dy[i]!, 0);
        };
        const y = blockSoftmax(x, blocks, temperature, seed === null ? null : seededRng(seed));
        const dx = blockSoftmaxBackward(y, dy, blocks, temperature);
        const h = 1e-2;
        for (let i = 0; i < x.length; i++) {
          const plus = Float32Array.from(x);
          const minus = Float32Array.from(x);
          plus[i]! += h;
          minus[i]! -= h;
          const numeric = (loss(plus) - loss(minus)) / (2 * h);
          expect(Math.abs(dx[i]! - numeric)).toBeLessThan(2e-3 * (1 + Math.abs(numeric)));
        }
      }
    }
  });

  it('samples each block from its softmax (Gumbel-max)', () => {
    const one = blocksOf([3]);
    const logits = Float32Array.from(
      { length: 3 * 20000 },
      (_, i) => [Math.log(0.7), Math.log(0.2), Math.log(0.1)][i % 3]!,
    );
    const [codes] = sampleBlocks(logits, one, seededRng(11));
    const freq = [0, 0, 0];
    for (const c of codes!) freq[c]! += 1;
    // binomial standard deviations are at most 0.0033: 0.015 is over 4.5 of them
    expect(freq[0]! / 20000).toBeCloseTo(0.7, 1);
    expect(Math.abs(freq[1]! / 20000 - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(freq[2]! / 20000 - 0.1)).toBeLessThan(0.015);
  });
});
