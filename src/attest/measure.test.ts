/** Measurements: SHA-384 of bytes, and of a file tree in which every change of one file shows. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { measureFiles, sha384Hex } from './measure.js';

const base = mkdtempSync(join(tmpdir(), 'veil-measure-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let count = 0;
function tree(files: Record<string, string>): string {
  const root = join(base, `t${count++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

describe('sha384Hex', () => {
  it("is node:crypto's SHA-384, hex, of bytes or UTF-8 text", () => {
    expect(sha384Hex(new Uint8Array(0))).toBe(createHash('sha384').digest('hex'));
    expect(sha384Hex('abc')).toBe(sha384Hex(new TextEncoder().encode('abc')));
    expect(sha384Hex('abc')).toMatch(/^cb00753f45a35e8b/);
    expect(sha384Hex('abc')).toHaveLength(96);
  });
});

describe('measureFiles', () => {
  const files = { 'a.js': 'one', 'lib/b.js': 'two', 'lib/c.json': '{}' };

  it('depends on the content and paths only, not on where the tree lies', () => {
    const m = measureFiles(tree(files));
    expect(m).toMatch(/^[0-9a-f]{96}$/);
    expect(measureFiles(tree(files))).toBe(m);
  });

  it('changes when one file changes, is added, removed or renamed', () => {
    const m = measureFiles(tree(files));
    expect(measureFiles(tree({ ...files, 'a.js': 'onE' }))).not.toBe(m);
    expect(measureFiles(tree({ ...files, 'd.js': '' }))).not.toBe(m);
    const { 'lib/b.js': _, ...without } = files;
    expect(measureFiles(tree(without))).not.toBe(m);
    const root = tree(files);
    renameSync(join(root, 'lib', 'b.js'), join(root, 'lib', 'bb.js'));
    expect(measureFiles(root)).not.toBe(m);
    // framing: moving bytes between a path and a content, or between two files, changes the measurement
    expect(measureFiles(tree({ ab: 'c' }))).not.toBe(measureFiles(tree({ a: 'bc' })));
    expect(measureFiles(tree({ a: 'xy', b: '' }))).not.toBe(measureFiles(tree({ a: 'x', b: 'y' })));
  });

  it('measures only what include keeps, with POSIX relative paths', () => {
    const seen: string[] = [];
    const root = tree(files);
    const m = measureFiles(root, {
      include: (p) => {
        seen.push(p);
        return p.endsWith('.js');
      },
    });
    expect(seen.sort()).toEqual(['a.js', 'lib/b.js', 'lib/c.json']);
    unlinkSync(join(root, 'lib', 'c.json'));
    expect(measureFiles(root)).toBe(m);
  });

  it('measures a symbolic link as a link, without following it', () => {
    const root = tree(files);
    const before = measureFiles(root);
    symlinkSync('a.js', join(root, 'link'));
    const withLink = measureFiles(root);
    expect(withLink).not.toBe(before);
    expect(withLink).not.toBe(measureFiles(tree({ ...files, link: 'one' })));
  });

  it('refuses a missing directory or a file, naming it', () => {
    const missing = join(base, 'nope');
    expect(() => measureFiles(missing)).toThrow(ConfigError);
    expect(() => measureFiles(missing)).toThrow(/measureFiles\.rootDir.*ENOENT/);
    const root = tree(files);
    expect(() => measureFiles(join(root, 'a.js'))).toThrow(/it is a file/);
  });
});
