/**
 * runtime.yaml, the clean room's configuration, as one zod schema: what every party inspects before uploading
 * (and what PCR2 of the room's attestation measures, byte for byte). The schema checks ranges and the rules
 * between fields (distinct parties and keys, distinct columns, a synthesis epsilon within the budget, binned
 * numeric columns); {@link parseRuntimeConfig} turns it into the room's {@link RoomConfig}.
 */
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import type { RoomConfig } from '../../cleanroom/index.js';
import { ConfigError } from '../../core/index.js';
import { type DomainEntry, parseDomain } from '../../ml/index.js';
import { integer, openUnit, positive, text } from '../fields.js';
import { parseSpec } from '../spec.js';
import type { SynthMethodName } from '../synth/methods.js';

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const ROOM_METHODS = ['mst', 'aim'] as const satisfies readonly SynthMethodName[];
const name = (what: string) =>
  z
    .string({ error: `${what}: lower-case letters, digits and '-', starting with a letter (at most 40)` })
    .regex(NAME, {
      error: `${what}: lower-case letters, digits and '-', starting with a letter (at most 40)`,
    });

const PartySchema = z
  .object({
    name: name('a party name'),
    role: z.literal('data_provider', { error: 'data_provider (the one role of a clean room)' }),
    /** SPKI PEM, inline (so PCR2 covers it). */
    publicKey: text('an Ed25519 or RSA public key, SPKI PEM, inline in runtime.yaml'),
    columns: z.record(z.string(), z.unknown(), { error: 'a domain: column name → entry (docs/synth.md)' }),
  })
  .strict();

/** runtime.yaml. */
export const RuntimeConfigSchema = z
  .object({
    version: z.literal(1, { error: '1' }),
    room: name('the room name'),
    id: text('the id column every party uploads (the join key)').default('id'),
    parties: z
      .array(PartySchema, { error: 'a list of parties' })
      .min(2, { error: 'at least 2 parties' })
      .max(8, {
        error: 'at most 8 parties',
      }),
    budget: z.object({ epsilon: positive(), delta: openUnit() }).strict(),
    synth: z
      .object({
        // the room's account is zCDP: dpgan's subsampled DP-SGD events need an RDP account
        method: z
          .enum(ROOM_METHODS, {
            error: `mst or aim (dpgan's subsampled events cannot be composed by the room's zCDP account)`,
          })
          .default('mst'),
        epsilon: positive(),
        rows: integer(1, 1_000_000),
      })
      .strict(),
    stats: z
      .object({ enabled: z.boolean().default(true), maxEpsilon: positive().default(0.5) })
      .strict()
      .default({ enabled: true, maxEpsilon: 0.5 }),
    uploads: z
      .object({
        maxBytes: integer(1024, 4 * 1024 ** 3).default(512 * 1024 * 1024),
        allowReplacement: z.boolean().default(false),
      })
      .strict()
      .default({ maxBytes: 512 * 1024 * 1024, allowReplacement: false }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, input: undefined });
    if (c.synth.epsilon > c.budget.epsilon)
      issue(['synth', 'epsilon'], `at most the room's budget.epsilon (${c.budget.epsilon})`);
    const names = new Set<string>();
    const columns = new Map<string, string>();
    c.parties.forEach((p, i) => {
      if (names.has(p.name)) issue(['parties', i, 'name'], 'a name no other party has');
      names.add(p.name);
      for (const col of Object.keys(p.columns)) {
        if (col === c.id) issue(['parties', i, 'columns', col], `a column other than the id column ${c.id}`);
        else if (columns.has(col))
          issue(
            ['parties', i, 'columns', col],
            `a column no other party declares (${columns.get(col)} does)`,
          );
        columns.set(col, p.name);
      }
      if (Object.keys(p.columns).length === 0) issue(['parties', i, 'columns'], 'at least one column');
    });
  });

/** runtime.yaml as written. */
export type RuntimeConfigInput = z.input<typeof RuntimeConfigSchema>;

/**
 * Parses runtime.yaml's content (already read as YAML) into the room's configuration: the schema, each party's
 * key (Ed25519 or RSA of at least 2048 bits, distinct), and each party's columns as a domain.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming each bad field of runtime.yaml
 * @example const config = parseRuntimeConfig(parseYaml(readFileSync('runtime.yaml', 'utf8')));
 */
export function parseRuntimeConfig(raw: unknown, context = 'runtime.yaml'): RoomConfig {
  const c = parseSpec(RuntimeConfigSchema, raw, context);
  const keys = new Set<string>();
  const parties = c.parties.map((p, i) => {
    let der: string;
    try {
      const key = createPublicKey(p.publicKey);
      const type = key.asymmetricKeyType;
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (type !== 'ed25519' && !(type === 'rsa' && bits >= 2048)) throw new Error(`${type} ${bits}`);
      der = key.export({ type: 'spki', format: 'der' }).toString('base64');
    } catch {
      throw new ConfigError(
        [
          {
            path: `parties[${i}].publicKey`,
            value: p.name,
            allowed: 'an Ed25519 or RSA (>= 2048 bits) public key, SPKI PEM',
          },
        ],
        context,
      );
    }
    if (keys.has(der))
      throw new ConfigError(
        [{ path: `parties[${i}].publicKey`, value: p.name, allowed: 'a key no other party has' }],
        context,
      );
    keys.add(der);
    const columns = parseDomain(p.columns as Record<string, DomainEntry>, `${context} parties[${i}].columns`);
    for (const [col, d] of columns)
      if (d.type === 'numeric' && d.edges === undefined)
        throw new ConfigError(
          [
            {
              path: `parties[${i}].columns.${col}`,
              value: undefined,
              allowed:
                'numeric columns with bins or edges (synthetic data is generated over discrete columns)',
            },
          ],
          context,
        );
    return {
      name: p.name,
      role: p.role,
      publicKey: p.publicKey,
      columns,
      columnsSpec: p.columns,
    } as const;
  });
  return {
    room: c.room,
    id: c.id,
    parties,
    budget: c.budget,
    synth: c.synth,
    stats: c.stats,
    uploads: c.uploads,
  };
}
