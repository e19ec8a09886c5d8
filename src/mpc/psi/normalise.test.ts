import { describe, expect, it } from 'vitest';
import { normaliseIds } from './normalise.js';

describe('normaliseIds', () => {
  it('applies each rule', () => {
    const ids = [' Alice@X.com ', 'Jose\u0301\t'];
    expect(normaliseIds('f', ids, 'exact')).toEqual(ids);
    expect(normaliseIds('f', ids, 'trim')).toEqual(['Alice@X.com', 'Jose\u0301']);
    expect(normaliseIds('f', ids, 'trim-casefold')).toEqual(['alice@x.com', 'jos\u00e9']);
  });

  it('refuses duplicates with their count and 1-based row numbers, never the identifiers', () => {
    const ids = ['a', 'b', 'A ', 'c', 'b', 'a'];
    expect(() => normaliseIds('psi', ids, 'trim-casefold')).toThrow(
      /psi: ids must be unique after normalisation 'trim-casefold' \(row 3 repeats row 1, row 5 repeats row 2, row 6 repeats row 1; .*got "3 duplicate identifiers"/,
    );
    try {
      normaliseIds('psi', ['secret-id', 'secret-id'], 'exact');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-id');
      expect((error as { code: string }).code).toBe('VEIL_INVALID_PARAMETER');
    }
  });

  it('lists at most five pairs', () => {
    const ids = Array.from({ length: 20 }, () => 'same');
    expect(() => normaliseIds('psi', ids, 'exact')).toThrow(
      /row 6 repeats row 1, …; .*got "19 duplicate identifiers"/,
    );
  });

  it('keeps distinct what only differs under a looser rule', () => {
    expect(normaliseIds('f', ['a', 'A', ' a'], 'exact')).toHaveLength(3);
  });

  it('refuses a lone surrogate, naming the row', () => {
    expect(() => normaliseIds('psi', ['ok', 'x\udc00'], 'exact')).toThrow(
      /psi: ids\[1\] \(row 2\) must be a well-formed Unicode string/,
    );
    expect(normaliseIds('psi', ['\u{1f600}'], 'exact')).toEqual(['\u{1f600}']);
  });
});
