/**
 * MST's domain compression: values under 3 sigma merged, the merged measurement summed with std sigma sqrt(k),
 * the model seen over the original domain (uniform spreading in marginals and samples), saved and restored; and
 * MST with it, whose privacy events are those of MST without it.
 */
import { describe, expect, it } from 'vitest';
import { ZcdpAccountant } from '../accounting/index.js';
import { seededRng } from '../core/index.js';
import {
  CompressedModel,
  compressData,
  compressionFor,
  compressMeasurement,
  type DomainCompression,
} from './compress.js';
import { synthDomain } from './domain.js';
import { estimate, type Measurement } from './model/index.js';
import { mst } from './mst.js';
import { synthModelFromJson } from './synth-model.js';

const domain = synthDomain([
  ['a', 5],
  ['b', 3],
]);
const oneWay: Measurement[] = [
  { attrs: ['a'], values: Float64Array.from([100, 2, 50, -1, 29]), sigma: 10 },
  { attrs: ['b'], values: Float64Array.from([40, 29.9, 80]), sigma: 10 },
];

describe('compressionFor / compressData / compressMeasurement', () => {
  const c = compressionFor(domain, oneWay);

  it('merges the values whose noisy count is below 3 sigma, and leaves an attribute with one such value alone', () => {
    expect(c.attributes[0]).toEqual({ attr: 'a', size: 5, kept: [0, 2], merged: [1, 3, 4] });
    expect(c.attributes[1]).toEqual({ attr: 'b', size: 3, kept: [0, 1, 2], merged: [] });
    expect([...c.compressed.sizes]).toEqual([
      ['a', 3],
      ['b', 3],
    ]);
  });

  it('maps the records and sums the merged measurement with std sigma sqrt(k)', () => {
    const data = { domain, columns: [Int32Array.from([0, 1, 2, 3, 4]), Int32Array.from([0, 1, 2, 0, 1])] };
    const small = compressData(data, c);
    expect(Array.from(small.columns[0]!)).toEqual([0, 2, 1, 2, 2]);
    expect(small.columns[1]).toBe(data.columns[1]);
    const m = compressMeasurement(oneWay[0]!, c);
    expect(Array.from(m.values)).toEqual([100, 50, 30]);
    expect(Array.from(m.scale!)).toEqual([1, 1, Math.sqrt(3)]);
    expect(compressMeasurement(oneWay[1]!, c)).toBe(oneWay[1]);
  });
});

describe('CompressedModel', () => {
  const c: DomainCompression = compressionFor(domain, oneWay);
  const inner = estimate(
    c.compressed,
    [{ attrs: ['a', 'b'], values: Float64Array.from([30, 20, 50, 10, 10, 30, 5, 5, 40]), sigma: 1 }],
    { iterations: 500 },
  );
  const model = new CompressedModel(inner, c);

  it('spreads a merged value uniformly over its values in marginals, which still sum to 1', () => {
    const p = model.marginal(['a', 'b']);
    expect(p.length).toBe(15);
    expect(p.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    const q = inner.marginal(['a', 'b']);
    // a = 1, 3, 4 share the merged cell (inner a = 2) in thirds; a = 2 is inner a = 1
    for (const b of [0, 1, 2]) {
      for (const a of [1, 3, 4]) expect(p[a * 3 + b]).toBeCloseTo(q[2 * 3 + b]! / 3, 12);
      expect(p[2 * 3 + b]).toBeCloseTo(q[1 * 3 + b]!, 12);
    }
    expect(Array.from(model.marginal(['b', 'a'])).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it('samples merged values uniformly over the values they hold', () => {
    const [a] = model.sample(60_000, seededRng(3));
    const counts = [0, 0, 0, 0, 0];
    for (const x of a!) counts[x]!++;
    const merged = counts[1]! + counts[3]! + counts[4]!;
    const p = model.marginal(['a']);
    expect(merged / 60_000).toBeCloseTo(p[1]! + p[3]! + p[4]!, 2);
    // each third within 4 binomial sigmas of merged / 3
    const sd = Math.sqrt((merged * (1 / 3) * (2 / 3)) / 1);
    for (const k of [1, 3, 4]) expect(Math.abs(counts[k]! - merged / 3)).toBeLessThan(4 * sd);
  });

  it('is saved and restored with its compression, sampling the same rows', () => {
    const restored = synthModelFromJson(JSON.parse(JSON.stringify(model.toJson())));
    expect(restored).toBeInstanceOf(CompressedModel);
    expect(Array.from((restored as CompressedModel).marginal(['a', 'b']))).toEqual(
      Array.from(model.marginal(['a', 'b'])),
    );
    expect(restored.sample(100, seededRng(9))).toEqual(model.sample(100, seededRng(9)));
    const bad = JSON.parse(JSON.stringify(model.toJson()));
    bad.attributes[0].kept = [2, 0];
    expect(() => synthModelFromJson(bad)).toThrow(/increasing codes/);
  });
});

describe('mst with compression', () => {
  // 4,000 rows; a has 20 values of which only 3 are common, so at rho 0.05 the 17 rare ones merge
  const rng = seededRng(11);
  const rows = 4000;
  const a = new Int32Array(rows);
  const b = new Int32Array(rows);
  const c = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const u = rng.uniform();
    a[i] = u < 0.95 ? Math.floor(u * 3.15) : 3 + Math.floor(rng.uniform() * 17);
    b[i] = (a[i]! + (rng.uniform() < 0.8 ? 0 : 1)) % 2;
    c[i] = rng.uniform() < 0.5 ? b[i]! : 2;
  }
  const data = {
    domain: synthDomain([
      ['a', 20],
      ['b', 2],
      ['c', 3],
    ]),
    columns: [a, b, c],
  };

  it('fits over the compressed domain, returns a model over the original one, and spends what MST spends', () => {
    const rho = 0.05;
    const withIt = mst(data, rho, seededRng(1), { iterations: 300, selectionIterations: 100 });
    const without = mst(data, rho, seededRng(1), {
      iterations: 300,
      selectionIterations: 100,
      compress: false,
    });
    expect(withIt.compression?.attributes[0]?.merged.length ?? 0).toBeGreaterThan(10);
    expect(withIt.model.domain).toBe(data.domain);
    const p = withIt.model.marginal(['a', 'b']);
    expect(p.length).toBe(40);
    expect(p.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 10);
    expect(withIt.events).toEqual(without.events);
    const composed = new ZcdpAccountant().compose({ kind: 'composed', events: withIt.events }).rho;
    expect(composed).toBeLessThanOrEqual(rho);
    // the b-c dependence is kept
    const bc = withIt.model.marginal(['b', 'c']);
    expect(bc[0 * 3 + 0]! + bc[1 * 3 + 1]!).toBeGreaterThan(0.4);
    expect(() => mst(data, rho, seededRng(1), { estimate, compress: true })).toThrow(/custom estimator/);
  });
});
