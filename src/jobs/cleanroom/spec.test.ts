import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { parseRuntimeConfig } from './spec.js';

const pub = (type: 'ed25519' | 'rsa' | 'ec', bits = 2048) =>
  (type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: bits })
    : type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519')
  ).publicKey
    .export({ type: 'spki', format: 'pem' })
    .toString();

const A = pub('ed25519');
const B = pub('ed25519');
const valid = () => ({
  version: 1,
  room: 'r1',
  parties: [
    { name: 'a', role: 'data_provider', publicKey: A, columns: { x: 3 } },
    {
      name: 'b',
      role: 'data_provider',
      publicKey: B,
      columns: { y: { type: 'numeric', min: 0, max: 9, bins: 3 } },
    },
  ],
  budget: { epsilon: 2, delta: 1e-6 },
  synth: { epsilon: 1, rows: 100 },
});

function issuesOf(raw: unknown): string[] {
  try {
    parseRuntimeConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => i.path);
  }
  throw new Error('accepted');
}

describe('runtime.yaml', () => {
  it('parses a valid configuration with defaults', () => {
    const c = parseRuntimeConfig(valid());
    expect(c).toMatchObject({
      room: 'r1',
      id: 'id',
      synth: { method: 'mst', epsilon: 1, rows: 100 },
      stats: { enabled: true, maxEpsilon: 0.5 },
      uploads: { allowReplacement: false },
    });
    expect([...c.parties[1]!.columns.keys()]).toEqual(['y']);
  });

  it.each([
    [
      'epsilon <= 0',
      (c: ReturnType<typeof valid>) => Object.assign(c.budget, { epsilon: 0 }),
      'budget.epsilon',
    ],
    ['delta >= 1', (c: ReturnType<typeof valid>) => Object.assign(c.budget, { delta: 1 }), 'budget.delta'],
    [
      'synth beyond budget',
      (c: ReturnType<typeof valid>) => Object.assign(c.synth, { epsilon: 3 }),
      'synth.epsilon',
    ],
    ['one party', (c: ReturnType<typeof valid>) => c.parties.pop(), 'parties'],
    [
      'another role',
      (c: ReturnType<typeof valid>) => Object.assign(c.parties[0]!, { role: 'analyst' }),
      'parties.0.role',
    ],
    ['an unknown key', (c: ReturnType<typeof valid>) => Object.assign(c, { extra: 1 }), ''],
    [
      'a shared column',
      (c: ReturnType<typeof valid>) => Object.assign(c.parties[1]!.columns, { x: 3 }),
      'parties.1.columns.x',
    ],
    [
      'the id as a column',
      (c: ReturnType<typeof valid>) => Object.assign(c.parties[0]!.columns, { id: 3 }),
      'parties.0.columns.id',
    ],
    [
      'dpgan (its events need an RDP account)',
      (c: ReturnType<typeof valid>) => Object.assign(c.synth, { method: 'dpgan' }),
      'synth.method',
    ],
    [
      'a repeated name',
      (c: ReturnType<typeof valid>) => Object.assign(c.parties[1]!, { name: 'a' }),
      'parties.1.name',
    ],
  ])('refuses %s', (_, mutate, path) => {
    const c = valid();
    mutate(c);
    expect(issuesOf(c).some((p) => p.startsWith(path))).toBe(true);
  });

  it('refuses keys that are not Ed25519 or RSA >= 2048, and a key two parties share', () => {
    for (const key of [pub('ec'), pub('rsa', 1024), 'not a key']) {
      const c = valid();
      c.parties[0]!.publicKey = key;
      expect(issuesOf(c)).toEqual(['parties[0].publicKey']);
    }
    const c = valid();
    c.parties[1]!.publicKey = A;
    expect(issuesOf(c)).toEqual(['parties[1].publicKey']);
    const rsa = valid();
    rsa.parties[0]!.publicKey = pub('rsa');
    expect(parseRuntimeConfig(rsa).parties[0]!.name).toBe('a');
  });

  it('refuses a numeric column without bins', () => {
    const c = valid();
    c.parties[1]!.columns = { y: { type: 'numeric', min: 0, max: 9 } } as never;
    expect(issuesOf(c)).toEqual(['parties[1].columns.y']);
  });
});
