import { describe, expect, it } from 'vitest';
import { loadCsvDataset } from './csv.js';
import { type Encoder, parseEncoder } from './encoder.js';
import { expectConfigIssue } from './testing.js';

const CSV = 'age,colour,y\n20,red,yes\n40,green,no\n60,red,yes';

function fitted(): Encoder {
  return loadCsvDataset({
    text: CSV,
    label: 'y',
    domain: {
      colour: { type: 'categorical', values: ['red', 'green'] },
      y: { type: 'categorical', values: ['no', 'yes'] },
    },
    skipLabelValues: [],
    numericBounds: { age: { min: 0, max: 100 } },
  }).encoder;
}

function fittedInferred(): Encoder {
  return loadCsvDataset({ text: CSV, label: 'y' }).encoder;
}

describe('parseEncoder', () => {
  it('round-trips through JSON text and objects', () => {
    for (const encoder of [
      fittedInferred(),
      loadCsvDataset({ text: 'a,y\n1,0\n2,1', label: 'y', domain: { y: 2 } }).encoder,
    ]) {
      const text = JSON.stringify(encoder);
      expect(parseEncoder(text)).toEqual(encoder);
      expect(parseEncoder(JSON.parse(text))).toEqual(encoder);
    }
  });

  it('refuses text that is not JSON, a wrong format tag or version', () => {
    expectConfigIssue(() => parseEncoder('{'), 'encoder');
    expectConfigIssue(() => parseEncoder(42), 'encoder');
    const json = JSON.parse(JSON.stringify(fittedInferred()));
    const error = expectConfigIssue(
      () => parseEncoder({ ...json, format: 'other', version: 2 }),
      'encoder.format',
    );
    expect(error.issues.map((i) => i.path)).toEqual(['encoder.format', 'encoder.version']);
  });

  it('refuses edited offsets, widths and classes', () => {
    const json = JSON.parse(JSON.stringify(fittedInferred()));
    json.columns[1].offset = 3;
    json.width = 9;
    json.label.classes = ['yes', 'no'];
    const error = expectConfigIssue(() => parseEncoder(json), 'encoder.columns[1].offset');
    expect(error.issues.map((i) => i.path)).toEqual([
      'encoder.columns[1].offset',
      'encoder.width',
      'encoder.label.classes',
    ]);
  });

  it('refuses bad columns and labels, each with its path', () => {
    const json = JSON.parse(JSON.stringify(fitted()));
    json.columns[0].min = 'low';
    json.columns[0].scaling = 'log';
    json.columns[1].categories = { kind: 'values', values: ['red', 'red'] };
    json.label.provenance = 'guessed';
    json.label.categories = { kind: 'codes', size: 0 };
    const error = expectConfigIssue(() => parseEncoder(json), 'encoder.columns[0].min');
    expect(error.issues.map((i) => i.path)).toEqual([
      'encoder.label.categories.size',
      'encoder.label.provenance',
      'encoder.columns[0].min',
      'encoder.columns[0].max',
      'encoder.columns[0].scaling',
      'encoder.columns[1].categories.values',
    ]);
    const other = JSON.parse(JSON.stringify(fitted()));
    other.columns[0].type = 'ordinal';
    other.columns = [...other.columns, 'x'];
    const e2 = expectConfigIssue(() => parseEncoder(other), 'encoder.columns[0].type');
    expect(e2.issues.map((i) => i.path)).toContain('encoder.columns[2]');
  });
});
