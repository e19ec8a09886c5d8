import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDataset, loadCsvDataset, subset } from '../../ml/index.js';
import { demoData } from './federation.js';
import { demoDomain, featureBounds, writeOrganisationData } from './node-data.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-demo-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('the data a demo node loads', () => {
  it("is exactly the organisation's in-memory train and test features and labels", () => {
    // Arrange
    const data = demoData();
    const domain = join(dir, 'domain.json');
    writeFileSync(domain, JSON.stringify(demoDomain(data.nodes[0]!.train)));
    for (const n of data.nodes) {
      // Act: what `veil node` does with its data section (jobs/federation/node.ts: loadNodeData)
      const section = writeOrganisationData(dir, n.name, n.train, n.test, domain);
      const loaded = loadCsvDataset({
        path: section.path,
        label: section.label,
        domain: section.domain,
        requireDeclaredBounds: true,
        numericScaling: section.numericScaling,
      }).dataset;
      const train = subset(loaded, range(...section.rows));
      const test = subset(loaded, range(...section.testRows));
      // Assert
      expect(section.numericScaling).toBe('none');
      for (const [mine, memory] of [
        [train, n.train],
        [test, n.test],
      ] as const) {
        expect(mine.numExamples).toBe(memory.numExamples);
        expect(mine.featureShape).toEqual(memory.featureShape);
        expect(mine.featureNames).toEqual(memory.featureNames);
        expect(Array.from(mine.labels)).toEqual(Array.from(memory.labels));
        expect(Array.from(mine.features)).toEqual(Array.from(memory.features));
      }
    }
  });

  it('declares public bounds that contain every value of the demo, including those outside [0, 1]', () => {
    const data = demoData();
    const bounds = featureBounds(data.nodes[0]!.train);
    const d = bounds.length;
    const all = [...data.nodes.flatMap((n) => [n.train, n.test]), data.test];
    const outside: string[] = [];
    let outsideUnit = 0;
    for (const ds of all) {
      ds.features.forEach((x, i) => {
        const b = bounds[i % d]!;
        if (!(x >= b.min && x <= b.max)) outside.push(`${ds.featureNames?.[i % d]}=${x}`);
        if (x < 0 || x > 1) outsideUnit++;
      });
    }
    expect(outside).toEqual([]);
    expect(outsideUnit).toBeGreaterThan(0);
  });

  it('refuses a value outside its public bounds (the loader would clip it) and a feature without bounds', () => {
    const ds = (x: number, name = 'age') =>
      createDataset({
        features: new Float32Array([x]),
        labels: new Int32Array([1]),
        featureShape: [1],
        numClasses: 2,
        featureNames: [name],
      });
    expect(() => writeOrganisationData(dir, 'far', ds(3), ds(0), 'd.json')).toThrow(/public bounds/);
    expect(() => featureBounds(ds(0, 'income'))).toThrow(/income/);
  });
});
