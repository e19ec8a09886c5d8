/**
 * How the service keeps its own secrets (the API-key pepper) in the database: sealed by a {@link SecretBox}. With
 * a key-encryption key configured (secrets/kek.ts) the box encrypts; without one it stores the bytes as they are,
 * marked `plain.`, and the service says so at start (docs/server.md: what is and is not encrypted).
 */
import type { Kysely } from 'kysely';
import { ConfigError } from '../../core/index.js';
import {
  KEK_ENV,
  KEK_FILE_ENV,
  type Keyring,
  loadKeyring,
  openSecret,
  sealSecret,
} from '../../crypto/index.js';
import type { ServiceSchema } from './schema.js';

/** Seals and opens secrets for one purpose each (the purpose binds a sealed value to its use). */
export interface SecretBox {
  /** True when secrets are encrypted with a key-encryption key. */
  readonly encrypted: boolean;
  seal(purpose: string, plaintext: Uint8Array): string;
  /** @throws {ConfigError} when the value was sealed with a key this box lacks (or in clear while a KEK is set) */
  open(purpose: string, sealed: string): Uint8Array;
}

/** A box without a key-encryption key: values are stored in clear, marked `plain.`. */
export const PLAIN_BOX: SecretBox = Object.freeze({
  encrypted: false,
  seal: (_purpose: string, plaintext: Uint8Array) => `plain.${Buffer.from(plaintext).toString('base64')}`,
  open: (_purpose: string, sealed: string) => {
    if (!sealed.startsWith('plain.'))
      throw new ConfigError(
        [
          {
            path: `VEIL_KEK`,
            value: '(unset)',
            allowed:
              'the key-encryption key the service secrets were sealed with (set VEIL_KEK or VEIL_KEK_FILE)',
          },
        ],
        'service secrets',
      );
    return new Uint8Array(Buffer.from(sealed.slice('plain.'.length), 'base64'));
  },
});

/**
 * The secret called `name`, created with `create()` and stored sealed on first use. Two processes creating it at
 * once both insert; the loser's insert conflicts and it reads the winner's.
 */
export async function serviceSecret(
  db: Kysely<ServiceSchema>,
  box: SecretBox,
  name: string,
  create: () => Uint8Array,
): Promise<Uint8Array> {
  const row = await db
    .selectFrom('service_secrets')
    .select('sealed')
    .where('name', '=', name)
    .executeTakeFirst();
  if (row) return box.open(name, row.sealed);
  await db
    .insertInto('service_secrets')
    .values({ name, sealed: box.seal(name, create()), created_at: new Date().toISOString() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const stored = await db
    .selectFrom('service_secrets')
    .select('sealed')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return box.open(name, stored.sealed);
}

/** A box that seals with the ring's current key and opens with any key of the ring (or a `plain.` value, to upgrade it). */
export function kekBox(ring: Keyring): SecretBox & { readonly currentId: string } {
  return Object.freeze({
    encrypted: true,
    currentId: ring.current.id,
    seal: (purpose: string, plaintext: Uint8Array) => sealSecret(ring, purpose, plaintext),
    open: (purpose: string, sealed: string) =>
      sealed.startsWith('plain.') ? PLAIN_BOX.open(purpose, sealed) : openSecret(ring, purpose, sealed),
  });
}

/** The box the environment asks for: a KEK from `VEIL_KEK` / `VEIL_KEK_FILE`, else {@link PLAIN_BOX}. */
export function boxFromEnvironment(env: NodeJS.ProcessEnv = process.env): SecretBox {
  if (!env[KEK_ENV] && !env[KEK_FILE_ENV]) return PLAIN_BOX;
  return kekBox(loadKeyring(env));
}

/**
 * Re-seals every stored secret that is not sealed by `box`'s current key (after a rotation, or the first start
 * with a KEK); returns how many were rewritten. A box without a KEK never downgrades an encrypted secret.
 */
export async function resealSecrets(db: Kysely<ServiceSchema>, box: SecretBox): Promise<number> {
  const current = (box as { currentId?: string }).currentId;
  if (current === undefined) return 0;
  const rows = await db.selectFrom('service_secrets').selectAll().execute();
  let n = 0;
  for (const r of rows) {
    if (r.sealed.startsWith(`kek1.${current}.`)) continue;
    const sealed = box.seal(r.name, box.open(r.name, r.sealed));
    await db.updateTable('service_secrets').set({ sealed }).where('name', '=', r.name).execute();
    n++;
  }
  return n;
}
