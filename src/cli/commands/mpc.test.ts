/**
 * `veil gc run`, `veil psi` and `veil vertical train` in-process: one JSON object with --json, and bad input
 * refused with exit 2 naming the flag (a missing file, a directory for a file, hex of the wrong length, a
 * malformed circuit with its line, an unwritable --out, duplicate identifiers, bad party flags).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

const CIRCUITS = join(import.meta.dirname, '../../../../shared/circuits');
const dir = mkdtempSync(join(tmpdir(), 'veil-mpc-cli-'));
const left = join(dir, 'left.csv');
const right = join(dir, 'right.csv');
writeFileSync(left, `id,x\n${Array.from({ length: 50 }, (_, i) => `u${i},${i}`).join('\n')}\n`);
writeFileSync(right, `id,y\n${Array.from({ length: 40 }, (_, i) => ` U${i + 30} ,${i}`).join('\n')}\n`);

describe('veil gc run', () => {
  it('evaluates the 64-bit comparison (signed) and prints one JSON object', async () => {
    const run = await runVeil(
      'gc',
      'run',
      '--circuit',
      join(CIRCUITS, 'compare.txt'),
      '--input-a',
      'ffffffffffffffff',
      '--input-b',
      '0000000000000001',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.json()).toMatchObject({ output: '1', andGates: 272, transport: 'memory' });
    expect(run.json()['bytes']).toBeGreaterThan(272 * 32);
  });

  const bad: [string, string[], RegExp][] = [
    [
      'a missing circuit file',
      ['--circuit', join(dir, 'none.txt'), '--input-a', '00'],
      /--circuit: must be a readable Bristol Fashion circuit file \(ENOENT\)/,
    ],
    [
      'a directory for the circuit',
      ['--circuit', CIRCUITS, '--input-a', '00'],
      /--circuit: must be a Bristol Fashion circuit file, not a directory/,
    ],
    [
      'hex of the wrong length',
      ['--circuit', join(CIRCUITS, 'adder64.txt'), '--input-a', '0001', '--input-b', '0000000000000001'],
      /--input-a: must be 64 bits: exactly 16 hex digits, got "0001"/,
    ],
    [
      'a missing second input',
      ['--circuit', join(CIRCUITS, 'adder64.txt'), '--input-a', '0000000000000001'],
      /--input-b: .*64 bits as hex/,
    ],
    [
      'an input the circuit does not have',
      ['--circuit', join(CIRCUITS, 'neg64.txt'), '--input-a', '0000000000000001', '--input-b', '00'],
      /--input-b: must be absent: this circuit has one input value/,
    ],
    ['no circuit', ['--input-a', '00'], /--circuit: .*Bristol Fashion circuit file/],
  ];
  for (const [what, args, message] of bad)
    it(`refuses ${what}, exit 2`, async () => {
      const run = await runVeil('gc', 'run', ...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    });

  it('refuses a malformed circuit naming the line', async () => {
    const broken = join(dir, 'broken.txt');
    writeFileSync(broken, '1 3\n2 1 1\n1 1\n\n2 1 0 5 2 AND\n');
    const run = await runVeil('gc', 'run', '--circuit', broken, '--input-a', '1', '--input-b', '0', '--json');
    expect(run.code).toBe(2);
    const error = run.json()['error'] as { message: string };
    expect(error.message).toMatch(/broken.txt line 5 must be an input wire in 0..2, got 5/);
  });
});

describe('veil psi', () => {
  it('intersects after normalising, and writes both sides aligned', async () => {
    const out = join(dir, 'aligned');
    const run = await runVeil(
      'psi',
      '--left',
      left,
      '--right',
      right,
      '--key',
      'id',
      '--normalise',
      'trim-casefold',
      '--out',
      out,
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      intersection: 20,
      leftSize: 50,
      rightSize: 40,
      mode: 'intersection',
      normalise: 'trim-casefold',
    });
    const l = readFileSync(join(out, 'left-aligned.csv'), 'utf8').trim().split('\n');
    const r = readFileSync(join(out, 'right-aligned.csv'), 'utf8').trim().split('\n');
    expect(l[0]).toBe('id,x');
    expect(l).toHaveLength(21);
    expect(l.slice(1).map((x) => x.split(',')[0]!.toLowerCase())).toEqual(
      r.slice(1).map((x) => x.split(',')[0]!.trim().toLowerCase()),
    );
    // the same run again must not replace the files silently
    const again = await runVeil('psi', '--left', left, '--right', right, '--key', 'id', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /--out: must be a directory without left-aligned.csv \(or --force to replace it\)/,
    );
  });

  it('with the exact rule, case and spaces differ; cardinality only prints the count', async () => {
    const run = await runVeil(
      'psi',
      '--left',
      left,
      '--right',
      right,
      '--key',
      'id',
      '--normalise',
      'exact',
      '--cardinality-only',
      '--json',
    );
    expect(run.json()).toMatchObject({ intersection: 0, mode: 'cardinality' });
  });

  it('refuses bad input, exit 2 naming the flag', async () => {
    const dup = join(dir, 'dup.csv');
    writeFileSync(dup, 'id,x\na,1\nb,2\na,3\n');
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const cases: [string[], RegExp][] = [
      [['--left', dup, '--right', right, '--key', 'id'], /--left: .*row 3 repeats row 1/],
      [['--left', left, '--right', right, '--key', 'nope'], /--key: must be a column of left.csv: id, x/],
      [
        ['--left', join(dir, 'missing.csv'), '--right', right, '--key', 'id'],
        /--left: must be a readable CSV file/,
      ],
      [
        ['--left', left, '--right', right, '--key', 'id', '--out', file],
        /--out: must be a writable directory/,
      ],
      [
        ['--left', left, '--right', right, '--key', 'id', '--cardinality-only', '--out', dir],
        /--out: must be absent with cardinality-only/,
      ],
      [
        ['--left', left, '--right', right, '--key', 'id', '--normalise', 'lower'],
        /--normalise: must be one of exact, trim, trim-casefold/,
      ],
    ];
    if (process.getuid?.() !== 0)
      cases.push([
        ['--left', left, '--right', right, '--key', 'id', '--out', locked],
        /--out: must be a writable directory \(EACCES\)/,
      ]);
    for (const [args, message] of cases) {
      const run = await runVeil('psi', ...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    expect(existsSync(join(file, 'left-aligned.csv'))).toBe(false);
  });
});

describe('veil vertical train', () => {
  it('refuses bad party flags and missing columns before any work, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--party', 'bank'], /--party: must be NAME=FILE:COLUMNS/],
      [['--party', `bank=${left}:x`], /--party: must be exactly two --party NAME=FILE:COLUMNS flags/],
      [
        ['--party', `bank=${left}:x`, '--party', `shop=${right}:zz`, '--key', 'id', '--label', 'lbl'],
        /shop.columns: must be a column of .*right.csv: id, y/,
      ],
      [
        [
          '--party',
          `bank=${left}:x`,
          '--party',
          `shop=${right}:y`,
          '--key',
          'id',
          '--label',
          'x',
          '--epochs',
          '0',
        ],
        /--epochs: must be an integer in \[1, 1000\]/,
      ],
      [
        [
          '--party',
          `bank=${left}:x`,
          '--party',
          `shop=${right}:y`,
          '--key',
          'id',
          '--label',
          'x',
          '--epsilon',
          '-1',
        ],
        /--epsilon: must be a finite number > 0/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runVeil('vertical', 'train', ...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  });
});
