import { describe, expect, it } from 'vitest';
import { ZcdpAccountant } from '../accounting/index.js';
import { seededRng } from '../core/index.js';
import { expectInvalidParameter } from './_testing.js';
import { aim } from './aim.js';
import { synthDomain } from './domain.js';
import { marginalCounts } from './marginals.js';
import { estimate, modelCells } from './model/index.js';

const domain = synthDomain([
  ['a', 3],
  ['b', 3],
  ['c', 2],
  ['d', 4],
  ['e', 2],
]);

/** Strong dependence: b copies a, c is the parity of a + b (a 3-way interaction), d follows a, e follows c. */
function dependentData(rows: number, seed: number) {
  const rng = seededRng(seed);
  const columns = domain.attrs.map(() => new Int32Array(rows));
  const [a, b, c, d, e] = columns as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  for (let r = 0; r < rows; r++) {
    a[r] = rng.uniformInt(3);
    b[r] = rng.uniform() < 0.8 ? a[r]! : rng.uniformInt(3);
    c[r] = rng.uniform() < 0.95 ? (a[r]! + b[r]!) % 2 : rng.uniformInt(2);
    d[r] = rng.uniform() < 0.9 ? a[r]! : 3;
    e[r] = rng.uniform() < 0.9 ? c[r]! : rng.uniformInt(2);
  }
  return { domain, columns };
}

function meanWorkloadTv(
  data: ReturnType<typeof dependentData>,
  model: { marginal(attrs: readonly string[]): Float64Array },
  workload: readonly (readonly string[])[],
): number {
  let sum = 0;
  for (const w of workload) {
    const counts = marginalCounts(data, w);
    const n = counts.reduce((s, x) => s + x, 0);
    const p = model.marginal(w);
    let tv = 0;
    for (let c = 0; c < counts.length; c++) tv += Math.abs(counts[c]! / n - p[c]!);
    sum += tv / 2;
  }
  return sum / workload.length;
}

const FAST = { iterations: 30, finalIterations: 200 } as const;

describe('aim', () => {
  const data = dependentData(5000, 1);

  it('spends exactly rho: its events compose (zCDP) to the rho asked for, never above', () => {
    for (const [rho, seed] of [
      [0.05, 1],
      [1, 2],
      [0.3, 3],
    ] as const) {
      const result = aim(data, rho, seededRng(seed), { ...FAST, maxRounds: 20 });
      const total = new ZcdpAccountant().compose({ kind: 'composed', events: [...result.events] }).rho;
      expect(total).toBeLessThanOrEqual(rho);
      expect((rho - total) / rho).toBeLessThan(1e-12);
      // d 1-way measurements, then a selection and a measurement per round.
      expect(result.measurements).toHaveLength(domain.attrs.length + result.rounds.length);
      expect(result.events).toHaveLength(domain.attrs.length + 2 * result.rounds.length);
      expect(result.rounds.length).toBeGreaterThan(0);
      expect(result.rounds.length).toBeLessThanOrEqual(20);
    }
  });

  it('plans its budget as the reference: sigma and epsilon from 0.9 and 0.1 of rho over T = 16 d rounds', () => {
    const rho = 0.5;
    const result = aim(data, rho, seededRng(4), FAST);
    const T = 16 * domain.attrs.length;
    const first = result.rounds[0]!;
    expect(first.sigma).toBeCloseTo(Math.sqrt(T / (2 * 0.9 * rho)), 10);
    expect(first.epsilon).toBeCloseTo(Math.sqrt((8 * 0.1 * rho) / T), 10);
    for (let i = 0; i < domain.attrs.length; i++) expect(result.measurements[i]!.sigma).toBe(first.sigma);
    // Annealing: sigma halves exactly after an annealed round (the last round spends what is left).
    for (let i = 1; i < result.rounds.length - 1; i++) {
      const prev = result.rounds[i - 1]!;
      expect(result.rounds[i]!.sigma).toBe(prev.annealed ? prev.sigma / 2 : prev.sigma);
    }
    expect(result.rounds.length).toBeLessThanOrEqual(T);
  });

  it('beats the independent model on the 3-way workload at a generous rho', () => {
    const result = aim(data, 2, seededRng(5), FAST);
    expect(result.workload).toHaveLength(10); // every 3-way marginal of 5 attributes
    const oneWay = estimate(domain, result.measurements.slice(0, domain.attrs.length), { iterations: 200 });
    const aimError = meanWorkloadTv(data, result.model, result.workload);
    const independentError = meanWorkloadTv(data, oneWay, result.workload);
    expect(aimError).toBeLessThan(0.06);
    expect(aimError).toBeLessThan(independentError / 3);
  });

  it('is reproducible with a seeded rng', () => {
    const options = { ...FAST, maxRounds: 12 };
    const x = aim(data, 0.2, seededRng(7), options);
    const y = aim(data, 0.2, seededRng(7), options);
    expect(y.rounds).toEqual(x.rounds);
    expect(y.measurements.map((m) => [...m.values])).toEqual(x.measurements.map((m) => [...m.values]));
    expect(y.model.marginal(['a', 'b', 'c'])).toEqual(x.model.marginal(['a', 'b', 'c']));
  });

  it('never selects a candidate that would take the model over maxModelCells', () => {
    // 3-way tables have 12 to 36 cells, 2-way ones 4 to 12; a cap of 30 model cells rules out most of them.
    const maxModelCells = 30;
    const result = aim(data, 5, seededRng(8), { ...FAST, maxRounds: 10, maxModelCells });
    expect(
      modelCells(
        domain,
        result.measurements.map((m) => m.attrs),
      ).total,
    ).toBeLessThanOrEqual(maxModelCells);
    const roomy = aim(data, 5, seededRng(8), { ...FAST, maxRounds: 10 });
    expect(
      modelCells(
        domain,
        roomy.measurements.map((m) => m.attrs),
      ).total,
    ).toBeGreaterThan(maxModelCells);
  });

  it('uses a given workload (candidates: its downward closure) and samples the default one', () => {
    const given = aim(data, 1, seededRng(9), { ...FAST, maxRounds: 10, workload: [['b', 'a']] });
    expect(given.workload).toEqual([['a', 'b']]);
    for (const r of given.rounds) expect(['a', 'b']).toEqual(expect.arrayContaining([...r.attrs]));
    const sampled = aim(data, 1, seededRng(9), { ...FAST, maxRounds: 10, maxWorkload: 3 });
    expect(sampled.workload).toHaveLength(3);
    for (const w of sampled.workload) expect(w).toHaveLength(3);
  });

  it('refuses a bad rho, one attribute, an empty or malformed workload and bad options', () => {
    const rng = seededRng(1);
    expectInvalidParameter(() => aim(data, 0, rng), 'aim', 'rho');
    expectInvalidParameter(() => aim(data, -1, rng), 'aim', 'rho');
    expectInvalidParameter(() => aim(data, Number.NaN, rng), 'aim', 'rho');
    const one = { domain: synthDomain([['a', 2]]), columns: [Int32Array.of(0, 1)] };
    expectInvalidParameter(() => aim(one, 1, rng), 'aim', 'data.domain');
    expectInvalidParameter(() => aim(data, 1, rng, { workload: [] }), 'aim', 'options.workload');
    expectInvalidParameter(
      () => aim(data, 1, rng, { workload: [['a', 'zz']] }),
      'aim',
      'options.workload[0]',
    );
    expectInvalidParameter(() => aim(data, 1, rng, { workload: [['a', 'a']] }), 'aim', 'options.workload[0]');
    expectInvalidParameter(() => aim(data, 1, rng, { workload: [[]] }), 'aim', 'options.workload[0]');
    expectInvalidParameter(() => aim(data, 1, rng, { maxRounds: 0 }), 'aim', 'maxRounds');
    expectInvalidParameter(() => aim(data, 1, rng, { maxModelCells: 0 }), 'aim', 'maxModelCells');
    expectInvalidParameter(() => aim(data, 1, rng, { maxWorkload: 0 }), 'aim', 'maxWorkload');
    expectInvalidParameter(
      () => aim(data, 1, rng, { maxMarginalCells: 1 }),
      'aim',
      'options.maxMarginalCells',
    );
  });
});
