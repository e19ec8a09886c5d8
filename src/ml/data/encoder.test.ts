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

  it("round-trips numeric columns with scaling 'none', and encodes with them unscaled", () => {
    // Arrange
    const loaded = loadCsvDataset({
      text: 'a,b,y\n-2.5,0.5,0\n7.25,9,1',
      label: 'y',
      domain: { a: { type: 'numeric', min: -3, max: 8 }, b: { type: 'numeric', min: 0, max: 4 }, y: 2 },
      numericScaling: 'none',
    });
    // Act
    const parsed = parseEncoder(JSON.stringify(loaded.encoder));
    // Assert
    expect(parsed).toEqual(loaded.encoder);
    expect(parsed.columns.map((c) => (c.type === 'numeric' ? c.scaling : c.type))).toEqual(['none', 'none']);
    expect(Array.from(loaded.dataset.features)).toEqual([-2.5, 0.5, 7.25, 4]); // 9 clipped to b's max
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
    expect(error.issues.find((i) => i.path === 'encoder.columns[0].scaling')?.allowed).toBe(
      "'unit', 'symmetric', 'none'",
    );
    const e2 = expectConfigIssue(() => parseEncoder(other), 'encoder.columns[0].type');
    expect(e2.issues.map((i) => i.path)).toContain('encoder.columns[2]');
  });
});
