import { describe, expect, it } from 'vitest';
import { createAccountant, ZcdpAccountant } from '../accounting/index.js';
import { seededRng } from '../core/index.js';
import { expectInvalidParameter } from './_testing.js';
import { type SynthDomain, synthDomain } from './domain.js';
import type { Measurement } from './model/index.js';
import { type FittedModel, mst, selectTree } from './mst.js';

/**
 * A stand-in for `synth/model`'s estimate: the independent model of the 1-way measurements (noisy counts
 * clipped at 0 and normalised). Enough to test MST's selection and budget without graphical-model inference.
 */
function independentEstimate(_domain: SynthDomain, measurements: readonly Measurement[]): FittedModel {
  const oneWay = new Map<string, Float64Array>();
  let total = 0;
  let k = 0;
  for (const m of measurements) {
    if (m.attrs.length !== 1) continue;
    const p = m.values.map((y) => Math.max(y, 0));
    const sum = p.reduce((s, x) => s + x, 0);
    total += m.values.reduce((s, x) => s + x, 0);
    k++;
    oneWay.set(m.attrs[0]!, sum > 0 ? p.map((x) => x / sum) : p.fill(1 / p.length));
  }
  return {
    total: total / k,
    marginal(attrs) {
      let out = Float64Array.of(1);
      for (const a of attrs) {
        const p = oneWay.get(a)!;
        const next = new Float64Array(out.length * p.length);
        for (let i = 0; i < out.length; i++)
          for (let j = 0; j < p.length; j++) next[i * p.length + j] = out[i]! * p[j]!;
        out = next;
      }
      return out;
    },
  };
}

const domain = synthDomain([
  ['a', 3],
  ['b', 3],
  ['c', 2],
  ['d', 4],
  ['e', 2],
]);

/** A chain a → b → c, with d ← a and e independent: the true tree has edges ab, bc, ad and e anywhere. */
function chainData(rows: number, seed: number) {
  const rng = seededRng(seed);
  const columns = domain.attrs.map(() => new Int32Array(rows));
  const [a, b, c, d, e] = columns as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  for (let r = 0; r < rows; r++) {
    a[r] = rng.uniformInt(3);
    b[r] = rng.uniform() < 0.9 ? a[r]! : rng.uniformInt(3);
    c[r] = rng.uniform() < 0.9 ? b[r]! % 2 : rng.uniformInt(2);
    d[r] = rng.uniform() < 0.9 ? a[r]! : 3;
    e[r] = rng.uniformInt(2);
  }
  return { domain, columns };
}

function isSpanningTree(edges: readonly (readonly [string, string])[], attrs: readonly string[]): boolean {
  const parent = new Map(attrs.map((x) => [x, x]));
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  for (const [u, v] of edges) {
    if (find(u) === find(v)) return false;
    parent.set(find(u), find(v));
  }
  return edges.length === attrs.length - 1;
}

describe('mst', () => {
  const data = chainData(4000, 1);

  it('spends exactly rho: its events compose (zCDP) to the rho asked for, never above', () => {
    for (const [rho, width] of [
      [0.01497305767358853, 5],
      [1 / 3, 3],
      [0.7, 5],
      [2, 7],
    ] as const) {
      const attrs = domain.attrs.slice(0, width);
      const sub = {
        domain: synthDomain(attrs.map((a) => [a, domain.sizes.get(a)!] as const)),
        columns: data.columns.slice(0, width),
      };
      const { events } = mst(sub, rho, seededRng(2), { estimate: independentEstimate });
      const accountant = new ZcdpAccountant();
      for (const event of events) accountant.compose(event);
      expect(accountant.rho).toBeLessThanOrEqual(rho);
      expect((rho - accountant.rho) / rho).toBeLessThan(1e-14);
      expect(new ZcdpAccountant().compose({ kind: 'composed', events }).rho).toBe(accountant.rho);
      expect(
        createAccountant('rdp').compose({ kind: 'composed', events }).epsilon({ delta: 1e-6 }),
      ).toBeGreaterThan(0);
    }
  });

  it('splits rho in thirds as the reference: d 1-way, d - 1 selections, d - 1 2-way marginals', () => {
    const rho = 0.3;
    const { events, measurements, edges } = mst(data, rho, seededRng(3), { estimate: independentEstimate });
    const d = domain.attrs.length;
    expect(measurements.map((m) => m.attrs.length)).toEqual([...Array(d).fill(1), ...Array(d - 1).fill(2)]);
    expect(measurements.slice(d).map((m) => m.attrs)).toEqual(edges);
    const rhoOf = (i: number) => new ZcdpAccountant().compose(events[i]!).rho;
    expect(rhoOf(0)).toBeCloseTo(rho / 3 / d, 15);
    expect(events[d]).toMatchObject({ kind: 'zcdp', mechanism: 'exponential' });
    expect(rhoOf(d)).toBeCloseTo(rho / 3 / (d - 1), 15);
    expect(rhoOf(events.length - 1)).toBeCloseTo(rho / 3 / (d - 1), 15);
    expect(measurements[0]!.sigma).toBeCloseTo(Math.sqrt((3 * d) / (2 * rho)), 12);
  });

  it('returns a spanning tree, and with a large budget the true dependencies', () => {
    const { edges, model } = mst(data, 50, seededRng(4), { estimate: independentEstimate });
    expect(isSpanningTree(edges, domain.attrs)).toBe(true);
    const names = edges.map(([u, v]) => u + v);
    expect(names).toEqual(expect.arrayContaining(['ab', 'bc', 'ad']));
    expect(model.total).toBeCloseTo(4000, -1);
  });

  it('passes iteration counts and a warm start to the estimator', () => {
    const calls: unknown[] = [];
    const estimate = (
      d: SynthDomain,
      m: readonly Measurement[],
      options?: { iterations?: number; warmStart?: FittedModel },
    ) => {
      calls.push({
        measurements: m.length,
        iterations: options?.iterations,
        warm: options?.warmStart !== undefined,
      });
      return independentEstimate(d, m);
    };
    mst(data, 1, seededRng(5), { estimate, selectionIterations: 10, iterations: 20 });
    expect(calls).toEqual([
      { measurements: 5, iterations: 10, warm: false },
      { measurements: 9, iterations: 20, warm: true },
    ]);
  });

  it('is reproducible with a seeded rng', () => {
    const one = mst(data, 0.2, seededRng(6), { estimate: independentEstimate });
    const two = mst(data, 0.2, seededRng(6), { estimate: independentEstimate });
    expect(one.edges).toEqual(two.edges);
    expect(one.measurements[0]!.values).toEqual(two.measurements[0]!.values);
  });

  it('refuses a bad rho and a domain of one attribute', () => {
    expectInvalidParameter(() => mst(data, 0, seededRng(7), { estimate: independentEstimate }), 'mst', 'rho');
    const one = { domain: synthDomain([['a', 2]]), columns: [Int32Array.of(0, 1)] };
    expectInvalidParameter(
      () => mst(one, 1, seededRng(7), { estimate: independentEstimate }),
      'mst',
      'data.domain',
    );
  });
});

describe('selectTree', () => {
  it('picks the maximum spanning tree of the L1 errors when the budget is huge', () => {
    const data = chainData(4000, 8);
    const exact: FittedModel = independentEstimate(
      domain,
      domain.attrs.map((a, i) => {
        const values = new Float64Array(domain.sizes.get(a)!);
        for (const x of data.columns[i]!) values[x]!++;
        return { attrs: [a], values, sigma: 1 };
      }),
    );
    const { edges, events } = selectTree(data, exact, 1e6, seededRng(9));
    expect(isSpanningTree(edges, domain.attrs)).toBe(true);
    expect(
      edges
        .slice(0, 3)
        .map(([u, v]) => u + v)
        .sort(),
    ).toEqual(['ab', 'ad', 'bc']);
    expect(events).toHaveLength(4);
  });

  it('refuses a bad rho and a domain of one attribute', () => {
    const data = chainData(10, 10);
    const model = independentEstimate(domain, []);
    expectInvalidParameter(() => selectTree(data, model, -1, seededRng(11)), 'selectTree', 'rho');
    const one = { domain: synthDomain([['a', 2]]), columns: [Int32Array.of(0, 1)] };
    expectInvalidParameter(() => selectTree(one, model, 1, seededRng(11)), 'selectTree', 'data.domain');
  });
});
