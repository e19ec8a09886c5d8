/**
 * The loader on the real tabular datasets beside the checkout (../shared/datasets, see their READMEs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCsvDataset } from './csv.js';
import { classCounts } from './dataset.js';
import { splitAt } from './split.js';

const DATASETS = join(import.meta.dirname, '../../../../shared/datasets');
const ADULT = join(DATASETS, 'adult');
const TITANIC = join(DATASETS, 'titanic');

describe('UCI Adult', () => {
  it('is found beside the checkout', () => {
    expect(existsSync(join(ADULT, 'adult.csv'))).toBe(true);
  });

  it('loads 48,842 rows one-hot over the declared domain, and splits into the two UCI files', () => {
    const { dataset, columns, dataDependent, warnings } = loadCsvDataset({
      path: join(ADULT, 'adult.csv'),
      label: 'income>50K',
      domain: join(ADULT, 'adult-domain.json'),
      requireDeclaredBounds: true,
    });
    // 85 + 9 + 100 + 16 + 7 + 15 + 6 + 5 + 2 + 100 + 100 + 99 + 42 codes (the label's 2 excluded).
    expect(dataset.numExamples).toBe(48_842);
    expect(dataset.featureShape).toEqual([586]);
    expect(dataset.numClasses).toBe(2);
    expect(dataDependent).toBe(false);
    expect(warnings).toEqual([]);
    expect(columns).toHaveLength(14);
    // Exactly one slot set per categorical column in every row.
    let ones = 0;
    for (let i = 0; i < dataset.features.length; i++) ones += dataset.features[i]!;
    expect(ones).toBe(48_842 * 13);

    const { train, test } = splitAt(dataset, 32_561);
    expect([train.numExamples, test.numExamples]).toEqual([32_561, 16_281]);
    const rate = (counts: number[]) => counts[1]! / (counts[0]! + counts[1]!);
    expect(rate(classCounts(train))).toBeCloseTo(0.2408, 4);
    expect(rate(classCounts(test))).toBeCloseTo(0.2362, 4);
  });
});

describe('Titanic', () => {
  it('matches the domain by name (it lists columns in another order) and drops unlabelled rows', () => {
    const { dataset, encoder, skippedRows } = loadCsvDataset({
      path: join(TITANIC, 'titanic.csv'),
      label: 'Survived',
      domain: join(TITANIC, 'titanic-domain.json'),
      skipLabelValues: ['2'],
      requireDeclaredBounds: true,
    });
    expect(skippedRows).toBe(415);
    expect(dataset.numExamples).toBe(889);
    expect(encoder.columns.map((c) => c.name)).toEqual([
      'Pclass',
      'Sex',
      'Age',
      'SibSp',
      'Parch',
      'Fare',
      'Cabin',
      'Embarked',
    ]);
    // 3 + 2 + 91 + 9 + 7 + 32 + 9 + 3
    expect(dataset.featureShape).toEqual([156]);
    expect(classCounts(dataset)).toEqual([549, 340]);
  });
});
