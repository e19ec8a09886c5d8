import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { columnWords, kindFromColumnName, maskedShape } from './identifiers.js';
import { type SafeHarborResult, safeHarborCheck } from './safe-harbor.js';

const DATASETS = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');
const ADULT = join(DATASETS, 'adult', 'adult.csv');
const TITANIC = join(DATASETS, 'titanic', 'titanic.csv');

const high = (r: SafeHarborResult) => r.findings.filter((f) => f.confidence === 'high');
const kindsOf = (r: SafeHarborResult, column: string) =>
  r.findings.filter((f) => f.column === column).map((f) => f.kind);

/** 30 synthetic patients with one identifier kind per column; every value is made up. */
function syntheticRows(): { header: string[]; rows: string[][] } {
  const header = ['patient_name', 'ssn', 'email', 'zip', 'phone', 'ip_address', 'admission_date', 'bmi_band'];
  const first = ['Alice', 'Bob', 'Carol', 'Dan', 'Eve', 'Frank'];
  const rows: string[][] = [];
  for (let i = 0; i < 30; i++) {
    const d = (n: number, width: number) => String((i * 7919 + n) % 10 ** width).padStart(width, '0');
    rows.push([
      `Testperson, Ms. ${first[i % first.length]}`,
      `${String(100 + i).padStart(3, '0')}-${d(11, 2)}-${d(1234, 4)}`,
      `${first[i % first.length]!.toLowerCase()}${i}@mail${i % 3}.example.org`,
      d(90210, 5),
      `(555) ${d(200, 3)}-${d(4000, 4)}`,
      `10.${i}.${(i * 3) % 256}.${(i * 11) % 256}`,
      `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
      String(i % 5),
    ]);
  }
  return { header, rows };
}

const toCsv = (header: readonly string[], rows: readonly (readonly string[])[]) =>
  [header, ...rows]
    .map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','))
    .join('\n');

describe('safeHarborCheck on UCI Adult', () => {
  it('flags ages over 89 once the age codes are decoded (code = age - 16), and finds no names', () => {
    const r = safeHarborCheck({ path: ADULT }, { decode: { age: (c) => String(Number(c) + 16) } });
    expect(r.source).toBe('adult.csv');
    expect(r.rowsScanned).toBe(48_842);
    const age = r.findings.find((f) => f.column === 'age')!;
    expect(age).toMatchObject({
      kind: 'dates',
      letter: 'C',
      confidence: 'high',
      basis: 'values',
      shape: 'dd',
    });
    expect(age.matchingRows).toBeGreaterThan(0);
    expect(age.reason).toMatch(/age over 89/);
    expect(r.kinds.find((k) => k.kind === 'names')!.status).toBe('not found');
    expect(high(r).map((f) => f.column)).toEqual(['age']);
    expect(r.flagged).toBe(true);
  });

  it('sees only codes without the decoder, and says so in a note', () => {
    const r = safeHarborCheck({ path: ADULT }, { maxRows: 5_000 });
    expect(r.findings).toEqual([]);
    expect(r.truncated).toBe(true);
    expect(r.notes.join(' ')).toMatch(/column 'age': no age over 89 .* pass a decoder/);
  });
});

describe('safeHarborCheck on Titanic', () => {
  it('flags Age code 90 as an age over 89 in the raw file, and nothing once 90 is decoded as missing', () => {
    const raw = safeHarborCheck({ path: TITANIC });
    expect(high(raw).map((f) => [f.column, f.kind])).toEqual([['Age', 'dates']]);
    const decoded = safeHarborCheck({ path: TITANIC }, { decode: { Age: (c) => (c === '90' ? '' : c) } });
    expect(decoded.findings).toEqual([]);
    expect(decoded.flagged).toBe(false);
  });

  it('flags a passenger Name column by name and by value (the Kaggle layout; the shared file has no names)', () => {
    const names = [
      'Testname, Mr. Owen',
      'Examplova, Mrs. Jane (Roe)',
      'Sample, Miss. Laina',
      'Dummy, Master. Tom',
    ];
    const rows = Array.from({ length: 24 }, (_, i) => [
      String(i + 1),
      names[i % 4]!,
      String(i % 3),
      String(20 + i),
    ]);
    const r = safeHarborCheck({
      text: toCsv(['PassengerId', 'Name', 'Pclass', 'Age'], rows),
      source: 'titanic-kaggle.csv',
    });
    const name = r.findings.find((f) => f.column === 'Name')!;
    expect(name).toMatchObject({
      kind: 'names',
      confidence: 'high',
      basis: 'column name and values',
      matchingRows: 24,
    });
    expect(kindsOf(r, 'PassengerId')).toEqual(['other-unique']);
    expect(JSON.stringify(r)).not.toMatch(/Testname|Examplova|Sample,|Dummy/);
  });
});

describe('safeHarborCheck on synthetic identifiers', () => {
  const { header, rows } = syntheticRows();
  const result = safeHarborCheck({ text: toCsv(header, rows), source: 'synthetic.csv' });

  it('flags every identifier column with its kind', () => {
    const flagged = Object.fromEntries(high(result).map((f) => [f.column, f.kind]));
    expect(flagged).toEqual({
      patient_name: 'names',
      ssn: 'ssn',
      email: 'email',
      zip: 'geographic',
      phone: 'telephone',
      ip_address: 'ip',
      admission_date: 'dates',
    });
    expect(kindsOf(result, 'bmi_band')).toEqual([]);
    expect(result.findings.find((f) => f.column === 'ssn')!.shape).toBe('ddd-dd-dddd');
    expect(result.findings.find((f) => f.column === 'ssn')!.matchingRows).toBe(30);
  });

  it('finds the same kinds from the values alone when the column names say nothing', () => {
    const neutral = header.map((_, i) => `c${i}`);
    const r = safeHarborCheck({ text: toCsv(neutral, rows) });
    const byColumn = Object.fromEntries(r.findings.map((f) => [f.column, [f.kind, f.confidence]]));
    expect(byColumn).toMatchObject({
      c0: ['names', 'high'],
      c1: ['ssn', 'high'],
      c2: ['email', 'high'],
      c3: ['geographic', 'possible'], // a bare five-digit number only may be a ZIP code
      c4: ['telephone', 'high'],
      c5: ['ip', 'high'],
      c6: ['dates', 'high'],
    });
    expect(byColumn['c7']).toBeUndefined();
  });

  it('keeps no raw value in the result', () => {
    const json = JSON.stringify(result);
    for (const row of rows) for (const cell of row.slice(0, 7)) expect(json).not.toContain(cell);
  });

  it('recognises the other kinds by value: URL, MAC, card number, VIN, UUID, street address', () => {
    const values = [
      [
        'https://portal.example.org/p/1',
        '00:1A:2B:3C:4D:5E',
        '4111 1111 1111 1111',
        '1HGCM82633A004352',
        '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
        '12 Main Street',
      ],
      [
        'https://portal.example.org/p/2',
        '00:1A:2B:3C:4D:5F',
        '5500 0000 0000 0004',
        '1HGCM82633A004353',
        '3f2504e0-4f89-11d3-9a0c-0305e82c3302',
        '7 Elm Avenue',
      ],
    ];
    const r = safeHarborCheck({ text: toCsv(['a', 'b', 'c', 'd', 'e', 'f'], values) });
    expect(Object.fromEntries(r.findings.map((f) => [f.column, f.kind]))).toEqual({
      a: 'url',
      b: 'device',
      c: 'account',
      d: 'vehicle',
      e: 'other-unique',
      f: 'geographic',
    });
  });

  test.prop([
    fc.array(
      fc.tuple(
        fc.integer({ min: 100, max: 899 }),
        fc.integer({ min: 10, max: 99 }),
        fc.integer({ min: 1000, max: 9999 }),
      ),
      { minLength: 1, maxLength: 20 },
    ),
  ])('never copies an SSN into the result', (parts) => {
    const ssns = parts.map(([a, b, c]) => `${a}-${b}-${c}`);
    const r = safeHarborCheck({
      text: toCsv(
        ['x'],
        ssns.map((s) => [s]),
      ),
    });
    const json = JSON.stringify(r);
    expect(r.findings[0]!.kind).toBe('ssn');
    for (const s of ssns) expect(json).not.toContain(s);
  });
});

describe('safeHarborCheck on a clean file', () => {
  it('flags nothing in coded clinical columns', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [
      String(i % 2),
      String(i % 5),
      String(i % 3),
      String(i % 90),
      String((i * 37) % 200),
    ]);
    const r = safeHarborCheck({ text: toCsv(['sex', 'bmi_band', 'smoker', 'age', 'systolic_bp'], rows) });
    expect(r.findings).toEqual([]);
    expect(r.flagged).toBe(false);
    expect(r.kinds.every((k) => k.status === 'not found')).toBe(true);
    expect(r.kinds).toHaveLength(18);
    expect(r.limits.length).toBeGreaterThan(2);
  });
});

describe('identifier heuristics', () => {
  it('splits column names into words', () => {
    expect(columnWords('patientDOB')).toEqual(['patient', 'dob']);
    expect(columnWords('zip_code')).toEqual(['zip', 'code']);
  });

  it('reads kinds from column names without firing on look-alikes', () => {
    expect(kindFromColumnName('Fax Number')?.kind).toBe('fax');
    expect(kindFromColumnName('home_phone')?.kind).toBe('telephone');
    expect(kindFromColumnName('license_plate')?.kind).toBe('vehicle');
    expect(kindFromColumnName('drivers_license')?.kind).toBe('certificate-license');
    expect(kindFromColumnName('file_name')).toBeNull();
    expect(kindFromColumnName('native-country')).toBeNull();
    expect(kindFromColumnName('page_views')).toBeNull();
    expect(kindFromColumnName('hours-per-week')).toBeNull();
  });

  it('masks values to a shape', () => {
    expect(maskedShape('123-45-6789')).toBe('ddd-dd-dddd');
    expect(maskedShape('Ann <x>')).toBe('aaa *a*');
    expect(maskedShape('a'.repeat(40))).toBe(`${'a'.repeat(24)}…`);
  });

  it('refuses unparseable CSV without quoting it', () => {
    expect(() => safeHarborCheck({ text: 'a,b\n"123-45-6789,2\n' })).toThrow(
      expect.objectContaining({ code: 'VEIL_INVALID_PARAMETER' }),
    );
    try {
      safeHarborCheck({ text: 'a,b\n"123-45-6789,2\n' });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('123-45-6789');
    }
  });
});
