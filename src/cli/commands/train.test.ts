import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { encodeCsvFeatures, encodeIdx, loadModelWithMetadata, parseEncoder, Tensor } from '../../ml/index.js';
import { runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-train-'));
afterAll(() => undefined);

/** A CSV whose label is [x + y > 0] with a categorical column, and its domain. */
function writeCsv(name: string, rows: number, seed: number): string {
  const rng = seededRng(seed);
  const lines = ['x,y,colour,label'];
  for (let i = 0; i < rows; i++) {
    const x = rng.normal();
    const y = rng.normal();
    lines.push(
      `${x.toFixed(4)},${y.toFixed(4)},${['red', 'green', 'blue'][rng.uniformInt(3)]},${x + y > 0 ? 'yes' : 'no'}`,
    );
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
const csv = writeCsv('toy.csv', 1200, 1);
const domain = join(dir, 'domain.json');
writeFileSync(
  domain,
  JSON.stringify({
    x: { type: 'numeric', min: -4, max: 4 },
    y: { type: 'numeric', min: -4, max: 4 },
    colour: { type: 'categorical', values: ['red', 'green', 'blue'] },
    label: { type: 'categorical', values: ['no', 'yes'] },
  }),
);
const base = [
  'train',
  '--data',
  csv,
  '--label',
  'label',
  '--domain',
  domain,
  '--epochs',
  '3',
  '--batch-size',
  '64',
  '--lr',
  '0.5',
  '--public-size',
  '1000',
];

describe('veil train', () => {
  it('trains privately to a target epsilon and prints the summary', async () => {
    const run = await runVeil(...base, '--model', 'mlp:8:tanh', '--epsilon', '2', '--json');
    expect(run.code, run.stderr).toBe(0);
    const s = run.json();
    // CSPRNG noise: the accuracy varies from run to run (60 runs: median 0.90, lowest 0.69; a CI run once saw
    // 0.596), so this only asks for clearly better than chance (0.5); the seeded tests below pin exact behaviour
    expect(s['testAccuracy']).toBeGreaterThan(0.55);
    expect(s['epsilonSpent']).toBeLessThanOrEqual(2);
    expect(s['epsilonSpent']).toBeGreaterThan(1.9);
    expect(s['delta']).toBe(1e-5);
    expect(s['noiseMultiplier']).toBeGreaterThan(0);
    expect(s['epochs']).toBe(3);
    expect(s['examplesPerSecond']).toBeGreaterThan(0);
    expect(s['accountant']).toBe('rdp');
    expect(s['private']).toBe(true);
    expect((s['epsilon'] as { pld: number }).pld).toBeLessThanOrEqual(2);
    expect(run.stderr).toMatch(/epoch 3: loss/);
    // Review findings: the actual training count is never printed (q and the steps come from --public-size),
    // and the unnoised loss, test accuracy and timings are labelled as outside epsilon.
    expect(s['sampleRate']).toBe(64 / 1000);
    expect(s['data']).toMatchObject({ publicSize: 1000 });
    expect(JSON.stringify(s)).not.toMatch(/"trainExamples"/);
    expect(s['notCoveredByEpsilon']).toEqual(
      expect.arrayContaining([expect.stringMatching(/training loss/)]),
    );
    expect(run.stderr).toMatch(/not covered by epsilon/);
  });

  it('refuses a private run on a CSV without --public-size, naming the flag and what it is for', async () => {
    const run = await runVeil(...base.slice(0, -2), '--epsilon', '1', '--json');
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/--public-size/);
    expect(run.stdout).toMatch(/treat as public/);
  });

  it('writes a model that loads back with its encoder and predicts the same', async () => {
    const out = join(dir, 'model');
    const run = await runVeil(
      ...base,
      '--model',
      'logreg',
      '--noise-multiplier',
      '1',
      '--out',
      out,
      '--json',
      '--seed',
      '3',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    expect(existsSync(join(out, 'weights.bin'))).toBe(true);
    const { model, metadata } = loadModelWithMetadata(out);
    expect(metadata?.classNames).toEqual(['no', 'yes']);
    expect((metadata!.privacy as { private: boolean }).private).toBe(false);
    const encoder = parseEncoder(JSON.stringify(metadata?.preprocessing));
    const { features, numExamples } = encodeCsvFeatures({
      encoder,
      text: 'x,y,colour\n2,1,red\n-2,-1,blue\n',
    });
    const predictions = model.predict(new Tensor([numExamples, ...model.inputShape], features));
    expect(Array.from(predictions)).toEqual([1, 0]);
  });

  it('is reproducible with --seed, and then says it is not private', async () => {
    const a = (await runVeil(...base, '--epsilon', '1', '--seed', '5', '--json')).json();
    const b = (await runVeil(...base, '--epsilon', '1', '--seed', '5', '--json')).json();
    expect(a['testAccuracy']).toBe(b['testAccuracy']);
    expect(a['private']).toBe(false);
    expect(a['note']).toMatch(/NOT private/);
  });

  it('trains a non-private baseline on the same engine', async () => {
    const run = await runVeil(...base, '--non-private', '--seed', '4', '--json');
    expect(run.code).toBe(0);
    expect(run.json()['epsilonSpent']).toBeNull();
    expect(run.json()['testAccuracy']).toBeGreaterThan(0.9);
  });

  it('trains on IDX images (--dataset fashion-mnist:DIR)', async () => {
    const idx = join(dir, 'idx');
    mkdirSync(idx);
    const rng = seededRng(9);
    const write = (name: string, n: number, images: boolean) => {
      const data = Uint8Array.from({ length: images ? n * 28 * 28 : n }, () =>
        images ? rng.uniformInt(256) : rng.uniformInt(10),
      );
      writeFileSync(
        join(idx, name),
        gzipSync(encodeIdx({ dataType: 'uint8', dims: images ? [n, 28, 28] : [n], data })),
      );
    };
    write('train-images-idx3-ubyte.gz', 64, true);
    write('train-labels-idx1-ubyte.gz', 64, false);
    write('t10k-images-idx3-ubyte.gz', 16, true);
    write('t10k-labels-idx1-ubyte.gz', 16, false);
    const run = await runVeil(
      'train',
      '--dataset',
      `fashion-mnist:${idx}`,
      '--model',
      'cnn:papernot',
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--epsilon',
      '5',
      '--public-size',
      '64',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()['data']).toMatchObject({ publicSize: 64, testExamples: 16, classes: 10 });
    expect(run.json()['data']).not.toHaveProperty('trainExamples');
  });

  const refusals: ReadonlyArray<readonly [string, () => string[], RegExp, number]> = [
    [
      'a missing label column',
      () => ['--data', csv, '--label', 'outcome', '--non-private'],
      /--label: must be one of the CSV columns \(x, y, colour, label\), got "outcome"/,
      2,
    ],
    [
      'a non-numeric value in a numeric column',
      () => [
        '--data',
        writeBad('x,label\n1,a\nfoo,b\n'),
        '--label',
        'label',
        '--domain',
        badDomain(),
        '--non-private',
      ],
      /rows\[1\]\.x.*got "foo"/,
      2,
    ],
    [
      'NaN and Infinity',
      () => ['--data', writeBad('x,label\nNaN,a\nInfinity,b\n'), '--label', 'label', '--non-private'],
      /rows\[0\]\.x|NaN/,
      2,
    ],
    [
      'an empty file',
      () => ['--data', writeBad(''), '--label', 'label', '--non-private'],
      /the file is empty/,
      2,
    ],
    [
      'a model spec that does not parse',
      () => [...base.slice(1), '--model', 'mlp:x', '--non-private'],
      /--model: must be one of logreg/,
      2,
    ],
    [
      'a layer without per-example support',
      () => [...base.slice(1), '--model', writeModel([{ type: 'batchNorm' }]), '--non-private'],
      /batchNorm' is refused: batch normalisation mixes the examples/,
      2,
    ],
    [
      'epsilon <= 0',
      () => [...base.slice(1), '--epsilon', '0'],
      /--epsilon: must be a finite number > 0, got "0"/,
      2,
    ],
    [
      'delta >= 1',
      () => [...base.slice(1), '--epsilon', '1', '--delta', '1'],
      /--delta: must be a number in \(0, 1\)/,
      2,
    ],
    ['no privacy choice', () => [...base.slice(1)], /--epsilon: is required/, 2],
  ];
  let bad = 0;
  function writeBad(text: string): string {
    const path = join(dir, `bad-${bad++}.csv`);
    writeFileSync(path, text);
    return path;
  }
  function badDomain(): string {
    const path = join(dir, `bad-domain-${bad++}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        x: { type: 'numeric', min: 0, max: 10 },
        label: { type: 'categorical', values: ['a', 'b'] },
      }),
    );
    return path;
  }
  function writeModel(layers: unknown[]): string {
    const path = join(dir, `model-${bad++}.json`);
    writeFileSync(path, JSON.stringify({ layers: [...layers, { type: 'dense', units: 2 }] }));
    return path;
  }

  it.each(refusals)(
    'refuses %s, names it, exits non-zero and writes nothing',
    async (_name, args, message, code) => {
      const out = join(dir, `out-${bad++}`);
      const run = await runVeil('train', ...args(), '--out', out, '--json');
      expect(run.code).toBe(code);
      const error = (run.json() as { error: { message: string } }).error;
      expect(error.message).toMatch(message);
      expect(existsSync(out)).toBe(false);
    },
  );

  it('refuses to overwrite a model without --overwrite', async () => {
    const out = join(dir, 'model');
    if (!existsSync(join(out, 'model.json'))) await runVeil(...base, '--non-private', '--out', out);
    const before = readFileSync(join(out, 'model.json'), 'utf8');
    const run = await runVeil(...base, '--non-private', '--out', out);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--out: must be a directory without a model \(or add --overwrite\)/);
    expect(readFileSync(join(out, 'model.json'), 'utf8')).toBe(before);
  });
});

describe('veil train with the ledger', () => {
  it('checks consent before reading the data, spends the planned events before training, records lineage', async () => {
    const db = `sqlite:${join(dir, 'ledger.db')}`;
    expect(
      (await runVeil('dataset', 'register', 'toy', '--file', csv, '--purpose', 'risk model', '--db', db))
        .code,
    ).toBe(0);
    expect(
      (await runVeil('budget', 'create', 'bank', '--epsilon', '3', '--delta', '1e-5', '--db', db)).code,
    ).toBe(0);
    const ledgerFlags = ['--data-name', 'toy', '--budget-account', 'bank', '--db', db];
    // a purpose the terms do not allow: refused before the file is read (a missing file would give exit 2)
    const missing = base.map((a) => (a === csv ? join(dir, 'no-such-file.csv') : a));
    let run = await runVeil(...missing, ...ledgerFlags, '--purpose', 'marketing', '--epsilon', '1', '--json');
    expect(run.code, run.stderr).toBe(7);
    expect(run.stdout).toMatch(/VEIL_CONSENT_REFUSED/);
    // more than the budget: refused before training, nothing written
    const out = join(dir, 'ledger-model');
    run = await runVeil(
      ...base,
      ...ledgerFlags,
      '--purpose',
      'risk model',
      '--epsilon',
      '4',
      '--out',
      out,
      '--json',
    );
    expect(run.code, run.stderr).toBe(4);
    expect(existsSync(join(out, 'model.json'))).toBe(false);
    run = await runVeil(
      ...base,
      ...ledgerFlags,
      '--purpose',
      'risk model',
      '--epsilon',
      '2',
      '--out',
      out,
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const ledger = run.json().ledger as {
      spend: { id: number; epsilonAfter: { bank: number } };
      lineage: { auditEntry: number };
    };
    expect(ledger.spend.epsilonAfter.bank).toBeLessThanOrEqual(2);
    expect(ledger.spend.epsilonAfter.bank).toBeGreaterThan(1.9);
    const shown = await runVeil(
      '--json',
      'audit',
      'show',
      '--entry',
      String(ledger.lineage.auditEntry),
      '--db',
      db,
    );
    const entry = shown.json().entry as {
      action: string;
      dataset: string;
      detail: { modelHash: string; spendIds: number[] };
    };
    expect(entry.action).toBe('job.complete');
    expect(entry.dataset).toMatch(/^toy@sha256:/);
    expect(entry.detail.spendIds).toEqual([ledger.spend.id]);
    expect(entry.detail.modelHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await runVeil('audit', 'verify', '--db', db)).code).toBe(0);
  });
});
