import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import {
  createJsonFile,
  fromJsonText,
  type JsonFileProblem,
  readJsonFile,
  toJsonText,
  writeJsonFileAtomic,
} from './json-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'veil-json-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const Register = z.object({ version: z.literal(1), names: z.array(z.string()) });

describe('JSON text', () => {
  it('round-trips typed arrays and bigints', () => {
    const value = { w: Float32Array.of(1.5, -2), m: Float64Array.of(Math.PI), n: 2n ** 70n, plain: [1, 'a'] };
    const back = fromJsonText(toJsonText(value)) as typeof value;
    expect(back.w).toBeInstanceOf(Float32Array);
    expect(back).toEqual(value);
  });

  it('writes plain values exactly as JSON.stringify does', () => {
    const value = { a: [1, 2, { b: null }], c: 'd' };
    expect(toJsonText(value)).toBe(JSON.stringify(value));
    expect(toJsonText(value, 2)).toBe(JSON.stringify(value, null, 2));
  });
});

describe('readJsonFile and writeJsonFileAtomic', () => {
  it('round-trips a value through a file, with one trailing newline, pretty when asked', () => {
    const path = join(dir, 'sub', 'register.json');
    writeJsonFileAtomic(path, { version: 1, names: ['a'] }, { pretty: true, mode: 0o644 });
    expect(readFileSync(path, 'utf8')).toBe('{\n  "version": 1,\n  "names": [\n    "a"\n  ]\n}\n');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readJsonFile(path, { what: 'a register', schema: Register })).toEqual({
      version: 1,
      names: ['a'],
    });
  });

  it('returns null when there is no file', () => {
    expect(readJsonFile(join(dir, 'missing.json'), { what: 'a register' })).toBeNull();
  });

  it('refuses a file that is not JSON with a ConfigError naming the path and what was expected', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"version": 1,');
    expect(() => readJsonFile(path, { what: 'a register', schema: Register })).toThrow(ConfigError);
    expect(() => readJsonFile(path, { what: 'a register' })).toThrow(
      `invalid configuration: ${path}: must be a register, got "unparseable JSON"`,
    );
  });

  it('refuses a file of the wrong shape, naming the field', () => {
    const path = join(dir, 'wrong.json');
    writeFileSync(path, '{"version": 1, "names": [1]}');
    expect(() => readJsonFile(path, { what: 'a register', schema: Register })).toThrow(
      new RegExp(`${path}#names\\.0: must be .*string.*, got "an unexpected value"`),
    );
  });

  it('throws an I/O error as it is, and hands every problem to onError when given', () => {
    const folder = join(dir, 'folder.json');
    mkdirSync(folder);
    expect(() => readJsonFile(folder, { what: 'a register' })).toThrow(/EISDIR/);
    writeFileSync(join(dir, 'broken.json'), 'nope');
    writeFileSync(join(dir, 'wrong.json'), '{"version": 2, "names": []}');
    const seen: JsonFileProblem['kind'][] = [];
    for (const name of ['folder.json', 'broken.json', 'wrong.json']) {
      const onError = (p: JsonFileProblem) => {
        seen.push(p.kind);
        return new Error(`mine: ${p.kind}`);
      };
      expect(() => readJsonFile(join(dir, name), { what: 'a register', schema: Register, onError })).toThrow(
        /^mine: /,
      );
    }
    expect(seen).toEqual(['unreadable', 'unparseable', 'invalid']);
  });
});

describe('createJsonFile', () => {
  it('creates the file once; a second writer reads the first one', () => {
    const path = join(dir, 'key.json');
    expect(createJsonFile(path, { seed: 'a' }, { mode: 0o600 })).toBe(true);
    expect(createJsonFile(path, { seed: 'b' }, { mode: 0o600 })).toBe(false);
    expect(readJsonFile(path, { what: 'a key' })).toEqual({ seed: 'a' });
  });
});
