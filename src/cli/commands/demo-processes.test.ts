import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { createDataset, loadCsvDataset, subset } from '../../ml/index.js';
import { demoData } from './demo-federation.js';
import { demoDomain, featureBounds, toOriginalFeatures, writeOrganisationData } from './demo-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-demo-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('the data a demo node loads', () => {
  it('is, row for row, the affine image of the in-memory features over their public bounds, labels unchanged', () => {
    // Arrange
    const data = demoData();
    const domain = join(dir, 'domain.json');
    writeFileSync(domain, JSON.stringify(demoDomain(data.nodes[0]!.train)));
    for (const n of data.nodes) {
      // Act: what `veil node` does with its data section (node.ts: loadNodeData)
      const section = writeOrganisationData(dir, n.name, n.train, n.test, domain);
      const loaded = loadCsvDataset({
        path: section.path,
        label: section.label,
        domain: section.domain,
        requireDeclaredBounds: true,
      }).dataset;
      const train = subset(loaded, range(...section.rows));
      const test = subset(loaded, range(...section.testRows));
      // Assert
      const bounds = featureBounds(n.train);
      for (const [mine, memory] of [
        [train, n.train],
        [test, n.test],
      ] as const) {
        expect(mine.numExamples).toBe(memory.numExamples);
        expect(mine.featureShape).toEqual(memory.featureShape);
        expect(Array.from(mine.labels)).toEqual(Array.from(memory.labels));
        const d = bounds.length;
        const expected = Array.from(memory.features, (x, i) => {
          const b = bounds[i % d]!;
          return Math.fround((x - b.min) / (b.max - b.min));
        });
        expect(Array.from(mine.features)).toEqual(expected);
      }
    }
  });

  it('leaves the binary features (sex, smoker) exactly as they are', () => {
    const b = featureBounds(demoData().nodes[0]!.train);
    expect(b[2]).toEqual({ min: 0, max: 1 });
    expect(b[5]).toEqual({ min: 0, max: 1 });
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

describe('toOriginalFeatures', () => {
  it('gives the logistic regression on x the logits the one on z = (x - min) / (max - min) had', () => {
    // Arrange
    const bounds = featureBounds(demoData().nodes[0]!.train);
    const d = bounds.length;
    const rng = seededRng(5);
    const global = Float32Array.from({ length: d + 1 }, () => rng.normal());
    const original = toOriginalFeatures(global, bounds);
    for (let t = 0; t < 50; t++) {
      const x = bounds.map((b) => b.min + rng.uniform() * (b.max - b.min));
      // Act
      let zLogit = global[d]!;
      let xLogit = original[d]!;
      x.forEach((v, j) => {
        zLogit += global[j]! * ((v - bounds[j]!.min) / (bounds[j]!.max - bounds[j]!.min));
        xLogit += original[j]! * v;
      });
      // Assert
      expect(xLogit).toBeCloseTo(zLogit, 4);
    }
  });

  it('refuses parameters that are not a dense layer on the features', () => {
    expect(() =>
      toOriginalFeatures(new Float32Array(5), [
        { min: 0, max: 1 },
        { min: 0, max: 2 },
      ]),
    ).toThrow(/multiple of 3/);
  });
});
