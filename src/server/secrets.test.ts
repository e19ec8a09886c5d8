/**
 * The service's secrets at rest: the API-key pepper sealed under the key-encryption key, re-sealed when the KEK
 * rotates (keys keep working), refused when the KEK is missing; without a KEK it is stored in clear, and a first
 * start with one seals it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { generateKek, keyringFrom } from '../crypto/index.js';
import { openStores } from './app/service.js';
import { kekBox, PLAIN_BOX } from './store/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-service-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sealedPepper(db: string, box: ReturnType<typeof kekBox> | typeof PLAIN_BOX) {
  const s = await openStores(db, { box, auditKeyFile: `${db.slice('sqlite:'.length)}.audit-key` });
  try {
    const row = await s.sdb
      .selectFrom('service_secrets')
      .select('sealed')
      .where('name', '=', 'api-key-pepper')
      .executeTakeFirstOrThrow();
    return { sealed: row.sealed, stores: s };
  } catch (err) {
    await s.ledger.close();
    throw err;
  }
}

describe('service secrets under a key-encryption key', () => {
  it('seals the pepper, re-seals it on rotation with keys still valid, and refuses to start without the KEK', async () => {
    const db = `sqlite:${join(dir, 'a.db')}`;
    const first = keyringFrom([generateKek()]);
    const a = await sealedPepper(db, kekBox(first));
    expect(a.sealed).toMatch(new RegExp(`^kek1\\.${first.current.id}\\.`));
    const init = await a.stores.identity.initOrganisation('acme', 'op');
    await a.stores.ledger.close();

    const rotated = keyringFrom([generateKek(), first.current.key]);
    const b = await sealedPepper(db, kekBox(rotated));
    expect(b.sealed).toMatch(new RegExp(`^kek1\\.${rotated.current.id}\\.`));
    expect((await b.stores.identity.callerForKey(init.apiKey)).org).toBe('acme');
    await b.stores.ledger.close();

    await expect(
      openStores(db, { box: PLAIN_BOX, auditKeyFile: join(dir, 'x.audit-key') }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(
      openStores(db, { box: kekBox(keyringFrom([generateKek()])), auditKeyFile: join(dir, 'y.audit-key') }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('stores the pepper in clear without a KEK, and seals it at the first start with one', async () => {
    const db = `sqlite:${join(dir, 'b.db')}`;
    const plain = await sealedPepper(db, PLAIN_BOX);
    expect(plain.sealed.startsWith('plain.')).toBe(true);
    const init = await plain.stores.identity.initOrganisation('acme', 'op');
    await plain.stores.ledger.close();
    const ring = keyringFrom([generateKek()]);
    const sealed = await sealedPepper(db, kekBox(ring));
    expect(sealed.sealed.startsWith('kek1.')).toBe(true);
    expect((await sealed.stores.identity.callerForKey(init.apiKey)).org).toBe('acme');
    await sealed.stores.ledger.close();
  });
});
