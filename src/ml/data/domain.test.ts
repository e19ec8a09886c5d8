import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDomainFile, MAX_BINS, type NumericDomain, parseDomain } from './domain.js';
import { expectConfigIssue, expectInvalidParameter } from './testing.js';

const ADULT_DOMAIN = join(import.meta.dirname, '../../../../shared/datasets/adult/adult-domain.json');

describe('parseDomain', () => {
  it('reads the private-pgm format: a number N is a categorical column of codes 0..N-1', () => {
    const domain = loadDomainFile(ADULT_DOMAIN);
    expect(domain.size).toBe(14);
    expect(domain.get('age')).toEqual({ type: 'categorical', categories: { kind: 'codes', size: 85 } });
    expect(domain.get('income>50K')).toEqual({ type: 'categorical', categories: { kind: 'codes', size: 2 } });
  });

  it('reads the extended entries', () => {
    const domain = parseDomain({
      sex: { type: 'categorical', size: 2, description: '0 female, 1 male' },
      colour: { type: 'categorical', values: ['red', ' green '] },
      age: { type: 'numeric', min: 17, max: 90 },
    });
    expect(domain.get('sex')).toEqual({ type: 'categorical', categories: { kind: 'codes', size: 2 } });
    expect(domain.get('colour')).toEqual({
      type: 'categorical',
      categories: { kind: 'values', values: ['red', 'green'] },
    });
    expect(domain.get('age')).toEqual({ type: 'numeric', min: 17, max: 90 });
  });

  it('reports every bad entry at once, each with its path', () => {
    let error = expectConfigIssue(
      () =>
        parseDomain({
          a: 0,
          b: 2.5,
          c: 'five',
          d: { type: 'numeric', min: 3, max: 3 },
          e: { type: 'numeric', min: 'low', max: 1 },
          f: { type: 'categorical', size: 2, values: ['x', 'y'] },
          g: { type: 'categorical', values: ['x', 'x'] },
          h: { type: 'ordinal' },
          i: { type: 'numeric', min: 0, max: 1, step: 0.1 },
          j: { type: 'categorical', values: [] },
        }),
      'domain.a',
    );
    expect(error.issues.map((i) => i.path)).toEqual([
      'domain.a',
      'domain.b',
      'domain.c',
      'domain.d.max',
      'domain.e.min',
      'domain.f',
      'domain.g.values[1]',
      'domain.h.type',
      'domain.i.step',
      'domain.j.values',
    ]);
    expect(error.message).toMatch(/domain\.d\.max: must be a finite number > min \(3\), got 3/);
    error = expectConfigIssue(() => parseDomain([1, 2]), 'domain');
    expect(error.message).toMatch(/a JSON object of column name/);
  });
});

describe('parseDomain: numeric bins', () => {
  it('normalises "bins" to equal-width edges and keeps declared edges; min and max follow the edges', () => {
    const domain = parseDomain({
      age: { type: 'numeric', min: 0, max: 90, bins: 9, integer: true },
      fare: { type: 'numeric', edges: [0, 7.5, 15, 600] },
      same: { type: 'numeric', min: -1, max: 1, edges: [-1, 0, 1], integer: false },
      one: { type: 'numeric', min: 0.1, max: 0.3, bins: 3 },
    });
    expect(domain.get('age')).toEqual({
      type: 'numeric',
      min: 0,
      max: 90,
      edges: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90],
      integer: true,
    });
    expect(domain.get('fare')).toEqual({ type: 'numeric', min: 0, max: 600, edges: [0, 7.5, 15, 600] });
    expect(domain.get('same')).toEqual({ type: 'numeric', min: -1, max: 1, edges: [-1, 0, 1] });
    const edges = (domain.get('one') as NumericDomain).edges ?? [];
    expect(edges).toHaveLength(4);
    expect(edges[0]).toBe(0.1);
    expect(edges[3]).toBe(0.3);
    expect(edges[1]).toBeCloseTo(0.1666667, 6);
  });

  it('allows the largest number of bins, and integer columns whose bins each hold a whole number', () => {
    const domain = parseDomain({
      x: { type: 'numeric', min: 0, max: 1, bins: MAX_BINS },
      n: { type: 'numeric', edges: [0.5, 1.5, 2.5, 3], integer: true },
      m: { type: 'numeric', min: 0, max: 1, bins: 1, integer: true },
    });
    expect((domain.get('x') as NumericDomain).edges).toHaveLength(MAX_BINS + 1);
    expect(domain.get('n')).toMatchObject({ min: 0.5, max: 3, integer: true });
  });

  it('a numeric entry without bins is still what veil train reads', () => {
    expect(parseDomain({ age: { type: 'numeric', min: 17, max: 90 } }).get('age')).toEqual({
      type: 'numeric',
      min: 17,
      max: 90,
    });
  });

  const bad: readonly [string, unknown, string, RegExp][] = [
    ['bins 0', { type: 'numeric', min: 0, max: 1, bins: 0 }, 'domain.x.bins', /integer in \[1, 100000\]/],
    ['bins 2.5', { type: 'numeric', min: 0, max: 1, bins: 2.5 }, 'domain.x.bins', /integer in/],
    ['too many bins', { type: 'numeric', min: 0, max: 1, bins: MAX_BINS + 1 }, 'domain.x.bins', /integer in/],
    ['bins as text', { type: 'numeric', min: 0, max: 1, bins: '10' }, 'domain.x.bins', /integer in/],
    ['bins without max', { type: 'numeric', min: 0, bins: 4 }, 'domain.x.max', /finite number/],
    [
      'bins below float resolution',
      { type: 'numeric', min: 1, max: 1 + 2 ** -50, bins: 1000 },
      'domain.x.bins',
      /narrower than floating-point resolution/,
    ],
    ['bins and edges', { type: 'numeric', bins: 2, edges: [0, 1, 2] }, 'domain.x', /at most one of/],
    ['one edge', { type: 'numeric', edges: [0] }, 'domain.x.edges', /2 to 100001 bin edges/],
    ['edges not an array', { type: 'numeric', edges: '0,1' }, 'domain.x.edges', /array of 2 to/],
    [
      'edges not increasing',
      { type: 'numeric', edges: [0, 2, 2, 3] },
      'domain.x.edges[2]',
      /previous edge \(2\)/,
    ],
    ['edges decreasing', { type: 'numeric', edges: [0, 3, 1] }, 'domain.x.edges[2]', /strictly increase/],
    ['an infinite edge', { type: 'numeric', edges: [0, 1, null] }, 'domain.x.edges[2]', /finite number/],
    ['min off the edges', { type: 'numeric', min: 1, edges: [0, 1, 2] }, 'domain.x.min', /first edge \(0\)/],
    ['max off the edges', { type: 'numeric', max: 3, edges: [0, 1, 2] }, 'domain.x.max', /last edge \(2\)/],
    [
      'integer as text',
      { type: 'numeric', min: 0, max: 1, integer: 'yes' },
      'domain.x.integer',
      /true or false/,
    ],
    [
      'integer bin without a whole number',
      { type: 'numeric', edges: [0, 1.2, 1.8, 3], integer: true },
      'domain.x.edges',
      /bin 1, \[1\.2, 1\.8\) holds none/,
    ],
    [
      'integer right-open bin ending at a whole number',
      { type: 'numeric', edges: [0, 0.5, 1, 3], integer: true },
      'domain.x.edges',
      /bin 1, \[0\.5, 1\) holds none/,
    ],
    [
      'integer equal-width bins too narrow',
      { type: 'numeric', min: 0, max: 1, bins: 4, integer: true },
      'domain.x.bins',
      /bin 1, \[0\.25, 0\.5\) holds none/,
    ],
  ];
  it.each(bad)('refuses %s at its path', (_, entry, path, message) => {
    const error = expectConfigIssue(() => parseDomain({ x: entry }), path);
    expect(error.message).toMatch(message);
  });

  it('reports every bad numeric entry at once, and at most ten bad edges of one entry', () => {
    const edges = Array.from({ length: 30 }, () => 'x');
    const error = expectConfigIssue(
      () =>
        parseDomain({
          a: { type: 'numeric', min: 0, max: 1, bins: -1 },
          b: { type: 'numeric', edges },
          c: { type: 'numeric', min: 0, max: 10, bins: 2, integer: 1 },
        }),
      'domain.a.bins',
    );
    expect(error.issues.map((i) => i.path)).toEqual([
      'domain.a.bins',
      ...Array.from({ length: 10 }, (_, i) => `domain.b.edges[${i}]`),
      'domain.c.integer',
    ]);
  });
});

describe('loadDomainFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-domain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a file that is not valid JSON, naming the file', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"age": 85,');
    const error = expectConfigIssue(() => loadDomainFile(path), 'domain');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/valid JSON/);
  });

  it('refuses a bad entry in a file with its path', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ age: -1 }));
    expectConfigIssue(() => loadDomainFile(path), 'domain.age');
  });

  it('refuses a missing file', () => {
    const error = expectInvalidParameter(
      () => loadDomainFile(join(dir, 'none.json')),
      'loadDomainFile',
      'path',
    );
    expect(error.message).toMatch(/ENOENT/);
  });
});
