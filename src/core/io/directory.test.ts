import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDirectory } from './directory.js';

describe('ensureDirectory', () => {
  it('creates missing parents and accepts an existing directory', () => {
    const base = mkdtempSync(join(tmpdir(), 'veil-dir-'));
    const deep = join(base, 'a', 'b', 'c');
    ensureDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    ensureDirectory(deep);
    ensureDirectory(base);
  });

  it('refuses a path through a file with ENOTDIR', () => {
    const base = mkdtempSync(join(tmpdir(), 'veil-dir-'));
    writeFileSync(join(base, 'file'), 'x');
    expect(() => ensureDirectory(join(base, 'file'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => ensureDirectory(join(base, 'file', 'sub'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
  });

  it.runIf(process.platform === 'linux')(
    'fails at once under /proc, where mkdir -p never returns',
    () => {
      expect(() => ensureDirectory('/proc/veil-no-such/dir')).toThrow(
        expect.objectContaining({ code: 'ENOENT' }),
      );
    },
    5_000,
  );
});
