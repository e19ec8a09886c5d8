/** `veil train --config FILE`: the training job's spec as a file, flags overriding its fields. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-train-config-'));
const csv = join(dir, 'toy.csv');
writeFileSync(
  csv,
  `x,label\n${Array.from({ length: 300 }, (_, i) => `${(i % 13) / 13},${i % 3 ? 'a' : 'b'}`).join('\n')}\n`,
);
const spec = (extra = '') =>
  `data: { kind: csv, path: ${csv}, label: label }\nprivacy: { epsilon: 2, publicSize: 240 }\nepochs: 2\nbatchSize: 40\n${extra}`;

describe('veil train --config', () => {
  it('trains from a spec file exactly as from the same flags', async () => {
    const file = join(dir, 'spec.yaml');
    writeFileSync(file, spec());
    const fromFile = await runVeil('--seed', '3', '--json', 'train', '--config', file);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const fromFlags = await runVeil(
      '--seed',
      '3',
      '--json',
      'train',
      ...['--data', csv, '--label', 'label', '--epsilon', '2', '--public-size', '240'],
      ...['--epochs', '2', '--batch-size', '40'],
    );
    expect(fromFlags.code, fromFlags.stderr).toBe(0);
    const pick = (s: Record<string, unknown>) => [
      s['testAccuracy'],
      s['noiseMultiplier'],
      s['steps'],
      s['events'],
    ];
    expect(pick(fromFile.json())).toEqual(pick(fromFlags.json()));
  });

  it('lets a flag override a field of the file', async () => {
    const file = join(dir, 'override.yaml');
    writeFileSync(file, spec());
    const run = await runVeil('--json', 'train', '--config', file, '--epochs', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()['epochs']).toBe(1);
  });

  it("resolves the file's relative paths against the file's directory", async () => {
    const sub = join(dir, 'specs');
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'relative.yaml');
    writeFileSync(
      file,
      'data: { kind: csv, path: ../toy.csv, label: label }\nprivacy: { mode: non-private }\nepochs: 1\nbatchSize: 40\nout: { dir: model }\n',
    );
    const run = await runVeil('--json', 'train', '--config', file);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()['out']).toMatchObject({ dir: join(sub, 'model') });
  });

  it("names the file's fields and the flags' own problems, all at once, and trains nothing", async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `data: { kind: csv, path: ${csv}, label: label }\nprivacy: { epsilon: -1, publicSize: 240, colour: red }\n`,
    );
    const run = await runVeil('--json', 'train', '--config', file, '--batch-size', '0');
    expect(run.code).toBe(2);
    const message = (run.json() as { error: { message: string } }).error.message;
    expect(message).toMatch(/privacy\.epsilon: must be a finite number > 0, got -1/);
    expect(message).toMatch(/privacy\.colour: must be absent \(not a known field\), got "red"/);
    expect(message).toMatch(/--batch-size: must be an integer >= 1, got "0"/);
    const missing = await runVeil('train', '--config', join(dir, 'no-such.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--config: must be a readable YAML or JSON file/);
  });
});
