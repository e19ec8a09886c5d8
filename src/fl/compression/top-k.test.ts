import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectInvalidParameter } from '../validation/_testing.js';
import { densify, TopKCompressor } from './top-k.js';

const roundsArb = fc
  .integer({ min: 1, max: 40 })
  .chain((length) =>
    fc.tuple(
      fc.constant(length),
      fc.array(
        fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: length, maxLength: length }),
        { minLength: 1, maxLength: 8 },
      ),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
    ),
  );

describe('TopKCompressor', () => {
  it('sends the k largest magnitudes with increasing indices', () => {
    const c = new TopKCompressor(6);
    const sent = c.compress(new Float32Array([0.1, -5, 2, 0, 3, -0.5]), 0.5);
    expect(Array.from(sent.indices)).toEqual([1, 2, 4]);
    expect(Array.from(sent.values)).toEqual([-5, 2, 3]);
    expect(Array.from(c.residual)).toEqual([Math.fround(0.1), 0, 0, 0, 0, -0.5]);
  });

  it('breaks ties by lower index and sends at least one coordinate', () => {
    const c = new TopKCompressor(5);
    const sent = c.compress(new Float32Array([1, -1, 1, 1, -1]), 0.4);
    expect(Array.from(sent.indices)).toEqual([0, 1]);
    expect(new TopKCompressor(100).compress(new Float32Array(100), 1e-9).indices).toHaveLength(1);
  });

  test.prop([roundsArb])(
    'error feedback: everything sent plus the final residual equals the sum of the deltas',
    ([length, deltas, fraction]) => {
      const c = new TopKCompressor(length);
      const total = new Float64Array(length);
      const sentTotal = new Float64Array(length);
      const k = Math.ceil(fraction * length);
      for (const d of deltas) {
        const delta = Float32Array.from(d);
        const before = c.residual;
        const sent = c.compress(delta, fraction);
        expect(sent.indices).toHaveLength(k);
        for (let j = 1; j < sent.indices.length; j++)
          expect(sent.indices[j]!).toBeGreaterThan(sent.indices[j - 1]!);
        // the sent coordinates are the largest of residual + delta
        const acc = before.map((e, i) => e + delta[i]!);
        const chosen = new Set(sent.indices);
        const smallestSent = Math.min(...Array.from(sent.indices, (i) => Math.abs(acc[i]!)));
        for (let i = 0; i < length; i++)
          if (!chosen.has(i)) expect(Math.abs(acc[i]!)).toBeLessThanOrEqual(smallestSent);
        for (let i = 0; i < length; i++) total[i]! += delta[i]!;
        sent.indices.forEach((index, j) => {
          sentTotal[index]! += sent.values[j]!;
        });
      }
      const residual = c.residual;
      for (let i = 0; i < length; i++) {
        expect(Math.abs(sentTotal[i]! + residual[i]! - total[i]!)).toBeLessThanOrEqual(
          1e-9 * (1 + Math.abs(total[i]!)),
        );
      }
    },
  );

  it('selects correctly on a large vector (quickselect vs sort)', () => {
    const n = 100_000;
    const delta = new Float32Array(n);
    for (let i = 0; i < n; i++)
      delta[i] = Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) - 0.5;
    const sent = new TopKCompressor(n).compress(delta, 0.01);
    const sorted = Array.from(delta, Math.abs).sort((a, b) => b - a);
    const threshold = sorted[999]!;
    expect(sent.indices).toHaveLength(1000);
    for (const v of sent.values) expect(Math.abs(v)).toBeGreaterThanOrEqual(threshold);
  });

  it('refuses bad input and leaves the residual unchanged', () => {
    expectInvalidParameter(() => new TopKCompressor(0), 'TopKCompressor', 'length');
    const c = new TopKCompressor(3);
    c.compress(new Float32Array([1, 2, 3]), 1 / 3);
    const before = c.residual;
    expectInvalidParameter(
      () => c.compress(new Float32Array([1, 2, 3]), 0),
      'TopKCompressor.compress',
      'fraction',
    );
    expectInvalidParameter(() => c.compress(new Float32Array(2), 0.5), 'TopKCompressor.compress', 'delta');
    expectInvalidParameter(
      () => c.compress(new Float32Array([0, Number.NaN, 0]), 0.5),
      'TopKCompressor.compress',
      'delta[1]',
    );
    expect(c.residual).toEqual(before);
    c.reset();
    expect(Array.from(c.residual)).toEqual([0, 0, 0]);
  });
});

describe('densify', () => {
  it('scatters the values and refuses unordered or out-of-range indices', () => {
    const sparse = { indices: Uint32Array.from([0, 3]), values: Float32Array.from([1, 2]), length: 5 };
    expect(Array.from(densify(sparse))).toEqual([1, 0, 0, 2, 0]);
    expectInvalidParameter(
      () => densify({ ...sparse, indices: Uint32Array.from([3, 3]) }),
      'densify',
      'indices[1]',
    );
    expectInvalidParameter(
      () => densify({ ...sparse, indices: Uint32Array.from([0, 5]) }),
      'densify',
      'indices[1]',
    );
    expectInvalidParameter(() => densify({ ...sparse, values: Float32Array.from([1]) }), 'densify', 'values');
  });
});
