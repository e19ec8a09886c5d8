/**
 * `veil synth` end to end with numeric columns declared with bins, on Titanic. The shipped Titanic CSV holds
 * codes: Age is whole years 0–89 (90 = missing), Fare a bin code (32 equal-width bins over [0, 551)). So the test
 * writes a CSV of raw numbers from it: the rows with a known age (Age as it is) and Fare as a number with cents
 * inside its original bin. Its own domain declares Age and Fare numeric with bins.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { parseModelFile } from '../../jobs/index.js';
import { loadDomainFile, readCsvTable } from '../../ml/index.js';
import { encodeTable, estimate, synthDomain } from '../../synth/index.js';
import { runVeil } from '../testing.js';

const TITANIC = join(import.meta.dirname, '../../../../shared/datasets/titanic/titanic.csv');
const dir = mkdtempSync(join(tmpdir(), 'veil-synth-numeric-'));
const csv = join(dir, 'titanic-raw.csv');
const domainPath = join(dir, 'titanic-raw-domain.json');
const FARE_EDGES = [0, 10, 25, 50, 100, 250, 600];
let header: string[] = [];
let agesAbove70 = 0;

beforeAll(() => {
  const [head, ...lines] = readFileSync(TITANIC, 'utf8').trimEnd().split('\n');
  header = head!.split(',');
  const age = header.indexOf('Age');
  const fare = header.indexOf('Fare');
  const rows = lines
    .map((l) => l.split(','))
    .filter((cells) => cells[age] !== '90')
    .map((cells, r) => {
      const code = Number(cells[fare]);
      // a fare with cents inside the original bin [code, code + 1) · 551/32
      cells[fare] = (((code + ((r * 37) % 100) / 100) * 551) / 32).toFixed(2);
      if (Number(cells[age]) > 70) agesAbove70++;
      return cells.join(',');
    });
  writeFileSync(csv, `${header.join(',')}\n${rows.join('\n')}\n`);
  writeFileSync(
    domainPath,
    JSON.stringify({
      Pclass: 3,
      Sex: 2,
      Age: { type: 'numeric', min: 0, max: 70, bins: 7, integer: true, description: 'whole years' },
      SibSp: 9,
      Parch: 7,
      Fare: { type: 'numeric', edges: FARE_EDGES, description: 'pounds' },
      Cabin: 9,
      Embarked: 3,
      Survived: 3,
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readCsv(path: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: head!.split(','), rows: lines.map((l) => l.split(',')) };
}

/** Every cell of `path` inside the domain (encodeTable refuses otherwise), nothing clipped, ages whole. */
function expectNumericCells(path: string, rows: number): void {
  const out = readCsv(path);
  expect(out.header).toEqual(header);
  expect(out.rows).toHaveLength(rows);
  const encoded = encodeTable(loadDomainFile(domainPath), readCsvTable({ path }, 'test'));
  expect(encoded.clipped.every((c) => c === 0)).toBe(true);
  const age = header.indexOf('Age');
  const fare = header.indexOf('Fare');
  for (const row of out.rows) {
    expect(row[age]).toMatch(/^\d+$/);
    expect(Number(row[age])).toBeLessThanOrEqual(70);
    const x = Number(row[fare]);
    expect(x >= 0 && x <= 600).toBe(true);
    // at most 6 significant digits: no float noise such as 12.340000000000002
    expect(row[fare]!.replace('.', '').replace(/^0+/, '').length).toBeLessThanOrEqual(6);
  }
}

describe('veil synth with numeric columns (Titanic, Age and Fare binned)', () => {
  it('fits MST over the bins, writes numbers inside them, and a saved model samples the same way', async () => {
    const out = join(dir, 'synthetic.csv');
    const model = join(dir, 'model.json');
    const args = [
      '--data',
      csv,
      '--domain',
      domainPath,
      '--method',
      'mst',
      '--epsilon',
      '1',
      '--delta',
      '1e-6',
    ];
    const run = await runVeil('--json', 'synth', ...args, '--rows', '400', '--out', out, '--save', model);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ method: 'mst', rows: 400, private: true });
    expectNumericCells(out, 400);
    // the clipped ages are counted in a warning, without their values
    expect(agesAbove70).toBeGreaterThan(0);
    expect(run.stderr).toContain(
      `column "Age": ${agesAbove70} cells were outside the declared [min, max] and clipped to it (values not shown)`,
    );
    expect(run.stderr).not.toMatch(/column "Fare"/);

    const saved = JSON.parse(readFileSync(model, 'utf8')) as { domain: Record<string, unknown> };
    expect(saved.domain['Fare']).toEqual({ type: 'numeric', edges: FARE_EDGES });
    expect(saved.domain['Age']).toEqual({
      type: 'numeric',
      edges: [0, 10, 20, 30, 40, 50, 60, 70],
      integer: true,
    });
    expect(saved.domain['Sex']).toBe(2);
    const loaded = parseModelFile(saved, model);
    const data = encodeTable(loadDomainFile(domainPath), readCsvTable({ path: csv }, 'test'));
    expect(loaded.model.domain.attrs).toEqual(data.domain.attrs);
    expect(loaded.categories).toEqual(data.categories);

    const more = join(dir, 'more.csv');
    const sample = await runVeil('synth', 'sample', '--model', model, '--rows', '300', '--out', more);
    expect(sample.code, sample.stderr).toBe(0);
    expectNumericCells(more, 300);
  });

  it('refuses a saved model whose numeric column has no bins, and still reads categorical ones', () => {
    const file = {
      format: 'veil.synth.model-file',
      version: 1,
      method: 'mst',
      epsilon: 1,
      delta: 1e-6,
      rho: 0.01,
      domain: { a: { type: 'numeric', min: 0, max: 1 }, b: 2 },
      header: ['a', 'b'],
      model: estimate(
        synthDomain([
          ['a', 2],
          ['b', 2],
        ]),
        [],
        { total: 10, iterations: 0 },
      ).toJson(),
    };
    let error: unknown;
    try {
      parseModelFile(file, 'm.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/domain\.a.*numeric entry with bins/);
    const binned = { ...file, domain: { a: { type: 'numeric', edges: [0, 0.5, 1] }, b: 2 } };
    expect(parseModelFile(binned, 'm.json').categories).toEqual([
      { kind: 'bins', edges: [0, 0.5, 1], integer: false },
      { kind: 'codes', size: 2 },
    ]);
  });
});
