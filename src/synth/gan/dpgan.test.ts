import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import type { SynthData } from '../data.js';
import { synthDomain } from '../domain.js';
import { synthModelFromJson } from '../synth-model.js';
import { dpGan } from './dpgan.js';
import { ganModelFromJson } from './model.js';
import { planDpGan } from './plan.js';

/** n records of (x, y): x skewed (0.85, 0.05, 0.05, 0.05), y = x mod 2 (a dependency). */
function skewed(n: number): SynthData {
  const x = Int32Array.from({ length: n }, (_, i) => (i % 20 < 17 ? 0 : 1 + (i % 3)));
  const y = Int32Array.from(x, (v) => v % 2);
  return {
    domain: synthDomain([
      ['x', 4],
      ['y', 2],
    ]),
    columns: [x, y],
    categories: [
      { kind: 'codes', size: 4 },
      { kind: 'codes', size: 2 },
    ],
  } as SynthData;
}

const fast = { generatorHidden: [32], discriminatorHidden: [32], noiseDim: 8 };

describe('dpGan', () => {
  it('learns a strongly skewed 1-way marginal at a large epsilon, from a uniform start, adversarially', () => {
    const data = skewed(2000);
    const plan = planDpGan(50, 1e-6, 2, { steps: 300, sampleRate: 0.05 });
    // no start at the marginals and no marginal penalty: only the discriminator can teach the generator
    const { model, events } = dpGan(data, plan, seededRng(1), {
      ...fast,
      initialiseFromMarginals: false,
      marginalPenalty: 0,
      generatorLearningRate: 2e-3,
      discriminatorLearningRate: 2e-3,
    });
    expect(events).toEqual(plan.events);
    const [x] = model.sample(4000, seededRng(2));
    const share = x!.filter((v) => v === 0).length / 4000;
    // a generator that ignored the data would give about (0.85 + 0.25) / 2 = 0.55 (half the rows are conditioned
    // on y and generate x); 4000 rows make the sampling error about 0.008, so 0.75 is not reached by chance
    expect(share).toBeGreaterThan(0.75);
  });

  it('saves to JSON and samples the same rows after a round trip with the same rng', () => {
    const data = skewed(300);
    const plan = planDpGan(5, 1e-6, 2, { steps: 5, sampleRate: 0.1 });
    const { model } = dpGan(data, plan, seededRng(3), fast);
    const json = JSON.parse(JSON.stringify(model.toJson()));
    const again = ganModelFromJson(json);
    expect(again.sample(500, seededRng(9))).toEqual(model.sample(500, seededRng(9)));
    expect(synthModelFromJson(json).sample(50, seededRng(4))).toEqual(model.sample(50, seededRng(4)));
    const first = (json as { generator: { weights: string[] } }).generator.weights[0]!;
    expect(() =>
      ganModelFromJson({ ...json, generator: { ...json.generator, weights: [first.slice(4)] } }),
    ).toThrow(/generator.weights/);
    expect(() =>
      ganModelFromJson({
        ...json,
        conditional: [
          [0.5, 0.5],
          [1, 0],
        ],
      }),
    ).toThrow(/conditional.0/);
    expect(() => synthModelFromJson({ ...json, format: 'other' })).toThrow(/format/);
  });

  it('refuses a plan made for another number of attributes', () => {
    const plan = planDpGan(1, 1e-6, 3, { steps: 5 });
    expect(() => dpGan(skewed(100), plan, seededRng(1))).toThrow(/plan.attributes/);
  });
});
