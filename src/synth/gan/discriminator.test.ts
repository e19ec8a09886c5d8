import { describe, expect, it } from 'vitest';
import { gaussianNoiseStream, seededRng } from '../../core/index.js';
import { CLIP_MARGIN, clippedRealSum, discriminatorGradient } from './discriminator.js';
import { beginPass, Mlp } from './mlp.js';
import { dpSgdSchedule, planDpGan } from './plan.js';

const inputs = 6;
const discriminator = () => new Mlp({ inputs, hidden: [5], outputs: 1, activation: 'tanh' }, seededRng(1));

/** Rows scaled so that some gradients are far above the clip and some below. */
function rows(batch: number): Float32Array {
  const rng = seededRng(2);
  return Float32Array.from(
    { length: batch * inputs },
    (_, i) => rng.normal() * (1 + 4 * (Math.floor(i / inputs) % 3)),
  );
}

/** One example's gradient, from a batch of one (the oracle for the factored per-example gradients). */
function singleGradient(d: Mlp, x: Float32Array): Float32Array[] {
  beginPass();
  return clippedRealSum(d, x, 1, Number.POSITIVE_INFINITY).sums;
}

describe('clippedRealSum', () => {
  it('clips every real row to C and sums the clipped gradients (oracle: one pass per row)', () => {
    const d = discriminator();
    const batch = 9;
    const x = rows(batch);
    beginPass();
    // C between the smallest and the largest gradient norm, so that some rows are clipped and some are not
    const free = clippedRealSum(d, x, batch, Number.POSITIVE_INFINITY).norms;
    const C = Math.sqrt(Math.min(...free) * Math.max(...free));
    beginPass();
    const { sums, norms, weights } = clippedRealSum(d, x, batch, C);
    const copy = sums.map((s) => Float32Array.from(s));
    const expected = d.params.map((p) => new Float64Array(p.value.length));
    let clipped = 0;
    for (let b = 0; b < batch; b++) {
      const g = singleGradient(d, x.subarray(b * inputs, (b + 1) * inputs));
      const norm = Math.sqrt(g.reduce((s, a) => s + a.reduce((t, v) => t + v * v, 0), 0));
      expect(norms[b]).toBeCloseTo(norm, 4);
      // the clipped contribution w_b g_b has norm <= C (with the float32 margin), and w_b = 1 below the clip
      expect(weights[b]! * norm).toBeLessThanOrEqual(C);
      if (norm <= C * CLIP_MARGIN) expect(weights[b]).toBe(1);
      else clipped++;
      g.forEach((a, i) => {
        a.forEach((v, j) => {
          expected[i]![j]! += weights[b]! * v;
        });
      });
    }
    expect(clipped).toBeGreaterThan(0);
    expect(clipped).toBeLessThan(batch);
    copy.forEach((s, i) => {
      s.forEach((v, j) => {
        expect(v).toBeCloseTo(expected[i]![j]!, 5);
      });
    });
  });
});

describe('discriminatorGradient', () => {
  it('adds N(0, (z C)^2) per coordinate to the clipped sum, with z the noise multiplier of the planned event', () => {
    const plan = planDpGan(1, 1e-6, 3, { steps: 100, sampleRate: 0.05, maxGradNorm: 0.5 });
    const z = plan.noiseMultiplier;
    // the event the ledger is charged and the fit records has exactly this noise multiplier and rate
    expect(plan.events.at(-1)).toEqual(dpSgdSchedule(0.05, z, 100));
    expect(plan.events.at(-1)).toMatchObject({
      event: { sampleRate: 0.05, event: { sigma: z, l2Sensitivity: 1 } },
    });
    const d = new Mlp({ inputs: 40, hidden: [50], outputs: 1, activation: 'tanh' }, seededRng(3));
    const noise = gaussianNoiseStream(seededRng(4), d.parameterCount);
    try {
      // no real and no generated row: the gradient is the noise alone, divided by the expected batch B
      const B = 8;
      beginPass();
      const g = discriminatorGradient({
        discriminator: d,
        real: new Float32Array(0),
        realBatch: 0,
        fake: new Float32Array(0),
        fakeBatch: 0,
        maxGradNorm: plan.maxGradNorm,
        noiseMultiplier: z,
        expectedBatch: B,
        noise,
      });
      const all = g.flatMap((a) => Array.from(a, (v) => v * B));
      const mean = all.reduce((s, v) => s + v, 0) / all.length;
      const std = Math.sqrt(all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length);
      expect(all.length).toBeGreaterThan(2000);
      // the sample std of n >= 2000 normals is within 5% of the true one except with probability < 1e-5
      expect(Math.abs(std / (z * plan.maxGradNorm) - 1)).toBeLessThan(0.05);
      expect(Math.abs(mean)).toBeLessThan(0.15 * z * plan.maxGradNorm);
    } finally {
      noise.close();
    }
  });

  it('adds the generated rows’ mean gradient unclipped and without noise', () => {
    const d = discriminator();
    const fake = rows(4);
    const zero = {
      take: (n: number) => new Float32Array(n),
      close() {},
      isPrivate: false,
      background: false,
    };
    beginPass();
    const g = discriminatorGradient({
      discriminator: d,
      real: new Float32Array(0),
      realBatch: 0,
      fake,
      fakeBatch: 4,
      maxGradNorm: 1e-9,
      noiseMultiplier: 1,
      expectedBatch: 1,
      noise: zero,
    });
    // softplus(D(x)) of each row, averaged: compare with a loop of one-row passes
    const expected = d.params.map((p) => new Float64Array(p.value.length));
    for (let b = 0; b < 4; b++) {
      beginPass();
      const x = fake.subarray(b * inputs, (b + 1) * inputs);
      const pass = d.forward(x, 1);
      const s = 1 / (1 + Math.exp(-pass.y[0]!));
      const { grads } = d.backward(pass, Float32Array.of(s), false);
      grads.forEach((gr, i) => {
        const out = new Float32Array(gr.param.value.length);
        gr.accumulate(null, out);
        out.forEach((v, j) => {
          expected[i]![j]! += v / 4;
        });
      });
    }
    g.forEach((a, i) => {
      a.forEach((v, j) => {
        expect(v).toBeCloseTo(expected[i]![j]!, 5);
      });
    });
  });
});
