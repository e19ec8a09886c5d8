import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../_testing.js';
import { table } from './_tables.js';
import { closestRecords, exactCopyRate, rowKeys, sampleRows, summariseDistances } from './records.js';

// a hand-made table over three attributes of sizes 3, 2, 4
const train = table(
  [3, 2, 4],
  [
    [0, 0, 0],
    [1, 1, 3],
    [2, 0, 1],
    [2, 0, 1],
  ],
);
const synthetic = table(
  [3, 2, 4],
  [
    [0, 0, 0], // a copy: distance 0
    [1, 1, 2], // one attribute from [1, 1, 3]
    [2, 1, 1], // one attribute from [2, 0, 1] (twice in train: 2 ties)
    [1, 0, 2], // two from [0, 0, 0], [1, 1, 3] and [2, 0, 1] (x2)
  ],
);

describe('exactCopyRate', () => {
  it('counts rows equal on every attribute to some reference row', () => {
    expect(exactCopyRate(synthetic, train)).toEqual({ rows: 4, copies: 1, rate: 0.25 });
    expect(exactCopyRate(train, train).rate).toBe(1);
  });

  it('keys rows by all their codes', () => {
    expect(rowKeys(train)).toEqual(['0,0,0', '1,1,3', '2,0,1', '2,0,1']);
  });

  it('refuses tables over different domains', () => {
    expectInvalidParameter(() => exactCopyRate(table([3, 2], [[0, 0]]), train), 'exactCopyRate', 'synthetic');
  });
});

describe('closestRecords', () => {
  it('gives the Hamming distance to the closest reference row and how many rows are that close', () => {
    const { distance, ties } = closestRecords(synthetic, train);
    expect([...distance]).toEqual([0, 1, 1, 2]);
    expect([...ties]).toEqual([1, 1, 2, 4]);
  });

  it('places only the rows asked for, against only the reference rows asked for', () => {
    const { distance } = closestRecords(synthetic, train, {
      rows: Int32Array.of(3, 0),
      referenceRows: Int32Array.of(1),
    });
    expect([...distance]).toEqual([2, 3]);
  });

  it('summarises distances', () => {
    const s = summariseDistances(Int32Array.of(0, 1, 1, 2), 3);
    expect(s.mean).toBe(1);
    expect(s.histogram).toEqual([0.25, 0.5, 0.25, 0]);
    expect(s.quantiles).toMatchObject({ min: 0, median: 1, max: 2 });
  });
});

describe('sampleRows', () => {
  it('draws distinct rows, seeded, and all rows when asked for as many', () => {
    const a = sampleRows(100, 10, seededRng(2));
    expect(new Set(a).size).toBe(10);
    expect([...a]).toEqual([...sampleRows(100, 10, seededRng(2))]);
    expect([...sampleRows(3, 5, seededRng(2))]).toEqual([0, 1, 2]);
  });
});
