import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ZcdpAccountant } from '../../accounting/index.js';
import { seededRng } from '../../core/index.js';
import { fingerprintFile, Ledger } from '../../ledger/index.js';
import { runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-synth-'));
const csv = join(dir, 'toy.csv');
const domain = join(dir, 'toy-domain.json');
const COLOURS = ['red', 'green', 'blue'];

beforeAll(() => {
  // 300 rows x 4 columns: named values and integer codes, with a dependence between colour and answer
  const rng = seededRng(11);
  const rows = Array.from({ length: 300 }, () => {
    const colour = COLOURS[rng.uniformInt(3)]!;
    const answer = (colour === 'red') !== rng.uniform() < 0.2 ? 'yes' : 'no';
    return `${colour},${rng.uniformInt(4)},${answer},${rng.uniformInt(2)}`;
  });
  writeFileSync(csv, `colour,n,answer,flag\n${rows.join('\n')}\n`);
  writeFileSync(
    domain,
    JSON.stringify({
      // the domain's order differs from the CSV's: the output keeps the CSV's header
      flag: 2,
      colour: { type: 'categorical', values: COLOURS },
      n: 4,
      answer: { type: 'categorical', values: ['yes', 'no'] },
    }),
  );
});

const synth = (out: string, ...more: string[]) => [
  'synth',
  '--data',
  csv,
  '--domain',
  domain,
  '--method',
  'mst',
  '--epsilon',
  '1',
  '--delta',
  '1e-6',
  '--rows',
  '200',
  '--out',
  out,
  ...more,
];

function readCsv(path: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: head!.split(','), rows: lines.map((l) => l.split(',')) };
}

function expectInDomain(path: string, rows: number): void {
  const out = readCsv(path);
  expect(out.header).toEqual(['colour', 'n', 'answer', 'flag']);
  expect(out.rows).toHaveLength(rows);
  for (const [colour, n, answer, flag] of out.rows) {
    expect(COLOURS).toContain(colour);
    expect(['0', '1', '2', '3']).toContain(n);
    expect(['yes', 'no']).toContain(answer);
    expect(['0', '1']).toContain(flag);
  }
}

describe('veil synth', () => {
  it('writes synthetic rows with the input header and in-domain values, prints the JSON summary', async () => {
    const out = join(dir, 'out', 'synthetic.csv');
    const run = await runVeil('--json', ...synth(out, '--save', join(dir, 'model.json')));
    expect(run.code, run.stderr).toBe(0);
    const summary = run.json();
    expect(Object.keys(summary).sort()).toEqual(
      ['delta', 'epsilon', 'method', 'out', 'private', 'rho', 'rows', 'saved', 'seconds'].sort(),
    );
    expect(summary).toMatchObject({ method: 'mst', epsilon: 1, delta: 1e-6, rows: 200, out, private: true });
    expect(summary['rho']).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/synth: reading[\s\S]*fitting[\s\S]*sampling 200 rows[\s\S]*wrote/);
    expectInDomain(out, 200);
    // an existing output is refused without --force
    const again = await runVeil(...synth(out));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--out: must be a new file \(or --force/);
    expect((await runVeil(...synth(out, '--force'))).code).toBe(0);
  });

  it('fits with AIM too (--method aim), with the same output contract', async () => {
    const out = join(dir, 'aim.csv');
    const run = await runVeil('--json', ...synth(out).map((a) => (a === 'mst' ? 'aim' : a)));
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ method: 'aim', rows: 200, out });
    expectInDomain(out, 200);
  });

  it('is reproducible with a seed (and says the run is not private)', async () => {
    const a = join(dir, 'seed-a.csv');
    const b = join(dir, 'seed-b.csv');
    const runA = await runVeil('--json', '--seed', '7', ...synth(a));
    expect(runA.code, runA.stderr).toBe(0);
    expect(runA.json()['private']).toBe(false);
    expect((await runVeil('--seed', '7', ...synth(b))).code).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
  });

  it('samples a saved model without the ledger', async () => {
    const model = join(dir, 'sample-model.json');
    expect((await runVeil('--seed', '3', ...synth(join(dir, 'fit.csv'), '--save', model))).code).toBe(0);
    const saved = JSON.parse(readFileSync(model, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({
      format: 'veil.synth.model-file',
      method: 'mst',
      header: ['colour', 'n', 'answer', 'flag'],
    });
    const ledgerFile = join(dir, 'never-created.db');
    const before = process.env['VEIL_DB'];
    process.env['VEIL_DB'] = `sqlite:${ledgerFile}`;
    try {
      const out = join(dir, 'sampled.csv');
      const run = await runVeil(
        '--json',
        '--seed',
        '4',
        'synth',
        'sample',
        '--model',
        model,
        '--rows',
        '50',
        '--out',
        out,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.json()).toMatchObject({ method: 'mst', rows: 50, out, model });
      expectInDomain(out, 50);
      const again = join(dir, 'sampled-again.csv');
      await runVeil('--seed', '4', 'synth', 'sample', '--model', model, '--rows', '50', '--out', again);
      expect(readFileSync(again, 'utf8')).toBe(readFileSync(out, 'utf8'));
      expect(existsSync(ledgerFile)).toBe(false);
    } finally {
      if (before === undefined) delete process.env['VEIL_DB'];
      else process.env['VEIL_DB'] = before;
    }
    // a broken model file is refused by name
    const bad = join(dir, 'bad-model.json');
    writeFileSync(bad, JSON.stringify({ ...saved, header: ['colour', 'n'] }));
    const run = await runVeil('synth', 'sample', '--model', bad, '--rows', '5', '--out', join(dir, 'x.csv'));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/header: must be the model's attributes/);
    const stray = await runVeil(
      'synth',
      'sample',
      '--model',
      model,
      '--rows',
      '5',
      '--out',
      join(dir, 'y.csv'),
      '--epsilon',
      '1',
    );
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--epsilon: must be absent/);
  });
});

describe('veil synth with the ledger', () => {
  const db = `sqlite:${join(dir, 'ledger.db')}`;
  const ledgerFlags = [
    '--data-name',
    'toy',
    '--budget-account',
    'lab',
    '--purpose',
    'synthetic data',
    '--db',
    db,
  ];
  const spends = async () => {
    const ledger = await Ledger.open(db);
    try {
      return await ledger.spends('lab');
    } finally {
      await ledger.close();
    }
  };

  beforeAll(async () => {
    expect(
      (await runVeil('dataset', 'register', 'toy', '--file', csv, '--purpose', 'synthetic data', '--db', db))
        .code,
    ).toBe(0);
    expect(
      (await runVeil('budget', 'create', 'lab', '--epsilon', '3', '--delta', '1e-5', '--db', db)).code,
    ).toBe(0);
  });

  it('refuses bad input with exit 2, naming the flag, and charges nothing', async () => {
    const bad = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const outsideCell = bad('outside.csv', 'colour,n,answer,flag\nred,1,yes,0\npurple,1,yes,0\n');
    const extraColumn = bad('extra.csv', 'colour,n,answer,flag,zip\nred,1,yes,0,9\n');
    const missingColumn = bad('missing.csv', 'colour,n,answer\nred,1,yes\n');
    const numeric = bad(
      'numeric.json',
      JSON.stringify({
        colour: { type: 'categorical', values: COLOURS },
        n: { type: 'numeric', min: 0, max: 3 },
        answer: { type: 'categorical', values: ['yes', 'no'] },
        flag: 2,
      }),
    );
    mkdirSync(join(dir, 'a-directory'), { recursive: true });
    const out = join(dir, 'never.csv');
    const cases: [string[], RegExp][] = [
      [
        ['--data', outsideCell],
        /--data: must be cells inside the domain \(rows\[1\]\.colour: one of the 3 declared values, got "purple"\)/,
      ],
      [
        ['--data', extraColumn],
        /--domain: must be a domain with an entry for every CSV column \(none for "zip"\)/,
      ],
      [
        ['--data', missingColumn],
        /--data: must be a CSV with a column for every domain entry \(no column "flag"\)/,
      ],
      [
        ['--domain', numeric],
        /--domain: must be numeric columns with declared bins: column "n" is numeric without bins; .*"bins":10/,
      ],
      [['--epsilon', '0'], /--epsilon: must be a finite number > 0/],
      [['--epsilon', 'Infinity'], /--epsilon: must be a finite number > 0/],
      [['--delta', '1'], /--delta: must be a number in \(0, 1\)/],
      [['--rows', '0'], /--rows: must be an integer/],
      [['--method', 'pgm'], /--method: must be one of mst, aim/],
      [['--data', join(dir, 'no-such.csv')], /--data: must be a readable CSV file/],
      [['--data', join(dir, 'a-directory')], /--data: must be a readable CSV file \(EISDIR/],
      [['--domain', join(dir, 'no-such.json')], /--domain: must be a readable domain JSON file/],
      [['--out', join(dir, 'a-directory')], /--out: must be a file name \(it is a directory\)/],
      [['--save', join(dir, 'a-directory')], /--save: must be a file name \(it is a directory\)/],
    ];
    for (const [change, message] of cases) {
      // the account without the dataset: another file than the registered one is refused by its fingerprint (exit 6)
      const args = synth(out, ...ledgerFlags.slice(2));
      const at = args.indexOf(change[0]!);
      if (at >= 0) args[at + 1] = change[1]!;
      else args.push(...change);
      const run = await runVeil(...args);
      expect(run.code, `${change.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr, change.join(' ')).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
    expect(await spends()).toEqual([]);
  });

  it('checks consent and the fingerprint before reading, and charges nothing when refused', async () => {
    const out = join(dir, 'refused.csv');
    const flags = ledgerFlags.map((a) => (a === 'synthetic data' ? 'marketing' : a));
    const refused = await runVeil('--json', ...synth(out, ...flags));
    expect(refused.code, refused.stderr).toBe(7);
    expect(refused.stdout).toMatch(/VEIL_CONSENT_REFUSED/);
    const copy = join(dir, 'other.csv');
    writeFileSync(copy, `${readFileSync(csv, 'utf8')}red,0,yes,0\n`);
    const other = await runVeil(...synth(out, ...ledgerFlags).map((a) => (a === csv ? copy : a)));
    expect(other.code, other.stderr).toBe(6);
    expect(existsSync(out)).toBe(false);
    expect(await spends()).toEqual([]);
  });

  it('charges once, within rho, and records the lineage with the dataset fingerprint and the output', async () => {
    const out = join(dir, 'ledger-out.csv');
    const run = await runVeil('--json', ...synth(out, ...ledgerFlags));
    expect(run.code, run.stderr).toBe(0);
    const summary = run.json();
    const rho = summary['rho'] as number;
    const recorded = await spends();
    expect(recorded).toHaveLength(1);
    expect(
      new ZcdpAccountant().compose({ kind: 'composed', events: recorded[0]!.events }).rho,
    ).toBeLessThanOrEqual(rho);
    const ledger = summary['ledger'] as { spend: { id: number }; lineage: { auditEntry: number } };
    expect(ledger.spend.id).toBe(recorded[0]!.id);
    const shown = await runVeil(
      '--json',
      'audit',
      'show',
      '--entry',
      String(ledger.lineage.auditEntry),
      '--db',
      db,
    );
    const entry = shown.json()['entry'] as {
      action: string;
      dataset: string;
      detail: Record<string, unknown>;
    };
    expect(entry.action).toBe('job.complete');
    expect(entry.dataset).toBe(`toy@${await fingerprintFile(csv)}`);
    expect(entry.detail).toMatchObject({
      spendIds: [ledger.spend.id],
      method: 'mst',
      out: { file: out, rows: 200 },
    });
    // more than the account holds: refused, nothing written, still one spend
    const big = await runVeil(
      ...synth(join(dir, 'too-much.csv'), ...ledgerFlags).map((a) => (a === '1' ? '5' : a)),
    );
    expect(big.code, big.stderr).toBe(4);
    expect(existsSync(join(dir, 'too-much.csv'))).toBe(false);
    expect(await spends()).toHaveLength(1);
    expect((await runVeil('audit', 'verify', '--db', db)).code).toBe(0);
  });
});
