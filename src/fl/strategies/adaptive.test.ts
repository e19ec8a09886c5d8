import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter, update } from '../validation/_testing.js';
import { fedAdagrad, fedAdam, fedYogi } from './adaptive.js';
import type { Strategy } from './strategy.js';

// Two nodes: weighted mean delta = ([1, -2] * 1 + [0, 2] * 3) / 4 = [0.25, 1].
const updates = [update('a', [1, -2], 1), update('b', [0, 2], 3)];
const x0 = new Float32Array([1, -2]);
const rng = seededRng(1);

function twoSteps(strategy: Strategy): Float32Array[] {
  const first = strategy.aggregate(x0, updates, 1, rng).global;
  const second = strategy.aggregate(first, updates, 2, rng).global;
  return [first, second];
}

/*
 * Hand computation, eta 0.1, beta1 0.9, beta2 0.99, tau 1e-3, m_{-1} = 0, v_{-1} = tau^2 = 1e-6, Delta = [0.25, 1]:
 * FedAdam step 1, coordinate 0: m = 0.1 * 0.25 = 0.025; v = 0.99e-6 + 0.01 * 0.0625 = 6.2599e-4;
 *   x = 1 + 0.1 * 0.025 / (sqrt(6.2599e-4) + 1e-3) = 1 + 0.0025 / 0.0260198 = 1.0960807.
 * FedYogi step 1: v = 1e-6 + 0.01 * 0.0625 (v < Delta^2, so sign = -1): x = 1.0960799.
 * FedAdagrad (beta1 0): m = Delta; v = 1e-6 + 0.0625; x = 1 + 0.1 * 0.25 / (0.2500020 + 1e-3) = 1.0996008.
 */
const expected = {
  fedadam: [
    [1.0960806608200073, -1.900994896888733],
    [1.2270041704177856, -1.7672587633132935],
  ],
  fedyogi: [
    [1.09607994556427, -1.9009950160980225],
    [1.2266839742660522, -1.7675913572311401],
  ],
  fedadagrad: [
    [1.0996007919311523, -1.9000999927520752],
    [1.1701117753982544, -1.8294392824172974],
  ],
};

describe('adaptive server optimizers (Reddi et al. 2021, Alg. 2)', () => {
  for (const make of [fedAdam, fedYogi, fedAdagrad]) {
    const name = make().name as keyof typeof expected;

    it(`${name} matches a hand-computed two-step run`, () => {
      const steps = twoSteps(make());
      steps.forEach((x, t) => {
        expect(x[0]).toBeCloseTo(expected[name][t]![0]!, 6);
        expect(x[1]).toBeCloseTo(expected[name][t]![1]!, 6);
      });
    });

    it(`${name} resumes from a checkpoint exactly`, () => {
      const original = make();
      const first = original.aggregate(x0, updates, 1, rng).global;
      const saved = JSON.parse(JSON.stringify(original.state()));
      const resumed = make();
      resumed.restore(saved);
      expect(resumed.aggregate(first, updates, 2, rng).global).toEqual(
        original.aggregate(first, updates, 2, rng).global,
      );
    });
  }

  it('refuses a model of another size once the moments exist', () => {
    const s = fedAdam();
    s.aggregate(x0, updates, 1, rng);
    expectInvalidParameter(
      () => s.applyDelta(new Float32Array(3), new Float32Array(3), 2),
      'fedadam.applyDelta',
      'global',
    );
  });

  it('refuses bad hyper-parameters', () => {
    expectInvalidParameter(() => fedAdam({ beta1: 1 }), 'fedAdam', 'beta1');
    expectInvalidParameter(() => fedYogi({ beta2: -0.1 }), 'fedYogi', 'beta2');
    expectInvalidParameter(() => fedAdagrad({ tau: 0 }), 'fedAdagrad', 'tau');
    expectInvalidParameter(
      () => fedAdam({ serverLearningRate: Number.NaN }),
      'fedAdam',
      'serverLearningRate',
    );
  });

  it('refuses corrupt checkpoints without changing its state', () => {
    const s = fedAdam();
    s.aggregate(x0, updates, 1, rng);
    const before = s.state();
    expectInvalidParameter(() => s.restore({ ...before, m: 'not base64!' }), 'fedadam.restore', 'state.m');
    expectInvalidParameter(() => s.restore({ ...before, v: null }), 'fedadam.restore', 'state.v');
    expectInvalidParameter(() => s.restore({ ...before, extra: 1 }), 'fedadam.restore', 'state');
    const negative = Buffer.alloc(16);
    negative.writeDoubleLE(-1, 0);
    expectInvalidParameter(
      () => s.restore({ ...before, v: negative.toString('base64') }),
      'fedadam.restore',
      'state.v',
    );
    expect(s.state()).toEqual(before);
  });
});
