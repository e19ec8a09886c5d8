#!/usr/bin/env node
// Regenerates the protobuf TypeScript (buf + protoc-gen-es) into a temporary directory and fails if it differs
// from src/transport/gen (CI: generated code must be in sync with proto/). `--write` regenerates in place.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const buf = join(root, 'node_modules', '.bin', 'buf');
const generate = (out) =>
  execFileSync(
    buf,
    [
      'generate',
      '--template',
      JSON.stringify({
        version: 'v2',
        inputs: [{ directory: 'proto' }],
        plugins: [
          {
            local: join(root, 'node_modules', '.bin', 'protoc-gen-es'),
            out,
            opt: ['target=ts', 'import_extension=js'],
          },
        ],
      }),
    ],
    { cwd: root, stdio: 'inherit' },
  );
if (process.argv.includes('--write')) {
  rmSync(join(root, 'src', 'transport', 'gen'), { recursive: true, force: true });
  generate(join(root, 'src', 'transport', 'gen'));
  process.exit(0);
}
const out = mkdtempSync(join(tmpdir(), 'veil-proto-'));
try {
  execFileSync(buf, ['lint'], { cwd: root, stdio: 'inherit' });
  generate(out);
  const files = (dir) =>
    readdirSync(dir).flatMap((f) =>
      statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)],
    );
  const expected = files(out)
    .map((f) => relative(out, f))
    .sort();
  const actualDir = join(root, 'src', 'transport', 'gen');
  const actual = files(actualDir)
    .map((f) => relative(actualDir, f))
    .sort();
  const stale = expected.filter(
    (f) =>
      !actual.includes(f) || readFileSync(join(out, f), 'utf8') !== readFileSync(join(actualDir, f), 'utf8'),
  );
  const extra = actual.filter((f) => !expected.includes(f));
  if (stale.length || extra.length) {
    process.stderr.write(
      `src/transport/gen is out of date (${[...stale, ...extra].join(', ')}): run npm run build:proto\n`,
    );
    process.exit(1);
  }
  process.stdout.write('protobuf code in sync\n');
} finally {
  rmSync(out, { recursive: true, force: true });
}
