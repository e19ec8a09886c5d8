/**
 * Repository rules that a linter cannot express (STYLE.md §3, §5; ARCHITECTURE.md decision 1).
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_HTTP_STATUS } from '../../src/core/index.js';

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

  it("gives every code's row the HTTP status of ERROR_HTTP_STATUS", () => {
    const cellsOf = (line: string) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
    const rows = docs
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map(cellsOf);
    const header = rows[0] ?? [];
    const [codeCol, httpCol] = [header.indexOf('code'), header.indexOf('http')];
    expect(codeCol, 'a "code" column').toBeGreaterThanOrEqual(0);
    expect(httpCol, 'an "http" column').toBeGreaterThanOrEqual(0);
    const documented = Object.fromEntries(
      rows
        .filter((cells) => /^`VEIL_[A-Z_]+`$/.test(cells[codeCol] ?? ''))
        .map((cells) => [cells[codeCol]!.slice(1, -1), Number(cells[httpCol])]),
    );
    expect(documented).toEqual(ERROR_HTTP_STATUS);
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

describe('import rules (dependency-cruiser)', () => {
  // Runs the real config on a temp copy: a folder of src/ missing from the allowed-edges table must fail the
  // lint (otherwise a new module would be checked by no layer rule at all), and so must a bench or test that
  // reaches past a module's face. `files` are extra files (path relative to the tree: text).
  function cruise(
    modules: readonly string[],
    files: Readonly<Record<string, string>> = {},
  ): { status: number | null; output: string } {
    const dir = mkdtempSync(join(tmpdir(), 'veil-rules-'));
    try {
      copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext' } }));
      for (const mod of modules) {
        mkdirSync(join(dir, 'src', mod), { recursive: true });
        writeFileSync(join(dir, 'src', mod, 'index.ts'), 'export const x = 1;\n');
      }
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      // what `npm run lint` cruises: src, and bench and test where the tree has them
      const roots = ['src', 'bench', 'test'].filter((root) => existsSync(join(dir, root)));
      const r = spawnSync(
        process.execPath,
        [
          join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
          ...roots,
          '--config',
          '.dependency-cruiser.cjs',
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('passes a tree of known modules', () => {
    const r = cruise(['core', 'dp']);
    expect(r.output).toMatch(/no dependency violations/);
    expect(r.status).toBe(0);
  });

  it('fails on a src/ folder missing from the table of allowed imports, naming it', () => {
    const r = cruise(['core', 'zzz']);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/src\/zzz is not in the table of allowed imports/);
  });

  it('lets veil/client take only types from outside its folder, naming the rule and the file', () => {
    const r = cruise(['core', 'jobs', 'client'], {
      'src/client/models.ts': "import type { x } from '../jobs/index.js';\nexport type X = typeof x;\n",
      'src/client/http.ts':
        "import { readFileSync } from 'node:fs';\nimport { x } from '../jobs/index.js';\nconsole.log(x, readFileSync);\n",
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/client-types-only: src\/client\/http\.ts → src\/jobs\/index\.ts/);
    expect(r.output).toMatch(/client-types-only: src\/client\/http\.ts → (node:)?fs/);
    expect(r.output).not.toMatch(/src\/client\/models\.ts/);
  });

  // bench/ and test/ use src/ as its users do: through src/<module>/index.ts, or the module's testing entry
  const inner = {
    'src/ledger/index.ts': "export { total } from './store/totals.js';\n",
    'src/ledger/store/totals.ts': 'export const total = 1;\n',
    'src/ledger/store/testing.ts': 'export const fixture = 1;\n',
    'src/transport/testing/fixtures.ts': 'export const pki = 1;\n',
  };

  it('lets bench/ and test/ import a module face and its testing entry', () => {
    const r = cruise(['core'], {
      ...inner,
      'bench/ledger.bench.ts':
        "import { total } from '../src/ledger/index.js';\nimport { fixture } from '../src/ledger/store/testing.js';\n" +
        'console.log(total, fixture);\n',
      'test/e2e/transport.e2e.test.ts':
        "import { pki } from '../../src/transport/testing/fixtures.js';\nconsole.log(pki);\n",
    });
    expect(r.output).toMatch(/no dependency violations/);
    expect(r.status).toBe(0);
  });

  it('refuses a deep import from bench/ or test/, naming the rule and the file', () => {
    const r = cruise(['core'], {
      ...inner,
      'bench/ledger.bench.ts':
        "import { total } from '../src/ledger/store/totals.js';\nconsole.log(total);\n",
      'test/e2e/ledger.e2e.test.ts':
        "import { total } from '../../src/ledger/store/totals.js';\nconsole.log(total);\n",
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(
      /tests-through-faces: bench\/ledger\.bench\.ts → src\/ledger\/store\/totals\.ts/,
    );
    expect(r.output).toMatch(
      /tests-through-faces: test\/e2e\/ledger\.e2e\.test\.ts → src\/ledger\/store\/totals\.ts/,
    );
  });
});
