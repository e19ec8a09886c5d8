import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCsv, encodeCsvFeatures, loadCsvDataset } from './csv.js';
import type { DomainSpec } from './domain.js';
import { expectConfigIssue, expectInvalidParameter } from './testing.js';

const CSV = ['age,colour,size,y', '20,red,0,yes', '40,green,2,no', '60,red,1,yes', '80,blue,0,no'].join('\n');
const DOMAIN: DomainSpec = {
  age: { type: 'numeric', min: 0, max: 100 },
  colour: { type: 'categorical', values: ['red', 'green', 'blue', 'white'] },
  size: 3,
  y: { type: 'categorical', values: ['no', 'yes'] },
};
const fn = 'loadCsvDataset';
/** The entries of DOMAIN for some columns only (a domain may only name columns of its CSV). */
const only = (...names: string[]): DomainSpec => Object.fromEntries(names.map((n) => [n, DOMAIN[n]!]));

describe('loadCsvDataset with a declared domain', () => {
  it('one-hot encodes categoricals, scales numerics and maps labels in declared order', () => {
    const { dataset, encoder, columns, warnings, dataDependent } = loadCsvDataset({
      text: CSV,
      label: 'y',
      domain: DOMAIN,
    });
    expect(dataset.numExamples).toBe(4);
    expect(dataset.featureShape).toEqual([8]);
    expect(dataset.numClasses).toBe(2);
    expect(dataset.classNames).toEqual(['no', 'yes']);
    expect(Array.from(dataset.labels)).toEqual([1, 0, 1, 0]);
    expect(dataset.featureNames).toEqual([
      'age',
      'colour=red',
      'colour=green',
      'colour=blue',
      'colour=white',
      'size=0',
      'size=1',
      'size=2',
    ]);
    expect(Array.from(dataset.features.subarray(8, 16))).toEqual([0.4, 0, 1, 0, 0, 0, 0, 1].map(Math.fround));
    expect(encoder.columns.map((c) => [c.name, c.offset, c.width])).toEqual([
      ['age', 0, 1],
      ['colour', 1, 4],
      ['size', 5, 3],
    ]);
    expect(columns.every((c) => c.provenance === 'declared' && c.declaredBy === 'domain')).toBe(true);
    expect(columns[0]).toMatchObject({ name: 'y', role: 'label', width: 2 });
    expect(warnings).toEqual([]);
    expect(dataDependent).toBe(false);
  });

  it('matches domain entries by name, whatever their order, and honours a feature selection', () => {
    const reordered: DomainSpec = {
      y: DOMAIN['y']!,
      size: 3,
      colour: DOMAIN['colour']!,
      age: DOMAIN['age']!,
    };
    const { dataset } = loadCsvDataset({
      text: CSV,
      label: 'y',
      domain: reordered,
      features: ['size', 'age'],
    });
    expect(dataset.featureNames).toEqual(['size=0', 'size=1', 'size=2', 'age']);
    expect(Array.from(dataset.features.subarray(0, 4))).toEqual([1, 0, 0, 0.2].map(Math.fround));
  });

  it('clips numerics to declared bounds and can scale to [-1, 1]', () => {
    const text = 'age,y\n-5,yes\n150,no\n50,no';
    const { dataset } = loadCsvDataset({
      text,
      label: 'y',
      domain: only('age', 'y'),
      numericScaling: 'symmetric',
    });
    expect(Array.from(dataset.features)).toEqual([-1, 1, 0]);
  });

  it('lets the caller declare numeric bounds, overriding a code entry', () => {
    const { dataset, columns } = loadCsvDataset({
      text: CSV,
      label: 'y',
      domain: DOMAIN,
      numericBounds: { size: { min: 0, max: 2 } },
    });
    expect(dataset.featureShape).toEqual([6]);
    expect(columns.find((c) => c.name === 'size')).toMatchObject({
      type: 'numeric',
      declaredBy: 'numericBounds',
    });
    expectInvalidParameter(
      () => loadCsvDataset({ text: CSV, label: 'y', numericBounds: { size: { min: 1, max: 0 } } }),
      fn,
      'numericBounds.size.max',
    );
    expectInvalidParameter(
      () => loadCsvDataset({ text: CSV, label: 'y', numericBounds: { weight: { min: 0, max: 1 } } }),
      fn,
      'numericBounds.weight',
    );
  });

  it('drops rows whose label is a skip value', () => {
    const text = 'x,y\n0,0\n1,2\n1,1\n0,2';
    const { dataset, skippedRows, encoder } = loadCsvDataset({
      text,
      label: 'y',
      domain: { x: 2, y: 3 },
      skipLabelValues: ['2'],
    });
    expect(skippedRows).toBe(2);
    expect(dataset.numExamples).toBe(2);
    expect(encoder.label.classes).toEqual(['0', '1']);
    expect(Array.from(dataset.labels)).toEqual([0, 1]);
  });
});

describe('loadCsvDataset without a domain (inferred encodings)', () => {
  it('infers numeric and categorical columns and reports them as a leak', () => {
    const { dataset, encoder, columns, warnings, dataDependent } = loadCsvDataset({ text: CSV, label: 'y' });
    expect(dataDependent).toBe(true);
    expect(columns.map((c) => [c.name, c.type, c.provenance])).toEqual([
      ['y', 'categorical', 'inferred-from-data'],
      ['age', 'numeric', 'inferred-from-data'],
      ['colour', 'categorical', 'inferred-from-data'],
      ['size', 'numeric', 'inferred-from-data'],
    ]);
    expect(encoder.columns[0]).toMatchObject({ min: 20, max: 80 });
    expect(encoder.columns[1]).toMatchObject({
      categories: { kind: 'values', values: ['blue', 'green', 'red'] },
    });
    expect(dataset.classNames).toEqual(['no', 'yes']);
    expect(warnings).toHaveLength(4);
    expect(warnings[1]).toMatch(/column "age": numeric bounds \[20, 80\] were computed from the data/);
    expect(warnings.join('\n')).toMatch(/numericBounds/);
  });

  it('refuses to infer anything under requireDeclaredBounds, listing every undeclared column', () => {
    const error = expectConfigIssue(
      () =>
        loadCsvDataset({
          text: CSV,
          label: 'y',
          domain: { colour: DOMAIN['colour']! },
          requireDeclaredBounds: true,
        }),
      'domain.age',
    );
    expect(error.issues.map((i) => i.path)).toEqual(['domain.y', 'domain.age', 'domain.size']);
    expect(error.message).toMatch(/requireDeclaredBounds/);
    const ok = loadCsvDataset({ text: CSV, label: 'y', domain: DOMAIN, requireDeclaredBounds: true });
    expect(ok.dataDependent).toBe(false);
  });

  it('sorts numeric-looking labels numerically', () => {
    const text = 'x,y\n1,10\n2,9\n3,10';
    expect(loadCsvDataset({ text, label: 'y' }).dataset.classNames).toEqual(['9', '10']);
  });
});

describe('loadCsvDataset refuses bad input before returning anything', () => {
  it('names the available columns when the label is missing', () => {
    const error = expectInvalidParameter(() => loadCsvDataset({ text: CSV, label: 'income' }), fn, 'label');
    expect(error.message).toMatch(/one of the CSV columns \(age, colour, size, y\)/);
  });

  it('names row, column and value for a non-number in a declared numeric column', () => {
    const text = 'age,y\n20,yes\nold,no\n30,yes';
    const domain = only('age', 'y');
    const error = expectConfigIssue(() => loadCsvDataset({ text, label: 'y', domain }), 'rows[1].age');
    expect(error.message).toMatch(/rows\[1\]\.age: must be a finite decimal number .*got "old"/);
  });

  it('refuses NaN, infinite and empty cells in numeric columns, declared or inferred', () => {
    const text = 'age,y\n20,yes\nNaN,no\n,yes\nInfinity,no\n1e999,no';
    const domain = only('age', 'y');
    const declared = expectConfigIssue(() => loadCsvDataset({ text, label: 'y', domain }), 'rows[1].age');
    expect(declared.issues.map((i) => i.path)).toEqual([
      'rows[1].age',
      'rows[2].age',
      'rows[3].age',
      'rows[4].age',
    ]);
    expect(declared.message).toMatch(/the cell is empty/);
    const inferred = expectConfigIssue(() => loadCsvDataset({ text, label: 'y' }), 'rows[2].age');
    expect(inferred.issues).toHaveLength(4);
  });

  it('names column, row and value for a category the domain does not declare', () => {
    const text = 'colour,y\nred,yes\npurple,no';
    const error = expectConfigIssue(
      () => loadCsvDataset({ text, label: 'y', domain: only('colour', 'y') }),
      'rows[1].colour',
    );
    expect(error.message).toMatch(/rows\[1\]\.colour: must be one of the declared values .*got "purple"/);
    const domain = only('size', 'y');
    expectConfigIssue(() => loadCsvDataset({ text: 'size,y\n3,yes', label: 'y', domain }), 'rows[0].size');
    expectConfigIssue(() => loadCsvDataset({ text: 'size,y\n1,maybe', label: 'y', domain }), 'rows[0].y');
  });

  it('lists the first problems and counts the rest', () => {
    const rows = Array.from({ length: 25 }, (_, i) => `x${i},yes`);
    const text = ['age,y', ...rows].join('\n');
    const domain = only('age', 'y');
    const error = expectConfigIssue(() => loadCsvDataset({ text, label: 'y', domain }), 'rows[0].age');
    expect(error.issues).toHaveLength(10);
    expect(error.message).toMatch(/first 10 of 25 problems/);
  });

  it('refuses empty, header-only, ragged and malformed files', () => {
    expect(expectConfigIssue(() => loadCsvDataset({ text: '', label: 'y' }), 'csv').message).toMatch(/empty/);
    expect(expectConfigIssue(() => loadCsvDataset({ text: 'a,y\n', label: 'y' }), 'csv').message).toMatch(
      /at least one data row/,
    );
    const ragged = expectConfigIssue(
      () => loadCsvDataset({ text: 'a,y\n1,2\n1\n1,2,3', label: 'y' }),
      'rows[1]',
    );
    expect(ragged.issues.map((i) => i.path)).toEqual(['rows[1]', 'rows[2]']);
    expectConfigIssue(() => loadCsvDataset({ text: 'a,y\n"1,2', label: 'y' }), 'csv');
    expectConfigIssue(() => loadCsvDataset({ text: 'a,a\n1,2', label: 'a' }), 'header[1]');
  });

  it('refuses a label with fewer than 2 classes', () => {
    expectConfigIssue(() => loadCsvDataset({ text: 'a,y\n1,yes\n2,yes', label: 'y' }), 'columns.y');
    expectConfigIssue(() => loadCsvDataset({ text: 'a,y\n1,0', label: 'y', domain: { y: 1 } }), 'domain.y');
    expectConfigIssue(() => loadCsvDataset({ text: 'a,y\n1,', label: 'y' }), 'rows[0].y');
  });

  it('refuses a numeric label entry and domain entries for columns the CSV lacks', () => {
    const numericLabel = { y: { type: 'numeric', min: 0, max: 1 } } as const;
    expectConfigIssue(
      () => loadCsvDataset({ text: 'a,y\n1,0', label: 'y', domain: numericLabel }),
      'domain.y',
    );
    const error = expectConfigIssue(
      () => loadCsvDataset({ text: CSV, label: 'y', domain: { weight: 3 } }),
      'domain.weight',
    );
    expect(error.message).toMatch(/a column of the CSV \(age, colour, size, y\)/);
  });

  it('refuses bad options and sources', () => {
    expectInvalidParameter(() => loadCsvDataset({ text: CSV, label: '' }), fn, 'label');
    expectInvalidParameter(
      () => loadCsvDataset({ text: CSV, label: 'y', features: ['y'] }),
      fn,
      'features[0]',
    );
    expectInvalidParameter(
      () => loadCsvDataset({ text: CSV, label: 'y', features: ['weight'] }),
      fn,
      'features[0]',
    );
    expectInvalidParameter(() => loadCsvDataset({ text: CSV, label: 'y', features: [] }), fn, 'features');
    const both = { text: CSV, path: 'x.csv', label: 'y' } as unknown as Parameters<typeof loadCsvDataset>[0];
    expectInvalidParameter(() => loadCsvDataset(both), fn, 'path/text');
    expectInvalidParameter(() => loadCsvDataset({ path: '/nonexistent/x.csv', label: 'y' }), fn, 'path');
  });
});

describe('encodeCsv and encodeCsvFeatures (a saved encoder on new rows)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('re-applies the training encoding after a JSON round trip, from a file', () => {
    const fitted = loadCsvDataset({ text: CSV, label: 'y' });
    const saved = JSON.parse(JSON.stringify(fitted.encoder));
    const path = join(dir, 'test.csv');
    writeFileSync(path, 'y,colour,size,age\nno,green,1,100\nyes,red,0,0\n');
    const { dataset } = encodeCsv({ encoder: saved, path });
    expect(dataset.featureShape).toEqual(fitted.dataset.featureShape);
    expect(Array.from(dataset.labels)).toEqual([0, 1]);
    // age clipped to the training bounds [20, 80]; size scaled with its fitted bounds [0, 2].
    expect(Array.from(dataset.features.subarray(0, 5))).toEqual([1, 0, 1, 0, 0.5]);
    expect(Array.from(dataset.features.subarray(5, 10))).toEqual([0, 0, 0, 1, 0]);
  });

  it('refuses categories the encoder does not know, and missing columns', () => {
    const { encoder } = loadCsvDataset({ text: CSV, label: 'y' });
    const unseen = 'age,colour,size,y\n30,white,1,no';
    expect(expectConfigIssue(() => encodeCsv({ encoder, text: unseen }), 'rows[0].colour').message).toMatch(
      /categories fitted on the training data/,
    );
    expectConfigIssue(() => encodeCsv({ encoder, text: 'age,colour,y\n30,red,no' }), 'header.size');
  });

  it('encodes features without needing the label column', () => {
    const { encoder } = loadCsvDataset({ text: CSV, label: 'y', domain: DOMAIN });
    const { features, numExamples } = encodeCsvFeatures({ encoder, text: 'size,age,colour\n2,50,white' });
    expect(numExamples).toBe(1);
    expect(Array.from(features)).toEqual([0.5, 0, 0, 0, 1, 0, 0, 1]);
  });
});
