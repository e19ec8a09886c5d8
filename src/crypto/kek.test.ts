import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, IntegrityError, InvalidParameterError } from '../core/index.js';
import {
  generateKek,
  type Keyring,
  keyringFrom,
  loadKeyring,
  openSecret,
  rewrapSecret,
  sealSecret,
} from './kek.js';

const b64 = (key: Uint8Array) => Buffer.from(key).toString('base64');
const OLD = new Uint8Array(32).map((_, i) => i + 1);
const NEW = new Uint8Array(32).map((_, i) => 200 - i);
const SECRET = new TextEncoder().encode('pepper: 0123456789abcdef');

/** Flips one bit of the sealed text's ciphertext part (part 3) or nonce (part 2). */
function tamper(sealed: string, part: 2 | 3, byte = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[byte]! ^= 1;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('sealSecret / openSecret', () => {
  const ring = keyringFrom([generateKek()]);

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.string({ minLength: 1, maxLength: 64 })])(
    'opens what it sealed, for any secret and purpose',
    (plaintext, purpose) => {
      const sealed = sealSecret(ring, purpose, plaintext);
      expect(openSecret(ring, purpose, sealed)).toEqual(plaintext);
    },
  );

  it('writes kek1.<keyId>.<nonce>.<ciphertext+tag> with a fresh nonce each time', () => {
    const a = sealSecret(ring, 'api-key-pepper', SECRET);
    const b = sealSecret(ring, 'api-key-pepper', SECRET);
    expect(a).toMatch(/^kek1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a.split('.')[1]).toBe(ring.current.id);
    expect(Buffer.from(a.split('.')[3]!, 'base64url').length).toBe(SECRET.length + 16);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(a).not.toContain(Buffer.from(SECRET).toString('base64url').slice(0, 8));
  });

  it('refuses to open a secret as another purpose', () => {
    const sealed = sealSecret(ring, 'api-key-pepper', SECRET);
    expect(() => openSecret(ring, 'audit-signing-key', sealed)).toThrow(IntegrityError);
    expect(() => openSecret(ring, 'audit-signing-key', sealed)).toThrow(/another purpose/);
  });

  it('refuses a tampered ciphertext, tag or nonce', () => {
    const sealed = sealSecret(ring, 'api-key-pepper', SECRET);
    const tagByte = SECRET.length + 3;
    for (const bad of [tamper(sealed, 3), tamper(sealed, 3, tagByte), tamper(sealed, 2)]) {
      expect(() => openSecret(ring, 'api-key-pepper', bad)).toThrow(IntegrityError);
    }
    // a truncated ciphertext: still a well-formed text, the tag no longer matches
    const parts = sealed.split('.');
    const shorter = Buffer.from(parts[3]!, 'base64url').subarray(1).toString('base64url');
    expect(() => openSecret(ring, 'api-key-pepper', [...parts.slice(0, 3), shorter].join('.'))).toThrow(
      IntegrityError,
    );
  });

  it('refuses text that is not a sealed secret', () => {
    const sealed = sealSecret(ring, 'p', SECRET);
    const [, id, nonce] = sealed.split('.');
    for (const bad of [
      '',
      'kek1',
      sealed.replace(/^kek1/, 'kek2'),
      `${sealed}.extra`,
      `kek1.XYZ.${nonce}.AAAAAAAAAAAAAAAAAAAAAA`,
      `kek1.${id}.${nonce}.AAAA`,
      `kek1.${id}.AAAA.AAAAAAAAAAAAAAAAAAAAAA`,
      `kek1.${id}.${nonce}.not+base64url`,
    ]) {
      expect(() => openSecret(ring, 'p', bad), bad).toThrow(InvalidParameterError);
    }
  });

  it('refuses an empty purpose and a plaintext that is not bytes', () => {
    expect(() => sealSecret(ring, '', SECRET)).toThrow(/purpose/);
    expect(() => sealSecret(ring, 'p', 'text' as never)).toThrow(/plaintext/);
    expect(() => sealSecret({} as Keyring, 'p', SECRET)).toThrow(/keyring/);
  });
});

describe('rotation', () => {
  it('seals with the old key, opens with [new, old], rewraps to new, then [new] alone opens it', () => {
    const oldRing = keyringFrom([OLD]);
    const both = keyringFrom([NEW, OLD]);
    const newOnly = keyringFrom([NEW]);

    const sealedOld = sealSecret(oldRing, 'audit-signing-key', SECRET);
    expect(openSecret(both, 'audit-signing-key', sealedOld)).toEqual(SECRET);

    const rewrapped = rewrapSecret(both, 'audit-signing-key', sealedOld);
    expect(rewrapped.split('.')[1]).toBe(newOnly.current.id);
    expect(openSecret(newOnly, 'audit-signing-key', rewrapped)).toEqual(SECRET);

    expect(() => openSecret(newOnly, 'audit-signing-key', sealedOld)).toThrow(ConfigError);
    expect(() => openSecret(newOnly, 'audit-signing-key', sealedOld)).toThrow(
      new RegExp(`lacks key ${oldRing.current.id}`),
    );
  });

  it('returns a secret already under the current key unchanged, after checking it', () => {
    const ring = keyringFrom([NEW, OLD]);
    const sealed = sealSecret(ring, 'p', SECRET);
    expect(rewrapSecret(ring, 'p', sealed)).toBe(sealed);
    expect(() => rewrapSecret(ring, 'p', tamper(sealed, 3))).toThrow(IntegrityError);
    expect(() => rewrapSecret(ring, 'q', sealed)).toThrow(IntegrityError);
  });
});

describe('keyringFrom / generateKek', () => {
  it('names each key by the first 16 hex digits of SHA-256("veil-kek-id" || key)', () => {
    const ring = keyringFrom([NEW, OLD]);
    const expected = (key: Uint8Array) =>
      createHash('sha256').update('veil-kek-id').update(key).digest('hex').slice(0, 16);
    expect(ring.current.id).toBe(expected(NEW));
    expect(ring.previous.map((k) => k.id)).toEqual([expected(OLD)]);
    expect(ring.current.key).toEqual(NEW);
    expect(ring.current.key).not.toBe(NEW); // a copy
  });

  it('refuses no keys, a key of the wrong length and a duplicate', () => {
    expect(() => keyringFrom([])).toThrow(InvalidParameterError);
    expect(() => keyringFrom([new Uint8Array(16)])).toThrow(/keys\[0\] must be a Uint8Array of 32 bytes/);
    expect(() => keyringFrom([NEW, OLD, Uint8Array.from(NEW)])).toThrow(/keys\[2\].*same key as keys\[0\]/);
  });

  it('generates distinct 32-byte keys', () => {
    const a = generateKek();
    const b = generateKek();
    expect(a).toHaveLength(32);
    expect(a).not.toEqual(b);
  });
});

describe('loadKeyring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-kek-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function keyFile(name: string, text: string, mode = 0o600): string {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    return path;
  }

  it('reads VEIL_KEK: one key, or several with the current first', () => {
    expect(loadKeyring({ VEIL_KEK: b64(OLD) }).current.key).toEqual(OLD);
    const ring = loadKeyring({ VEIL_KEK: `${b64(NEW)}, ${b64(OLD)}` });
    expect(ring.current.key).toEqual(NEW);
    expect(ring.previous.map((k) => k.key)).toEqual([OLD]);
    expect(ring.current.id).toBe(keyringFrom([NEW]).current.id);
  });

  it('reads VEIL_KEK_FILE: one key per line, blank lines and # comments skipped', () => {
    const path = keyFile('ring', `# current\n${b64(NEW)}\n\n# rotated out on 2026-12-01\r\n${b64(OLD)}\n`);
    const ring = loadKeyring({ VEIL_KEK_FILE: path });
    expect(ring.current.key).toEqual(NEW);
    expect(ring.previous.map((k) => k.key)).toEqual([OLD]);
  });

  const short = b64(new Uint8Array(16));
  const table: readonly [string, () => NodeJS.ProcessEnv, RegExp][] = [
    ['nothing set', () => ({}), /VEIL_KEK: is required .*VEIL_KEK_FILE/],
    ['empty VEIL_KEK', () => ({ VEIL_KEK: '' }), /VEIL_KEK: is required/],
    ['both set', () => ({ VEIL_KEK: b64(NEW), VEIL_KEK_FILE: '/x' }), /exactly one/],
    [
      'wrong length',
      () => ({ VEIL_KEK: short }),
      /VEIL_KEK: must be base64 of 32 .*got "base64 of 16 bytes"/,
    ],
    ['bad base64', () => ({ VEIL_KEK: 'not-base64!' }), /VEIL_KEK: .*not base64/],
    ['non-canonical base64', () => ({ VEIL_KEK: b64(NEW).slice(0, 42) }), /VEIL_KEK: .*not base64/],
    [
      'truncated base64',
      () => ({ VEIL_KEK: b64(NEW).slice(0, 40) }),
      /VEIL_KEK: must be base64 of 32 .*got "base64 of 30 bytes"/,
    ],
    ['second key bad', () => ({ VEIL_KEK: `${b64(NEW)},${short}` }), /VEIL_KEK\[1\]: .*16 bytes/],
    ['empty entry', () => ({ VEIL_KEK: `${b64(NEW)},` }), /VEIL_KEK\[1\]: .*an empty entry/],
    [
      'duplicate keys',
      () => ({ VEIL_KEK: `${b64(NEW)},${b64(OLD)},${b64(NEW)}` }),
      /VEIL_KEK\[2\]: must be distinct keys, got "the same key as VEIL_KEK\[0\]"/,
    ],
    [
      'missing file',
      () => ({ VEIL_KEK_FILE: join(dir, 'absent') }),
      /VEIL_KEK_FILE \(.*absent\): .*cannot be opened \(ENOENT\)/,
    ],
    ['directory', () => ({ VEIL_KEK_FILE: dir }), /VEIL_KEK_FILE \(.*\): .*"a directory"/],
    [
      'file without keys',
      () => ({ VEIL_KEK_FILE: keyFile('empty', '# nothing yet\n\n') }),
      /VEIL_KEK_FILE \(.*empty\): .*without keys/,
    ],
    [
      'bad key in file',
      () => ({ VEIL_KEK_FILE: keyFile('bad', `${b64(NEW)}\n\n${short}\n`) }),
      /VEIL_KEK_FILE \(.*bad\) line 3: .*16 bytes/,
    ],
    [
      'duplicate in file',
      () => ({ VEIL_KEK_FILE: keyFile('dup', `${b64(NEW)}\n${b64(NEW)}\n`) }),
      /line 2: must be distinct keys, got "the same key as .*line 1"/,
    ],
  ];

  it.each(table)('refuses %s with a ConfigError naming what is allowed', (_, env, message) => {
    let thrown: unknown;
    try {
      loadKeyring(env());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).code).toBe('VEIL_CONFIG_INVALID');
    expect((thrown as Error).message).toMatch(message);
    // never quotes a key, good or bad
    for (const key of [b64(NEW), b64(OLD), short]) expect((thrown as Error).message).not.toContain(key);
  });

  it.skipIf(process.platform === 'win32')('refuses a key file that group or others may read', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      const path = keyFile(`open-${mode.toString(8)}`, `${b64(NEW)}\n`, mode);
      expect(() => loadKeyring({ VEIL_KEK_FILE: path })).toThrow(
        new RegExp(`chmod 600.*mode 0${mode.toString(8)} \\(group or others may read it\\)`),
      );
    }
    const owner = keyFile('owner-only', `${b64(NEW)}\n`, 0o400);
    expect(loadKeyring({ VEIL_KEK_FILE: owner }).current.key).toEqual(NEW);
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO at once instead of waiting on it', () => {
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(() => loadKeyring({ VEIL_KEK_FILE: fifo })).toThrow(/not a regular file/);
  });
});
