import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../validation/_testing.js';
import {
  dequantize,
  packedLength,
  packLevels,
  type QuantizationBits,
  quantize,
  unpackLevels,
} from './quantize.js';

const bitsArb = fc.constantFrom<QuantizationBits>(2, 4, 8);
const vectorArb = fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 40 });

describe('bit packing', () => {
  test.prop([bitsArb, fc.array(fc.nat(255), { maxLength: 50 })])(
    'unpack(pack(levels)) = levels',
    (bits, raw) => {
      const levels = Uint8Array.from(raw, (x) => x & ((1 << bits) - 1));
      const packed = packLevels(levels, bits);
      expect(packed).toHaveLength(Math.ceil((levels.length * bits) / 8));
      expect(unpackLevels(packed, bits, levels.length)).toEqual(levels);
    },
  );

  it('puts the first level in the least significant bits', () => {
    expect(Array.from(packLevels([1, 2, 3, 0, 3], 2))).toEqual([0b00111001, 0b11]);
    expect(Array.from(packLevels([0xa, 0x5], 4))).toEqual([0x5a]);
  });

  it('refuses a buffer of the wrong size', () => {
    expectInvalidParameter(() => unpackLevels(new Uint8Array(3), 2, 5), 'unpackLevels', 'packed');
  });
});

describe('quantize / dequantize', () => {
  test.prop([vectorArb, bitsArb, fc.integer({ min: 0, max: 1 << 20 })])(
    'decodes each coordinate to one of the two levels around it, within [lower, upper]',
    (values, bits, seed) => {
      const x = Float32Array.from(values);
      const q = quantize(x, { bits }, seededRng(seed));
      expect(q.levels).toHaveLength(packedLength(x.length, bits));
      expect(q.lower).toBe(Math.min(...x) + 0);
      expect(q.upper).toBe(Math.max(...x) + 0);
      const step = (q.upper - q.lower) / ((1 << bits) - 1);
      const back = dequantize(q);
      for (let i = 0; i < x.length; i++) {
        expect(Math.abs(back[i]! - x[i]!)).toBeLessThanOrEqual(step * (1 + 1e-6) + 1e-4);
        expect(back[i]!).toBeGreaterThanOrEqual(Math.fround(q.lower));
        expect(back[i]!).toBeLessThanOrEqual(q.upper);
      }
    },
  );

  test.prop([vectorArb, bitsArb, fc.integer({ min: 0, max: 1 << 20 })], { numRuns: 30 })(
    'is unbiased: the mean of many decodings converges to x',
    (values, bits, seed) => {
      const x = Float32Array.from(values);
      const rng = seededRng(seed);
      const reps = 400;
      const sum = new Float64Array(x.length);
      for (let r = 0; r < reps; r++) {
        const back = dequantize(quantize(x, { bits }, rng));
        for (let i = 0; i < x.length; i++) sum[i]! += back[i]!;
      }
      const step = (Math.max(...x) - Math.min(...x)) / ((1 << bits) - 1);
      // per coordinate the rounding has std <= step / 2; 6 standard errors, plus float32 rounding
      const tolerance = (6 * step) / 2 / Math.sqrt(reps) + 1e-4 * (1 + Math.max(...x.map(Math.abs)));
      for (let i = 0; i < x.length; i++)
        expect(Math.abs(sum[i]! / reps - x[i]!)).toBeLessThanOrEqual(tolerance);
    },
  );

  it('is unbiased coordinate by coordinate (statistical test, 2 bits, 4000 encodings)', () => {
    const rng = seededRng(11);
    const x = new Float32Array(64);
    rng.fillNormal(x, 1);
    const q0 = quantize(x, { bits: 2 }, rng);
    const step = (q0.upper - q0.lower) / 3;
    const reps = 4000;
    const sum = new Float64Array(x.length);
    for (let r = 0; r < reps; r++) {
      const back = dequantize(quantize(x, { bits: 2 }, rng));
      for (let i = 0; i < x.length; i++) sum[i]! += back[i]!;
    }
    let chi2 = 0;
    let dof = 0;
    for (let i = 0; i < x.length; i++) {
      const t = (x[i]! - q0.lower) / step;
      const p = t - Math.floor(t);
      if (p < 1e-6 || p > 1 - 1e-6) continue; // on a level: sent exactly
      const se = (step * Math.sqrt(p * (1 - p))) / Math.sqrt(reps);
      const z = (sum[i]! / reps - x[i]!) / se;
      expect(Math.abs(z)).toBeLessThan(5);
      chi2 += z * z;
      dof++;
    }
    // chi-square with ~62 degrees of freedom: mean dof, sd sqrt(2 dof) ~ 11; 5 sd either side
    expect(Math.abs(chi2 - dof)).toBeLessThan(5 * Math.sqrt(2 * dof));
  });

  it('sends a constant vector exactly and never a signed zero', () => {
    const q = quantize(new Float32Array([-0, -0, -0]), { bits: 4 }, seededRng(1));
    expect(Object.is(q.lower, 0)).toBe(true);
    expect(Array.from(dequantize(q))).toEqual([0, 0, 0]);
    expect(Array.from(dequantize(quantize(new Float32Array([2.5, 2.5]), { bits: 2 }, seededRng(1))))).toEqual(
      [2.5, 2.5],
    );
  });

  it('refuses bad input', () => {
    const rng = seededRng(1);
    expectInvalidParameter(() => quantize(new Float32Array([1]), { bits: 3 as 2 }, rng), 'quantize', 'bits');
    expectInvalidParameter(() => quantize(new Float32Array(0), { bits: 2 }, rng), 'quantize', 'delta');
    expectInvalidParameter(
      () => quantize(new Float32Array([0, Number.NaN]), { bits: 2 }, rng),
      'quantize',
      'delta[1]',
    );
    const q = quantize(new Float32Array([0, 1]), { bits: 8 }, rng);
    expectInvalidParameter(() => dequantize({ ...q, upper: -1 }), 'dequantize', 'upper');
    expectInvalidParameter(() => dequantize({ ...q, length: 3 }), 'unpackLevels', 'packed');
  });
});
