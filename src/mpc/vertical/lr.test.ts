/**
 * Vertical logistic regression: the secure trainer (Gilboa products over the real OT extension, triples made
 * by OT) against the same algorithm in the clear on the joined data.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { ArithParty } from '../arith/index.js';
import { memoryChannelPair } from '../channel.js';
import { OtPair } from '../ot/gilboa.js';
import { otTripleSource } from '../triples-ot.js';
import { exchangeLayouts, scores, trainVerticalLr, type VerticalLrOptions } from './lr.js';
import { accuracy, plainScores, trainPlainLr } from './plain.js';
import type { FeatureMatrix } from './products.js';

/** n rows: party 0 has 2 numbers and a 3-way one-hot, party 1 one number and a 2-way one-hot. */
function data(n: number, seed: string) {
  const rng = seededRng(seed);
  const x0 = new Uint16Array(n * 5);
  const x1 = new Uint16Array(n * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.uniformInt(257);
    const b = rng.uniformInt(257);
    const c = rng.uniformInt(3);
    const d = rng.uniformInt(257);
    const e = rng.uniformInt(2);
    x0.set([a, b, 0, 0, 0], i * 5);
    x0[i * 5 + 2 + c] = 1;
    x1.set([d, 0, 0], i * 3);
    x1[i * 3 + 1 + e] = 1;
    const logit = 3 * (a / 256) - 2 * (b / 256) + (c === 1 ? 1 : -0.5) + 2 * (d / 256) - (e ? 1 : 0) - 0.2;
    labels[i] = rng.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  const f0: FeatureMatrix = {
    values: x0,
    rows: n,
    width: 5,
    columns: 3,
    bits: Uint8Array.from([9, 9, 1, 1, 1]),
    shifts: Uint8Array.from([0, 0, 8, 8, 8]),
  };
  const f1: FeatureMatrix = {
    values: x1,
    rows: n,
    width: 3,
    columns: 2,
    bits: Uint8Array.from([9, 1, 1]),
    shifts: Uint8Array.from([0, 8, 8]),
  };
  return { f0, f1, labels };
}

async function secure(n: number, options: VerticalLrOptions, seed = 'lr') {
  const { f0, f1, labels } = data(n, seed);
  const [c0, c1] = memoryChannelPair({ peers: ['party 1', 'party 0'] });
  const party = async (role: 0 | 1) => {
    const ch = role === 0 ? c0 : c1;
    const features = role === 0 ? f0 : f1;
    const peer = await exchangeLayouts(ch, features, n);
    const pair = await OtPair.setup(ch, role, { rng: seededRng(`ot${role}`) });
    const arith = new ArithParty({ ch, role, triples: otTripleSource(pair), rng: seededRng(`a${role}`) });
    const p = {
      arith,
      pair,
      ch,
      features,
      peer,
      rng: seededRng(`n${role}`),
      ...(role === 0 ? { labels } : {}),
    };
    const model = await trainVerticalLr(p, options);
    const all = Uint32Array.from({ length: n }, (_, i) => i);
    const z = await scores(p, model, all);
    const opened = await arith.reveal(z);
    const w0 = await arith.reveal(model.w0);
    const w1 = await arith.reveal(model.w1);
    const bias = await arith.reveal(model.bias);
    return { z: opened, w0, w1, bias: bias[0]!, bytes: ch.stats().bytesSent };
  };
  const [a, b] = await Promise.all([party(0), party(1)]);
  return { a, b, f0, f1, labels };
}

describe('trainVerticalLr', () => {
  it('taylor: the secure model equals the plaintext one within fixed-point error', async () => {
    const options: VerticalLrOptions = {
      epochs: 3,
      batchSize: 64,
      learningRate: 1,
      activation: 'taylor',
      scheduleSeed: 's',
      l2: 0.001,
    };
    const { a, b, f0, f1, labels } = await secure(300, options);
    const plain = trainPlainLr(f0, f1, labels, options);
    expect(Array.from(a.w0)).toEqual(Array.from(b.w0));
    for (let j = 0; j < 5; j++) expect(Math.abs(a.w0[j]! - plain.w0[j]!)).toBeLessThan(0.01);
    for (let j = 0; j < 3; j++) expect(Math.abs(a.w1[j]! - plain.w1[j]!)).toBeLessThan(0.01);
    expect(Math.abs(a.bias - plain.bias)).toBeLessThan(0.01);
    const all = Uint32Array.from({ length: 300 }, (_, i) => i);
    const zPlain = plainScores(f0, f1, plain, all);
    for (let i = 0; i < 300; i++) expect(Math.abs(a.z[i]! - zPlain[i]!)).toBeLessThan(0.05);
    expect(accuracy(a.z, labels)).toBeGreaterThan(0.6);
    expect(Math.abs(accuracy(a.z, labels) - accuracy(zPlain, labels))).toBeLessThan(0.02);
  });

  it('hard-sigmoid with DP noise: bounded residuals, noise moves the model, the run completes', async () => {
    const base: VerticalLrOptions = {
      epochs: 1,
      batchSize: 40,
      learningRate: 1,
      activation: 'hard-sigmoid',
      scheduleSeed: 'h',
    };
    const clear = await secure(40, base, 'hs');
    const plain = trainPlainLr(clear.f0, clear.f1, clear.labels, base);
    for (let j = 0; j < 5; j++) expect(Math.abs(clear.a.w0[j]! - plain.w0[j]!)).toBeLessThan(0.01);
    const noisy = await secure(40, { ...base, dp: { noiseMultiplier: 1, steps: 1 } }, 'hs');
    const moved = Array.from(noisy.a.w0).some((w, j) => Math.abs(w - plain.w0[j]!) > 0.01);
    expect(moved).toBe(true);
  });

  it('refuses dp without a bounded activation, and labels missing at party 0', async () => {
    const [c0] = memoryChannelPair();
    const p = { ch: c0 } as never;
    await expect(
      trainVerticalLr(p, {
        epochs: 1,
        batchSize: 1,
        learningRate: 1,
        activation: 'taylor',
        scheduleSeed: 'x',
        dp: { noiseMultiplier: 1, steps: 1 },
      }),
    ).rejects.toThrow(/hard-sigmoid/);
  });

  it('exchangeLayouts refuses a peer with another number of rows or a malformed layout', async () => {
    const layout = { width: 1, columns: 1, bits: Uint8Array.from([9]), shifts: Uint8Array.from([0]) };
    const [a, b] = memoryChannelPair({ peers: ['bank', 'shop'] });
    const results = await Promise.allSettled([
      exchangeLayouts(a, layout, 10),
      exchangeLayouts(b, layout, 11),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(
      /bank has 11 aligned rows, this party 10/,
    );
    const [c, d] = memoryChannelPair();
    d.send(
      'vertical.layout',
      Buffer.from(JSON.stringify({ width: 2, columns: 1, bits: [9], shifts: [0], rows: 10 })),
    );
    await expect(exchangeLayouts(c, layout, 10)).rejects.toThrow(/malformed feature layout/);
  });
});
