/** The options of `veil simulate`: defaults, ranges, the rules between fields, and the plan they map onto. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { parseSpec } from '../spec.js';
import { type SimulateOptionsInput, SimulateOptionsSchema, simulationPlanFrom } from './simulate-spec.js';

const parse = (raw: SimulateOptionsInput | Record<string, unknown>) =>
  parseSpec(SimulateOptionsSchema, raw, 'simulation options');

/** The problems `raw` is refused with, as `path: allowed`. */
function problems(raw: Record<string, unknown>): string[] {
  try {
    parse(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.allowed}`);
    throw err;
  }
  return [];
}

describe('SimulateOptionsSchema', () => {
  it('fills the quick-start defaults', () => {
    expect(parse({})).toEqual({
      nodes: 3,
      rounds: 10,
      sampleRate: 1,
      data: 'hospitals',
      model: 'logreg',
      strategy: 'fedavg',
      aggregator: 'mean',
      localEpochs: 1,
      batchSize: 32,
      lr: 0.5,
      compression: 'none',
      centralClip: 1,
      secureAggregation: 'none',
      secaggClip: 1,
      attack: 'sign-flip',
      personalization: 'none',
      fineTuneEpochs: 1,
      dittoLambda: 0.1,
    });
  });

  it('picks the model and learning rate by data, and keeps what is given', () => {
    expect(parse({ data: 'fashion-mnist' })).toMatchObject({ model: 'mlp:128', lr: 0.05 });
    expect(parse({ data: 'fashion-mnist', model: 'cnn:papernot', lr: 0.1 })).toMatchObject({
      model: 'cnn:papernot',
      lr: 0.1,
    });
    expect(parse({ model: '' }).model).toBe('logreg');
  });

  it('refuses values out of range, saying what is allowed', () => {
    expect(problems({ nodes: 0, rounds: 100_001, sampleRate: 1.5, batchSize: 1.5 })).toEqual([
      'nodes: an integer in [1, 1000000]',
      'rounds: an integer in [1, 100000]',
      'sampleRate: a number in (0, 1]',
      'batchSize: an integer >= 1',
    ]);
    expect(problems({ byzantine: -0.1 })).toEqual(['byzantine: a finite number >= 0']);
    expect(problems({ byzantine: 1 })).toEqual(['byzantine: a fraction in [0, 1)']);
    expect(problems({ data: 'mnist' })).toEqual(['data: one of hospitals, synthetic, fashion-mnist']);
    expect(problems({ lr: 'fast' })).toEqual(['lr: a finite number > 0']);
    expect(problems({ epochs: 3 })).toEqual(['epochs: absent (not a known field)']);
  });

  it('refuses alpha with the hospitals, which are non-IID by construction', () => {
    expect(problems({ alpha: 0.5 })).toEqual([
      'alpha: used only with --data synthetic or fashion-mnist (the hospitals are non-IID by construction)',
    ]);
    expect(parse({ alpha: 0.5, data: 'synthetic' }).alpha).toBe(0.5);
  });

  it.each([{ secaggClip: 2 }, { distributedNoise: 1 }, { dropout: 0.1 }])(
    'refuses %o without secure aggregation',
    (raw) => {
      expect(problems(raw)).toEqual([
        'secureAggregation: secagg or secagg+ with --secagg-clip, --distributed-noise or --dropout',
      ]);
      expect(problems({ ...raw, secureAggregation: 'secagg' })).toEqual([]);
    },
  );

  it('refuses secure aggregation with fewer than 3 nodes up front (it used to fail after 50 s of deadlines)', () => {
    for (const secureAggregation of ['secagg', 'secagg+']) {
      expect(problems({ nodes: 2, secureAggregation })).toEqual([
        'nodes: at least 3 with secure aggregation (no secure round can be formed with fewer)',
      ]);
    }
    expect(problems({ nodes: 3, secureAggregation: 'secagg' })).toEqual([]);
    expect(problems({ nodes: 1 })).toEqual([]);
  });

  it('refuses a dropout of 0.5 or more', () => {
    expect(problems({ dropout: 0.5, secureAggregation: 'secagg+' })).toEqual([
      'dropout: a probability in [0, 0.5)',
    ]);
  });

  it('lists every problem at once, the rules between fields after a field fails', () => {
    expect(problems({ rounds: 'x', batchSize: 1.5, dropout: 0.6 })).toEqual([
      'rounds: an integer in [1, 100000]',
      'batchSize: an integer >= 1',
      'dropout: a probability in [0, 0.5)',
      'secureAggregation: secagg or secagg+ with --secagg-clip, --distributed-noise or --dropout',
    ]);
  });
});

describe('simulationPlanFrom', () => {
  it('maps the defaults onto a plain FedAvg over the hospitals', () => {
    const plan = simulationPlanFrom(parse({}));
    expect(plan.nodes).toBe(3);
    expect(plan.data).toEqual({ kind: 'hospitals' });
    expect(plan.localPrivacy).toEqual({ kind: 'non-private' });
    expect(plan.byzantine).toBeUndefined();
    expect(plan.personalization).toEqual({ kind: 'none' });
    expect(plan.federation).toMatchObject({
      model: 'logreg',
      rounds: 10,
      minNodes: 1,
      population: 3,
      selection: { kind: 'fraction', fraction: 1 },
      secureAggregation: 'none',
    });
    expect(plan.federation.centralDp).toBeUndefined();
  });

  it('selects by Poisson sampling under central DP', () => {
    const plan = simulationPlanFrom(parse({ nodes: 20, sampleRate: 0.5, centralNoise: 1, centralClip: 2 }));
    expect(plan.federation).toMatchObject({
      minNodes: 5,
      selection: { kind: 'poisson', rate: 0.5 },
      centralDp: { noiseMultiplier: 1, clipping: { kind: 'fixed', clipNorm: 2 } },
    });
  });

  it('sets up secure aggregation with distributed noise and dropouts', () => {
    const plan = simulationPlanFrom(
      parse({ nodes: 4, secureAggregation: 'secagg+', distributedNoise: 0.5, dropout: 0.05 }),
    );
    expect(plan.dropout).toBe(0.05);
    expect(plan.federation.minNodes).toBe(3);
    expect(plan.federation.secagg).toMatchObject({
      clipNorm: 1,
      stageTimeoutMs: 1_000,
      expectedDropout: 0.1,
      distributedDp: { noiseMultiplier: 0.5 },
    });
  });

  it('maps data, attackers, local DP and personalization', () => {
    const plan = simulationPlanFrom(
      parse({
        nodes: 10,
        data: 'synthetic',
        alpha: 0.3,
        aggregator: 'krum',
        byzantine: 0.2,
        attack: 'nan',
        localEpsilon: 2,
        personalization: 'ditto',
        dittoLambda: 0.5,
      }),
    );
    expect(plan.data).toMatchObject({ kind: 'synthetic', partition: { kind: 'dirichlet', alpha: 0.3 } });
    expect(plan.byzantine).toEqual({ fraction: 0.2, attack: 'nan' });
    expect(plan.federation.strategy.aggregator).toEqual({ kind: 'krum', byzantine: 2 });
    expect(plan.localPrivacy).toEqual({ kind: 'dp', epsilon: 2, delta: 1e-5, maxGradNorm: 1 });
    expect(plan.personalization).toEqual({ kind: 'ditto', lambda: 0.5 });
  });

  it('reports a federation the options make and the federation refuses under its fields', () => {
    expect(() => simulationPlanFrom(parse({ secureAggregation: 'secagg', aggregator: 'median' }))).toThrow(
      /federation\.strategy\.aggregator: must be mean with secureAggregation secagg/,
    );
  });
});
