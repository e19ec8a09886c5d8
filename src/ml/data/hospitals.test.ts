import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { DEMO_HOSPITALS, generateHospital } from './hospitals.js';

describe('demo hospitals', () => {
  it('generates the requested records within their declared ranges', () => {
    const rows = generateHospital(DEMO_HOSPITALS[0]!, seededRng(1));
    expect(rows).toHaveLength(DEMO_HOSPITALS[0]!.records);
    for (const r of rows) {
      expect(r.age).toBeGreaterThanOrEqual(18);
      expect(r.age).toBeLessThanOrEqual(95);
      expect(r.bmi).toBeGreaterThanOrEqual(15);
      expect(r.systolicBp).toBeLessThanOrEqual(220);
    }
  });

  it('is reproducible for a seed and non-IID across hospitals', () => {
    const a = generateHospital(DEMO_HOSPITALS[1]!, seededRng(2));
    expect(generateHospital(DEMO_HOSPITALS[1]!, seededRng(2))).toEqual(a);
    const mean = (rows: readonly { age: number }[]) => rows.reduce((s, r) => s + r.age, 0) / rows.length;
    const city = generateHospital(DEMO_HOSPITALS[0]!, seededRng(3));
    expect(mean(a) - mean(city)).toBeGreaterThan(15);
    const rate = (rows: readonly { diabetes: number }[]) =>
      rows.reduce((s, r) => s + r.diabetes, 0) / rows.length;
    expect(rate(a)).toBeGreaterThan(rate(city));
  });

  it('refuses a bad record count', () => {
    expect(() => generateHospital({ ...DEMO_HOSPITALS[0]!, records: 0 }, seededRng(1))).toThrow(
      /profile.records must be an integer >= 1/,
    );
  });
});
