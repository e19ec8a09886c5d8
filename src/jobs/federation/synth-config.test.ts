/**
 * The federation configs' `synth` sections (docs/federated.md §5.4): paths resolved against the file, every bad
 * key reported with its path and what is allowed, synthesis refused for the embedded hospitals (no CSV).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { SubmitSamplesRequestSchema } from '../../transport/index.js';
import { parseCoordinatorFile, parseNodeFile } from './config.js';
import { sampleCollector } from './coordinator.js';

const node = (
  synth: unknown,
  data: unknown = { kind: 'csv', path: 'd.csv', label: 'y', domain: 'd.json' },
) => ({
  coordinator: 'https://127.0.0.1:1',
  tls: { cert: 'n.crt', key: 'n.key', ca: 'ca.crt' },
  data,
  privacy: { kind: 'non-private' },
  synth,
});
const coordinator = (synth: unknown) => ({
  tls: { cert: 'c.crt', key: 'c.key', ca: 'ca.crt' },
  task: { inputShape: [3], numClasses: 2 },
  checkpoint: 'state/checkpoint.json',
  synth,
});

function issues(parse: () => unknown): { path: string; allowed: string }[] {
  try {
    parse();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path, allowed: i.allowed }));
    throw err;
  }
  return [];
}

describe('synth sections of the federation configs', () => {
  const good = { domain: 'synth-domain.json', method: 'aim', epsilon: 1, delta: 1e-9, rows: 500 };

  it('resolves the paths against the file', () => {
    expect(parseNodeFile(node(good), '/etc/veil/node.json').synth).toEqual({
      ...good,
      domain: '/etc/veil/synth-domain.json',
    });
    const c = parseCoordinatorFile(coordinator({ domain: 'd.json' }), '/srv/veil/coordinator.json');
    expect(c.synth).toMatchObject({
      dir: '/srv/veil/state/synthetic-samples',
      domain: '/srv/veil/d.json',
      maxRows: 100_000,
      maxBytes: 16 * 1024 * 1024,
    });
    expect(parseCoordinatorFile(coordinator({ dir: 'kept' }), '/srv/veil/c.json').synth?.dir).toBe(
      join('/srv/veil', 'kept'),
    );
  });

  it.each([
    [{ ...good, method: 'gan' }, 'synth.method'],
    [{ ...good, epsilon: 0 }, 'synth.epsilon'],
    [{ ...good, delta: 1 }, 'synth.delta'],
    [{ ...good, rows: 0 }, 'synth.rows'],
    [{ ...good, rows: 2.5 }, 'synth.rows'],
    [{ ...good, domian: 'x' }, 'synth.domian'],
    [{ method: 'aim', epsilon: 1, delta: 1e-9, rows: 5 }, 'synth.domain'],
  ])('refuses a node synth section %j at %s', (synth, path) => {
    expect(issues(() => parseNodeFile(node(synth), '/n.json')).map((i) => i.path)).toContain(path);
  });

  it('refuses synthesis on an embedded hospital (there is no CSV to synthesise)', () => {
    const found = issues(() =>
      parseNodeFile(node(good, { kind: 'hospital', name: 'city-clinic' }), '/n.json'),
    );
    expect(found).toEqual([{ path: 'synth', allowed: 'used with CSV data (data.kind csv)' }]);
  });

  it.each([
    [{ maxRows: 0 }, 'synth.maxRows'],
    [{ maxBytes: 61 * 1024 * 1024 }, 'synth.maxBytes'],
    [{ columns: [] }, 'synth.columns'],
    [{ colums: ['a'] }, 'synth.colums'],
  ])('refuses a coordinator synth section %j at %s', (synth, path) => {
    expect(issues(() => parseCoordinatorFile(coordinator(synth), '/c.json')).map((i) => i.path)).toContain(
      path,
    );
  });
});

describe("the coordinator's sample collector from its config", () => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-collector-'));
  const domainFile = (name: string, domain: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(domain));
    return path;
  };

  it('is absent without a synth section, and refuses a domain with unbinned numeric columns at start', () => {
    const file = (synth: unknown) => parseCoordinatorFile(coordinator(synth), join(dir, 'c.json'));
    expect(
      sampleCollector(parseCoordinatorFile(coordinator(undefined), join(dir, 'c.json')), () => {}, 'c'),
    ).toBeNull();
    const unbinned = domainFile('unbinned.json', { age: { type: 'numeric', min: 0, max: 99 }, sex: 2 });
    expect(() => sampleCollector(file({ domain: unbinned }), () => {}, 'c')).toThrow(/"age" have none/);
  });

  it('checks every cell against the domain before keeping anything', async () => {
    const domain = domainFile('ok.json', { age: { type: 'numeric', min: 0, max: 100, bins: 10 }, sex: 2 });
    const kept: string[] = [];
    const c = sampleCollector(
      parseCoordinatorFile(coordinator({ domain, dir: 'kept' }), join(dir, 'c.json')),
      (l) => kept.push(l),
      'c',
    )!;
    const send = (csv: string) => {
      const bytes = new TextEncoder().encode(csv);
      return c.submitSamples(
        create(SubmitSamplesRequestSchema, {
          protocolVersion: 1,
          method: 'mst',
          epsilon: 1,
          delta: 1e-6,
          rows: csv.trim().split('\n').length - 1,
          csv: bytes,
          sha256: createHash('sha256').update(bytes).digest(),
        }),
        { id: 'hospital-1', fingerprint: 'f' },
      );
    };
    const refused = await send('age,sex\n30,1\n41,7\n');
    expect(refused.accepted).toBe(false);
    expect(refused.reason).toMatch(/inside the coordinator's domain \(rows\[1\]\.sex\)/);
    expect(refused.reason).not.toMatch(/\b7\b/); // the reason names the cell's place, never its value
    expect((await send('age,sex\n30,1\n41,0\n')).accepted).toBe(true);
    expect(kept).toEqual([expect.stringMatching(/^synthetic samples from hospital-1: 2 rows/)]);
  });
});
