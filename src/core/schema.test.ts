/** checkSchema words every zod problem as what is allowed, at its own path, never in zod's own words. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkSchema, EpsilonSchema } from './schema.js';

const Schema = z
  .object({
    port: z.number().int().gte(0).lte(65535),
    url: z.string().url(),
    kind: z.enum(['a', 'b']),
    shape: z.array(z.number()).min(1),
    name: z.string().min(1),
    tagged: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('x') }).strict(),
      z.object({ kind: z.literal('y') }).strict(),
    ]),
    epsilon: EpsilonSchema,
    own: z.number({ error: 'a finite number > 0' }),
  })
  .strict();

const allowed = (raw: unknown, where = {}) =>
  Object.fromEntries(checkSchema(Schema, raw, where).issues.map((i) => [i.path, i.allowed]));

describe('checkSchema', () => {
  it("words each problem as what is allowed, and keeps a schema's own message", () => {
    expect(
      allowed({
        port: 70000,
        url: 'nope',
        kind: 'c',
        shape: [],
        name: '',
        tagged: { kind: 'z' },
        epsilon: -1,
        own: 'x',
      }),
    ).toEqual({
      port: 'a number <= 65535',
      url: 'a URL such as https://host:7443',
      kind: 'one of a, b',
      shape: 'a non-empty list',
      name: 'a non-empty string',
      'tagged.kind': 'one of x, y',
      epsilon: 'a finite number > 0',
      own: 'a finite number > 0',
    });
    expect(allowed({})['port']).toBe('a number');
    expect(allowed({ port: 1.5 })['port']).toBe('an integer');
  });

  it('reports each unknown key at its own path, under a prefix, and the whole value at the root name', () => {
    const r = checkSchema(z.object({ a: z.number() }).strict(), { a: 1, b: 2, c: 3 }, { prefix: 'section' });
    expect(r.issues).toEqual([
      { path: 'section.b', value: 2, allowed: 'absent (not a known field)' },
      { path: 'section.c', value: 3, allowed: 'absent (not a known field)' },
    ]);
    expect(checkSchema(Schema, 'text').issues).toEqual([
      { path: '(top level)', value: 'text', allowed: 'a mapping of keys to values' },
    ]);
    expect(checkSchema(Schema, 'text', { root: '--config' }).issues[0]?.path).toBe('--config');
  });

  it('returns the parsed data when there is no problem', () => {
    const r = checkSchema(z.object({ a: z.number().default(2) }), {});
    expect('data' in r && r.data).toEqual({ a: 2 });
    expect(r.issues).toEqual([]);
  });
});
