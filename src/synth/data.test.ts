import { describe, expect, it } from 'vitest';
import { ConfigError, UnsupportedError } from '../core/index.js';
import { parseDomain } from '../ml/index.js';
import { decodeColumns, encodeTable } from './data.js';

const domain = parseDomain({
  sex: { type: 'categorical', values: ['female', 'male'] },
  race: 5,
});

describe('encodeTable', () => {
  it('encodes named values by declared order and codes as themselves, in domain order', () => {
    const data = encodeTable(domain, {
      header: ['race', 'sex'],
      rows: [
        ['4', 'male'],
        ['0', 'female'],
        ['2', 'male'],
      ],
    });
    expect(data.domain.attrs).toEqual(['sex', 'race']);
    expect(data.domain.sizes.get('sex')).toBe(2);
    expect(data.domain.sizes.get('race')).toBe(5);
    expect([...data.columns[0]!]).toEqual([1, 0, 1]);
    expect([...data.columns[1]!]).toEqual([4, 0, 2]);
  });

  it('refuses cells outside the domain with row and column, echoing only the cell', () => {
    const call = () =>
      encodeTable(domain, {
        header: ['sex', 'race'],
        rows: [
          ['male', '1'],
          ['other', '5'],
          ['female', '-1'],
        ],
      });
    expect(call).toThrow(ConfigError);
    try {
      call();
    } catch (error) {
      const { message, issues } = error as ConfigError;
      expect(issues.map((i) => i.path)).toEqual(['rows[1].sex', 'rows[1].race', 'rows[2].race']);
      expect(message).toContain('other');
      expect(message).not.toContain('female');
    }
  });

  it('counts every bad cell but lists at most ten', () => {
    const rows = Array.from({ length: 25 }, () => ['x', '1']);
    expect(() => encodeTable(domain, { header: ['sex', 'race'], rows })).toThrow(/first 10 of 25/);
  });

  it('refuses a column missing from the CSV or from the domain', () => {
    expect(() => encodeTable(domain, { header: ['sex'], rows: [['male']] })).toThrow(/header\.race/);
    expect(() =>
      encodeTable(domain, { header: ['sex', 'race', 'age'], rows: [['male', '1', '30']] }),
    ).toThrow(/domain\.age/);
  });

  it('refuses numeric columns, naming them and saying bins are needed', () => {
    const numeric = parseDomain({ age: { type: 'numeric', min: 0, max: 100 }, sex: 2 });
    expect(() => encodeTable(numeric, { header: ['age', 'sex'], rows: [['30', '1']] })).toThrow(
      UnsupportedError,
    );
    expect(() => encodeTable(numeric, { header: ['age', 'sex'], rows: [['30', '1']] })).toThrow(
      /"age" is numeric.*declared bins, which are not supported yet/,
    );
  });

  it('refuses an empty table', () => {
    expect(() => encodeTable(domain, { header: ['sex', 'race'], rows: [] })).toThrow(/rows/);
  });

  it('decodes back to the same cells (values and codes)', () => {
    const table = {
      header: ['sex', 'race'],
      rows: [
        ['male', '3'],
        ['female', '0'],
      ],
    };
    const data = encodeTable(domain, table);
    expect(decodeColumns(data, data.columns)).toEqual(table);
  });

  it('decodeColumns refuses out-of-range codes and wrong shapes', () => {
    const data = encodeTable(domain, { header: ['sex', 'race'], rows: [['male', '3']] });
    expect(() => decodeColumns(data, [Int32Array.of(2), Int32Array.of(0)])).toThrow(ConfigError);
    expect(() => decodeColumns(data, [Int32Array.of(0)])).toThrow(ConfigError);
    expect(() => decodeColumns(data, [Int32Array.of(0), Int32Array.of(0, 1)])).toThrow(ConfigError);
  });
});
