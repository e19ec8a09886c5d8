/**
 * Repository rules that a linter cannot express (STYLE.md §3, §5; ARCHITECTURE.md decision 1).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const files = sourceFiles(SRC).map((path) => ({
  path: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('randomness', () => {
  it('never uses Math.random anywhere in src', () => {
    const offenders = files.filter((f) => /Math\.random\s*\(/.test(code(f.text))).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('draws OS randomness only inside src/core/rng', () => {
    const pattern = /\b(randomBytes|randomFill|randomFillSync|randomInt|getRandomValues|randomUUID)\b/;
    const offenders = files
      .filter((f) => !f.path.startsWith(join('src', 'core', 'rng')))
      .filter((f) => pattern.test(code(f.text)))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });
});

describe('error codes', () => {
  const docs = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

  it('documents every code in docs/errors.md', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !docs.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const documented = [...docs.matchAll(/`(VEIL_[A-Z_]+)`/g)].map((m) => m[1]!);
    const unknown = documented.filter((code) => !(code in ERROR_CODES));
    expect(unknown).toEqual([]);
  });

  it('uses only declared codes in src', () => {
    const used = new Set(
      files.flatMap((f) => [...code(f.text).matchAll(/(?<!\[)'(VEIL_[A-Z_]+)'/g)].map((m) => m[1]!)),
    );
    const undeclared = [...used].filter((c) => !(c in ERROR_CODES));
    expect(undeclared).toEqual([]);
  });
});

describe('module faces', () => {
  const modules = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };

  it('gives every module an index.ts that opens with a @module paragraph', () => {
    for (const mod of modules) {
      const index = readFileSync(join(SRC, mod, 'index.ts'), 'utf8');
      expect(index, `src/${mod}/index.ts`).toMatch(/@module veil\//);
    }
  });

  it('exports every library module as a package subpath', () => {
    const library = modules.filter((m) => m !== 'cli');
    for (const mod of library) expect(Object.keys(pkg.exports), mod).toContain(`./${mod}`);
  });

  it('keeps index.ts files to re-exports only', () => {
    for (const mod of modules) {
      const body = code(readFileSync(join(SRC, mod, 'index.ts'), 'utf8'));
      const statements = body
        .split(/;\s*\n/)
        .map((s) => s.trim())
        .filter(Boolean);
      const others = statements.filter(
        (s) => !/^export\s+(type\s+)?\{[\s\S]*\}\s+from\s+'\.\/[^']+'$/.test(s),
      );
      expect(others, `src/${mod}/index.ts`).toEqual([]);
    }
  });
});
