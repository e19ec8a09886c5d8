/**
 * MST end to end on UCI Adult beside the checkout (../shared/datasets/adult, hd-datasets preprocessing):
 * CSV cells → codes → MST with the graphical model of `synth/model` → sampled rows → cells. Seven of the
 * fourteen attributes and few iterations keep it fast; docs/synthetic-data.md gives the full-domain numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZcdpAccountant } from '../accounting/index.js';
import { seededRng } from '../core/index.js';
import { loadDomainFile } from '../ml/index.js';
import { decodeColumns, encodeTable } from './data.js';
import { marginalCounts } from './marginals.js';
import { rhoFor } from './measure.js';
import { mst } from './mst.js';

const ADULT = join(import.meta.dirname, '../../../shared/datasets/adult');
const COLUMNS = ['workclass', 'education-num', 'marital-status', 'relationship', 'race', 'sex', 'income>50K'];

function loadAdult() {
  const lines = readFileSync(join(ADULT, 'adult.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const at = COLUMNS.map((c) => header.indexOf(c));
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(',');
    return at.map((i) => cells[i]!);
  });
  const full = loadDomainFile(join(ADULT, 'adult-domain.json'));
  const domain = new Map(COLUMNS.map((c) => [c, full.get(c)!] as const));
  return { rows, table: { header: COLUMNS, rows }, domain };
}

function totalVariation(x: Float64Array, y: Float64Array): number {
  const nx = x.reduce((s, v) => s + v, 0);
  const ny = y.reduce((s, v) => s + v, 0);
  let sum = 0;
  for (let c = 0; c < x.length; c++) sum += Math.abs(x[c]! / nx - y[c]! / ny);
  return sum / 2;
}

describe('MST on UCI Adult', () => {
  it('fits, samples and decodes within budget, keeping the strong 2-way structure', () => {
    const { rows, table, domain } = loadAdult();
    expect(rows).toHaveLength(48_842);
    const data = encodeTable(domain, table);
    const rho = rhoFor(1, 1e-9);
    const result = mst(data, rho, seededRng(1), { selectionIterations: 100, iterations: 300 });
    const accountant = new ZcdpAccountant().compose({ kind: 'composed', events: result.events });
    expect(accountant.rho).toBeLessThanOrEqual(rho);
    expect((rho - accountant.rho) / rho).toBeLessThan(1e-14);
    expect(accountant.epsilon({ delta: 1e-9 })).toBeLessThanOrEqual(1);
    expect(result.edges).toHaveLength(COLUMNS.length - 1);
    expect(result.edges.map(([a, b]) => `${a}~${b}`)).toContain('marital-status~relationship');

    const synthetic = result.model.sample(10_000, seededRng(2));
    const cells = decodeColumns(data, synthetic);
    expect(cells.header).toEqual(COLUMNS);
    expect(cells.rows).toHaveLength(10_000);
    const synth = { domain: data.domain, columns: synthetic };
    for (const [a, b] of result.edges) {
      const tv = totalVariation(marginalCounts(data, [a, b]), marginalCounts(synth, [a, b]));
      expect(tv).toBeLessThan(0.06);
    }
  });
});
