import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileAtomic, writeFileAtomic, writeFileDurably } from './atomic-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'veil-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe('writeFileAtomic', () => {
  it('replaces a file, creating its directory, and leaves no temporary file behind', () => {
    const path = join(dir, 'state', 'file.json');
    writeFileAtomic(path, 'one');
    writeFileAtomic(path, new TextEncoder().encode('two'));
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'state'))).toEqual(['file.json']);
  });

  it('gives the file exactly the mode asked for, 0o600 by default', () => {
    writeFileAtomic(join(dir, 'private'), 'x');
    writeFileAtomic(join(dir, 'shared'), 'x', { mode: 0o644 });
    writeFileAtomic(join(dir, 'unflushed'), 'x', { mode: 0o640, fsync: false });
    expect(mode(join(dir, 'private'))).toBe(0o600);
    expect(mode(join(dir, 'shared'))).toBe(0o644);
    expect(mode(join(dir, 'unflushed'))).toBe(0o640);
  });

  it('throws the file system error when the rename fails, leaving the target and no temporary file', () => {
    const target = join(dir, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'kept');
    expect(() => writeFileAtomic(target, 'new')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['occupied']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
  });
});

describe('createFileAtomic', () => {
  it('creates a file once and never replaces it', () => {
    const path = join(dir, 'key');
    expect(createFileAtomic(path, 'first', { mode: 0o600 })).toBe(true);
    expect(createFileAtomic(path, 'second', { mode: 0o644 })).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['key']);
  });
});

describe('writeFileDurably', () => {
  it('writes every byte with the given mode', () => {
    const bytes = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const path = join(dir, 'weights.bin');
    writeFileDurably(path, bytes, 0o644);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(mode(path)).toBe(0o644);
  });
});
