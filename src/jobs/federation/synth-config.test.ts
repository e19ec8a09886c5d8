/**
 * The federation configs' `synth` sections (docs/federated.md §5.4): paths resolved against the file, every bad
 * key reported with its path and what is allowed, synthesis refused for the embedded hospitals (no CSV).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { parseCoordinatorFile, parseNodeFile } from './config.js';

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
