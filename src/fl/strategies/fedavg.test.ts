import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter, update } from '../validation/_testing.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { fedAvg, fedProx } from './fedavg.js';

const rng = seededRng(1);

describe('fedAvg', () => {
  test.prop([
    fc.integer({ min: 1, max: 5 }).chain((length) =>
      fc.tuple(
        fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: length, maxLength: length }),
        fc.array(
          fc.tuple(
            fc.array(fc.float({ min: -10, max: 10, noNaN: true }), {
              minLength: length,
              maxLength: length,
            }),
            fc.integer({ min: 1, max: 10_000 }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
      ),
    ),
  ])('moves the global model by the example-weighted mean delta', ([global, rows]) => {
    const g = Float32Array.from(global);
    const updates = rows.map(([d, n], k) => update(`n${k}`, d, n));
    const { global: next, result } = fedAvg().aggregate(g, updates, 1, rng);
    const total = rows.reduce((s, [, n]) => s + n, 0);
    for (let i = 0; i < g.length; i++) {
      const mean = rows.reduce((s, [d, n]) => s + n * Math.fround(d[i]!), 0) / total;
      expect(result.delta[i]).toBeCloseTo(mean, 4);
      expect(next[i]).toBeCloseTo(g[i]! + mean, 4);
    }
    expect(result.used).toHaveLength(rows.length);
    expect(result.events).toEqual([]);
    expect(result.private).toBe(false);
  });

  it('refuses invalid updates with their reason and keeps them out of the aggregate', () => {
    const global = new Float32Array([1, 1]);
    const updates: ClientUpdate[] = [
      update('good', [2, 4], 1),
      update('nan', [Number.NaN, 0], 1000),
      update('short', [1], 1000),
      update('absurd', [1e7, 0], 1000),
      update('zero-examples', [5, 5], 0),
      update('good', [100, 100], 1),
    ];
    const before = updates.map((u) => u.delta.slice());
    const { global: next, result } = fedAvg().aggregate(global, updates, 3, rng);
    expect(Array.from(next)).toEqual([3, 5]);
    expect(result.used).toEqual(['good']);
    expect(result.rejected.map((r) => r.nodeId)).toEqual(['nan', 'short', 'absurd', 'zero-examples', 'good']);
    expect(result.rejected[0]!.reason).toBe('non-finite value NaN at index 0');
    expect(result.rejected[2]!.reason).toMatch(/^absurd norm/);
    expect(result.rejected[4]!.reason).toMatch(/^duplicate/);
    expect(Array.from(global)).toEqual([1, 1]); // inputs untouched
    updates.forEach((u, k) => expect(u.delta).toEqual(before[k]));
  });

  it('leaves the model unchanged when no update is valid', () => {
    const global = new Float32Array([1, 2]);
    const { global: next, result } = fedAvg().aggregate(global, [update('x', [Number.NaN, 0])], 1, rng);
    expect(Array.from(next)).toEqual([1, 2]);
    expect(next).not.toBe(global);
    expect(result.used).toEqual([]);
    expect(Array.from(result.delta)).toEqual([0, 0]);
    expect(fedAvg().aggregate(global, [], 1, rng).global).toEqual(global);
  });

  it('skips a round that has too few valid updates for Krum', () => {
    const strategy = fedAvg({ aggregator: { kind: 'krum', byzantine: 1 } });
    const updates = [1, 2, 3, 4].map((x, k) => update(`n${k}`, [x]));
    const { global: next, result } = strategy.aggregate(new Float32Array([0]), updates, 1, rng);
    expect(next[0]).toBe(0);
    expect(result.used).toEqual([]);
    expect(result.rejected[0]!.reason).toBe(
      "round skipped: aggregator 'krum' needs at least 5 valid updates, got 4",
    );
  });

  it('uses the robust aggregator it is given', () => {
    const strategy = fedAvg({ aggregator: { kind: 'median' } });
    const updates = [1, 2, 1000].map((x, k) => update(`n${k}`, [x], 1));
    expect(strategy.aggregate(new Float32Array([0]), updates, 1, rng).global[0]).toBe(2);
  });

  it('scales the step by the server learning rate', () => {
    const strategy = fedAvg({ serverLearningRate: 0.5 });
    expect(strategy.applyDelta(new Float32Array([1]), new Float32Array([2]), 0)[0]).toBe(2);
  });

  it('refuses bad options and arguments', () => {
    expectInvalidParameter(() => fedAvg({ serverLearningRate: 0 }), 'fedAvg', 'serverLearningRate');
    expectInvalidParameter(() => fedAvg({ maxUpdateNorm: -1 }), 'fedAvg', 'maxUpdateNorm');
    expectInvalidParameter(
      () => fedAvg({ aggregator: { kind: 'trimmed-mean', beta: 1 } }),
      'fedAvg',
      'aggregator.beta',
    );
    const s = fedAvg();
    expectInvalidParameter(() => s.aggregate(new Float32Array(0), [], 1, rng), 'fedavg.aggregate', 'global');
    expectInvalidParameter(() => s.aggregate(new Float32Array(1), [], -1, rng), 'fedavg.aggregate', 'round');
    expectInvalidParameter(
      () => s.applyDelta(new Float32Array(2), new Float32Array(1), 0),
      'fedavg.applyDelta',
      'delta',
    );
    expectInvalidParameter(
      () => s.applyDelta(new Float32Array(1), new Float32Array([Number.NaN]), 0),
      'fedavg.applyDelta',
      'delta[0]',
    );
  });

  it('checkpoints a JSON-safe state and refuses the state of another strategy', () => {
    const s = fedAvg();
    const state = JSON.parse(JSON.stringify(s.state()));
    expect(() => s.restore(state)).not.toThrow();
    expectInvalidParameter(
      () => s.restore({ strategy: 'fedadam', version: 1 }),
      'fedavg.restore',
      'state.strategy',
    );
  });
});

describe('fedProx', () => {
  it('is FedAvg on the server and carries mu for the nodes', () => {
    const prox = fedProx({ mu: 0.01 });
    expect(prox.name).toBe('fedprox');
    expect(prox.proximalMu).toBe(0.01);
    expect(fedAvg().proximalMu).toBe(0);
    const updates = [update('a', [1], 1), update('b', [3], 3)];
    expect(prox.aggregate(new Float32Array([0]), updates, 1, rng).global[0]).toBe(2.5);
  });

  it('refuses mu < 0', () => {
    expectInvalidParameter(() => fedProx({ mu: -0.1 }), 'fedProx', 'mu');
  });
});
