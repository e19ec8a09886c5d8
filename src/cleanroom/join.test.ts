import { describe, expect, it } from 'vitest';
import { parseDomain } from '../ml/index.js';
import { innerJoin } from './join.js';
import type { PartyConfig } from './types.js';
import { parseUpload } from './uploads.js';

const party = (name: string, columns: Record<string, unknown>): PartyConfig => ({
  name,
  role: 'data_provider',
  publicKey: '',
  columns: parseDomain(columns),
  columnsSpec: columns,
});
const A = party('a', { colour: { type: 'categorical', values: ['red', 'blue'] } });
const B = party('b', { size: { type: 'numeric', min: 0, max: 10, bins: 2 } });
const bytes = (s: string) => new TextEncoder().encode(s);

describe('uploads and the inner join', () => {
  it('joins on the id in the first party order, whatever the row order of the others', () => {
    const a = parseUpload(A, 'id', bytes('id,colour\nk1,red\nk2,blue\nk3,red\n'));
    const b = parseUpload(B, 'id', bytes('size,id\n9,k3\n1,k1\n7,k9\n'));
    const j = innerJoin([a, b]);
    expect(j.rows).toBe(2);
    expect(j.header).toEqual(['colour', 'size']);
    expect(Array.from(j.data.columns[0]!)).toEqual([0, 0]); // k1 red, k3 red
    expect(Array.from(j.data.columns[1]!)).toEqual([0, 1]); // k1 size 1 (bin 0), k3 size 9 (bin 1)
    expect(Array.from(j.numeric.get('size')!)).toEqual([1, 9]);
  });

  it('an empty intersection is an empty join', () => {
    const a = parseUpload(A, 'id', bytes('id,colour\nk1,red\n'));
    const b = parseUpload(B, 'id', bytes('id,size\nk2,3\n'));
    expect(innerJoin([a, b]).rows).toBe(0);
  });

  it.each([
    ['a missing column', 'id\nk1\n', 'schema_mismatch'],
    ['an undeclared column', 'id,colour,secret\nk1,red,x\n', 'schema_mismatch'],
    ['a value outside the domain', 'id,colour\nk1,green-SECRET\n', 'schema_mismatch'],
    ['an empty id', 'id,colour\n,red\n', 'schema_mismatch'],
    ['a repeated id', 'id,colour\nk1-SECRET,red\nk1-SECRET,blue\n', 'duplicate_ids'],
    ['ragged rows', 'id,colour\nk1,red,extra-SECRET\n', 'schema_mismatch'],
    ['bytes that are not UTF-8', '\xff\xfe', 'schema_mismatch'],
  ])('refuses %s, naming places, never values', (_, text, code) => {
    const input = text === '\xff\xfe' ? new Uint8Array([0xff, 0xfe, 0x00]) : bytes(text);
    try {
      parseUpload(A, 'id', input);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toMatchObject({ code, status: 400 });
      expect((err as Error).message).not.toMatch(/SECRET/);
    }
  });

  it('fingerprints the bytes received', () => {
    const u = parseUpload(A, 'id', bytes('id,colour\nk1,red\n'));
    expect(u.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(u.rows).toBe(1);
  });
});
