import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDomainFile, parseDomain } from './domain.js';
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
