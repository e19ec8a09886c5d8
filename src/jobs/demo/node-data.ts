/**
 * The data a node of the demo over processes loads: a node reads a CSV with a domain file. The demo's features are
 * already on public scales (age², blood pressure in standard units, …), so each organisation's rows are written as
 * they are, the domain declares public bounds that contain every value ({@link DEMO_FEATURE_BOUNDS}), and the
 * node's data section asks for `numericScaling: 'none'` (clip to the bounds, keep the value): the nodes train on
 * exactly the in-memory features, and the global model needs no conversion.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameterError } from '../../core/index.js';
import type { Dataset } from '../../ml/index.js';

const LABEL = 'label';

/** Public bounds of a feature (declared before any record is read). */
export interface FeatureBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * Public bounds of the demo's features, from the patient generator's documented ranges (`ml/data/hospitals.ts`:
 * age 18–95, BMI 15–60, systolic pressure 80–220) through the demo's feature formulas, rounded outward (float32
 * values of the endpoints must not be clipped). Declared before any record is read; with `numericScaling: 'none'`
 * the loader clips to them and keeps the value, so every demo value loads unchanged.
 */
export const DEMO_FEATURE_BOUNDS: Readonly<Record<string, FeatureBounds>> = Object.freeze({
  age: { min: -1.51, max: 2.78 }, // (age − 45) / 18
  'age^2': { min: 0, max: 7.72 },
  sex: { min: 0, max: 1 },
  bmi: { min: -2.17, max: 5.34 }, // (bmi − 28) / 6
  systolicBp: { min: -2.51, max: 4.51 }, // (bp − 130) / 20
  smoker: { min: 0, max: 1 },
});

/** The bounds of each feature column, in order. @throws {InvalidParameterError} for a feature without bounds */
export function featureBounds(ds: Dataset): FeatureBounds[] {
  const d = ds.features.length / Math.max(1, ds.numExamples);
  const names = ds.featureNames ?? Array.from({ length: d }, (_, j) => `x${j}`);
  return names.map((name) => {
    const b = DEMO_FEATURE_BOUNDS[name];
    if (!b) {
      throw new InvalidParameterError({
        fn: 'runInProcesses',
        param: `data feature ${name}`,
        value: name,
        allowed: `a feature with public bounds: ${Object.keys(DEMO_FEATURE_BOUNDS).join(', ')}`,
      });
    }
    return b;
  });
}

/**
 * Writes one organisation's train rows then test rows as a CSV (the in-memory float32 values, written so they parse
 * back exactly) and returns the node's `data` section, which keeps numeric values as they are
 * (`numericScaling: 'none'`). The domain file is shared by every node.
 * @throws {InvalidParameterError} when a value lies outside its bounds (the loader would clip it)
 */
export function writeOrganisationData(
  dir: string,
  name: string,
  train: Dataset,
  test: Dataset,
  domainPath: string,
): {
  kind: 'csv';
  path: string;
  label: string;
  domain: string;
  rows: [number, number];
  testRows: [number, number];
  numericScaling: 'none';
} {
  const bounds = featureBounds(train);
  const d = bounds.length;
  const names = train.featureNames ?? bounds.map((_, j) => `x${j}`);
  const lines = [[...names, LABEL].join(',')];
  for (const ds of [train, test]) {
    for (let i = 0; i < ds.numExamples; i++) {
      const row: string[] = [];
      for (let j = 0; j < d; j++) {
        const x = ds.features[i * d + j]!;
        if (!(x >= bounds[j]!.min && x <= bounds[j]!.max)) {
          throw new InvalidParameterError({
            fn: 'runInProcesses',
            param: `${name}: feature ${names[j]}`,
            value: x,
            allowed: `a value within its public bounds [${bounds[j]!.min}, ${bounds[j]!.max}]`,
          });
        }
        row.push(String(x));
      }
      row.push(String(ds.labels[i]));
      lines.push(row.join(','));
    }
  }
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return {
    kind: 'csv',
    path,
    label: LABEL,
    domain: domainPath,
    rows: [0, train.numExamples],
    testRows: [train.numExamples, train.numExamples + test.numExamples],
    numericScaling: 'none',
  };
}

/** The domain file of the CSVs {@link writeOrganisationData} writes. */
export function demoDomain(ds: Dataset): Record<string, unknown> {
  const bounds = featureBounds(ds);
  const names = ds.featureNames ?? bounds.map((_, j) => `x${j}`);
  return {
    ...Object.fromEntries(names.map((n, j) => [n, { type: 'numeric', ...bounds[j]! }])),
    [LABEL]: ds.numClasses,
  };
}
