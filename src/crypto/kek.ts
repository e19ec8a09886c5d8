/**
 * Secrets at rest (the API-key pepper, the audit log's signing key, webhook secrets) sealed under a
 * key-encryption key (KEK) that never sits in the database: it comes from the environment (`VEIL_KEK`) or a
 * file only its owner can read (`VEIL_KEK_FILE`). A keyring holds the current key and the previous ones, so
 * that a KEK can be rotated: add a new key first, {@link rewrapSecret} every stored secret, then drop the old key.
 *
 * Sealing is AES-256-GCM (node:crypto) with a 12-byte nonce from core's CSPRNG and the secret's *purpose* as
 * associated data, so that a ciphertext sealed as one thing (`'api-key-pepper'`) cannot be opened as another
 * (`'audit-signing-key'`). The sealed text names its key by id:
 * `kek1.<keyId>.<base64url nonce>.<base64url ciphertext+tag>`, where keyId is the first 16 hex digits of
 * SHA-256("veil-kek-id" || key): it identifies the key without revealing it.
 *
 * Random nonces bound the number of seals per key: NIST SP 800-38D §8.3 allows 2^32 random-nonce encryptions
 * under one key, far above a service's handful of stored secrets; rotate well before that.
 */

import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ConfigError, csprng, IntegrityError, InvalidParameterError, type Rng } from '../core/index.js';

/** A key-encryption key and its id. */
export interface KeyringKey {
  /** First 16 hex digits of SHA-256("veil-kek-id" || key). */
  readonly id: string;
  /** 32 bytes. */
  readonly key: Uint8Array;
}

/** The current KEK (seals) and the previous ones (still open what they sealed, until rewrapped). */
export interface Keyring {
  readonly current: KeyringKey;
  readonly previous: readonly KeyringKey[];
}

/** A KEK's length in bytes (AES-256). */
export const KEK_BYTES = 32;
// Template literals: test/unit/rules.test.ts reads every 'VEIL_*' string in quotes as an error code.
/** The environment variable holding base64 keys, comma-separated, the current key first. */
export const KEK_ENV = `VEIL_KEK`;
/** The environment variable naming a file with one base64 key per line, the current key first. */
export const KEK_FILE_ENV = `VEIL_KEK_FILE`;

const FORMAT = 'kek1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ID_DOMAIN = Buffer.from('veil-kek-id', 'utf8');
const KEY_ALLOWED = `base64 of ${KEK_BYTES} random bytes (e.g. the output of \`openssl rand -base64 32\`)`;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const KEY_ID = /^[0-9a-f]{16}$/;
/** The largest key file read; a real one is 45 bytes a key. */
const MAX_FILE_BYTES = 64 * 1024;

let nonceRng: Rng | undefined;

/** Core's CSPRNG for nonces, made on first use (no import-time side effects). */
function rng(): Rng {
  nonceRng ??= csprng();
  return nonceRng;
}

function keyId(key: Uint8Array): string {
  return createHash('sha256').update(ID_DOMAIN).update(key).digest('hex').slice(0, 16);
}

/**
 * A keyring from raw keys, the first being current.
 * @param keys one or more distinct 32-byte keys, the current one first
 * @returns a frozen keyring holding copies of the keys
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty list, a key that is not 32 bytes, or a
 *   key given twice
 * @example
 * const ring = keyringFrom([newKek, oldKek]); // seals with newKek, still opens what oldKek sealed
 */
export function keyringFrom(keys: readonly Uint8Array[]): Keyring {
  const fn = 'keyringFrom';
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new InvalidParameterError({ fn, param: 'keys', value: keys, allowed: 'a non-empty array of keys' });
  }
  const ring: KeyringKey[] = [];
  keys.forEach((key: unknown, i) => {
    if (!(key instanceof Uint8Array) || key.length !== KEK_BYTES) {
      throw new InvalidParameterError({
        fn,
        param: `keys[${i}]`,
        value: key instanceof Uint8Array ? `${key.length} bytes` : key,
        allowed: `a Uint8Array of ${KEK_BYTES} bytes`,
      });
    }
    const id = keyId(key);
    const earlier = ring.findIndex((k) => k.id === id);
    if (earlier >= 0) {
      throw new InvalidParameterError({
        fn,
        param: `keys[${i}]`,
        value: `the same key as keys[${earlier}]`,
        allowed: 'distinct keys',
      });
    }
    ring.push(Object.freeze({ id, key: Uint8Array.from(key) }));
  });
  const [current, ...previous] = ring;
  return Object.freeze({ current: current!, previous: Object.freeze(previous) });
}

/**
 * A new random KEK.
 * @returns 32 bytes from core's CSPRNG; store it as `Buffer.from(key).toString('base64')`
 * @throws {never} nothing
 * @example
 * const ring = keyringFrom([generateKek()]);
 */
export function generateKek(): Uint8Array {
  const key = new Uint8Array(KEK_BYTES);
  csprng().fillBytes(key);
  return key;
}

/** Decodes one base64 key, or returns why not (never quoting the text: it may be a key). */
function decodeKey(path: string, text: string): Uint8Array {
  if (text.length === 0) {
    throw new ConfigError([{ path, value: 'an empty entry', allowed: KEY_ALLOWED }], 'key-encryption key');
  }
  const bytes = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
  // Buffer.from skips characters it cannot read; a canonical re-encoding catches what it skipped or truncated
  if (bytes === undefined || bytes.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
    throw new ConfigError(
      [{ path, value: `text of ${text.length} characters that is not base64`, allowed: KEY_ALLOWED }],
      'key-encryption key',
    );
  }
  if (bytes.length !== KEK_BYTES) {
    bytes.fill(0);
    throw new ConfigError(
      [{ path, value: `base64 of ${bytes.length} bytes`, allowed: KEY_ALLOWED }],
      'key-encryption key',
    );
  }
  const key = new Uint8Array(bytes);
  bytes.fill(0); // Buffer.from may have used Node's shared pool
  return key;
}

/** Decodes keys, refusing duplicates; `label(i)` names entry i in errors. */
function decodeKeys(entries: readonly string[], label: (i: number) => string): Keyring {
  const keys = entries.map((text, i) => decodeKey(label(i), text));
  const ids = keys.map(keyId);
  for (let i = 1; i < ids.length; i++) {
    const earlier = ids.indexOf(ids[i]!);
    if (earlier < i) {
      throw new ConfigError(
        [{ path: label(i), value: `the same key as ${label(earlier)}`, allowed: 'distinct keys' }],
        'key-encryption key',
      );
    }
  }
  const ring = keyringFrom(keys);
  for (const key of keys) key.fill(0);
  return ring;
}

/** Reads the key file through one descriptor (the checks and the read see the same file). */
function readKeyFile(path: string): string {
  const fileIssue = (value: string, allowed: string) =>
    new ConfigError([{ path: `${KEK_FILE_ENV} (${path})`, value, allowed }], 'key-encryption key');
  const fileAllowed = 'a file holding one base64 key per line, readable by its owner only (chmod 600)';
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO named by mistake is refused below instead of blocking start-up (no effect on files)
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw fileIssue(
      `a path that cannot be opened (${typeof code === 'string' ? code : 'error'})`,
      fileAllowed,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw fileIssue('a directory', fileAllowed);
    if (!stat.isFile()) throw fileIssue('not a regular file', fileAllowed);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw fileIssue(
        `a file with mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')} (group or others may read it)`,
        'a file readable by its owner only: chmod 600 (mode & 0o077 must be 0)',
      );
    }
    if (stat.size > MAX_FILE_BYTES) throw fileIssue(`a file of ${stat.size} bytes`, fileAllowed);
    try {
      return readFileSync(fd, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw fileIssue(
        `a file that cannot be read (${typeof code === 'string' ? code : 'error'})`,
        fileAllowed,
      );
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads the keyring from the environment: `VEIL_KEK` (base64 of 32 bytes; several comma-separated, the first is
 * current) or `VEIL_KEK_FILE` (a file with one base64 key per line, the first is current; blank lines and
 * lines starting with `#` are skipped; refused when group or others may read it: mode & 0o077).
 * @param env the environment (default `process.env`)
 * @returns the keyring
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the variable or file and what is allowed, when neither or
 *   both variables are set, a key is not base64, not 32 bytes or given twice, or the file is missing,
 *   unreadable, a directory, empty or readable by group or others. Messages never quote a key.
 * @example
 * // VEIL_KEK="$(openssl rand -base64 32),$OLD_KEK"
 * const ring = loadKeyring();
 */
export function loadKeyring(env: NodeJS.ProcessEnv = process.env): Keyring {
  const inline = env[KEK_ENV];
  const file = env[KEK_FILE_ENV];
  const hasInline = inline !== undefined && inline !== '';
  const hasFile = file !== undefined && file !== '';
  if (hasInline && hasFile) {
    throw new ConfigError(
      [{ path: `${KEK_ENV} and ${KEK_FILE_ENV}`, value: 'both set', allowed: 'exactly one of them set' }],
      'key-encryption key',
    );
  }
  if (hasInline) {
    const entries = inline.split(',').map((s) => s.trim());
    return decodeKeys(entries, (i) => (entries.length === 1 ? KEK_ENV : `${KEK_ENV}[${i}]`));
  }
  if (hasFile) {
    const lines = readKeyFile(file)
      .split(/\r?\n/)
      .map((s, i) => ({ text: s.trim(), line: i + 1 }))
      .filter((l) => l.text !== '' && !l.text.startsWith('#'));
    if (lines.length === 0) {
      throw new ConfigError(
        [
          {
            path: `${KEK_FILE_ENV} (${file})`,
            value: 'a file without keys',
            allowed: `one key per line: ${KEY_ALLOWED}`,
          },
        ],
        'key-encryption key',
      );
    }
    return decodeKeys(
      lines.map((l) => l.text),
      (i) => `${KEK_FILE_ENV} (${file}) line ${lines[i]!.line}`,
    );
  }
  throw new ConfigError(
    [
      {
        path: KEK_ENV,
        value: undefined,
        allowed: `${KEY_ALLOWED}, several comma-separated with the current first; or ${KEK_FILE_ENV} naming a file with one per line`,
      },
    ],
    'key-encryption key',
  );
}

function checkPurpose(fn: string, purpose: unknown): asserts purpose is string {
  if (typeof purpose !== 'string' || purpose.length === 0 || purpose.length > 128) {
    throw new InvalidParameterError({
      fn,
      param: 'purpose',
      value: purpose,
      allowed: "a non-empty string of at most 128 characters, e.g. 'api-key-pepper'",
    });
  }
}

function checkKeyring(fn: string, keyring: unknown): asserts keyring is Keyring {
  const ring = keyring as Partial<Keyring> | null;
  if (
    typeof ring !== 'object' ||
    ring === null ||
    !(ring.current?.key instanceof Uint8Array) ||
    ring.current.key.length !== KEK_BYTES ||
    !Array.isArray(ring.previous)
  ) {
    throw new InvalidParameterError({
      fn,
      param: 'keyring',
      value: keyring,
      allowed: 'a keyring from loadKeyring or keyringFrom',
    });
  }
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/**
 * Seals a secret under the keyring's current key, bound to its purpose.
 * @param keyring the ring; its current key seals
 * @param purpose what the secret is for, e.g. `'api-key-pepper'` (authenticated, not encrypted)
 * @param plaintext the secret's bytes (may be empty)
 * @returns `kek1.<keyId>.<base64url nonce>.<base64url ciphertext+tag>`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad keyring, an empty or over-long purpose or a
 *   plaintext that is not a Uint8Array
 * @example
 * const stored = sealSecret(ring, 'audit-signing-key', signingKey);
 */
export function sealSecret(keyring: Keyring, purpose: string, plaintext: Uint8Array): string {
  const fn = 'sealSecret';
  checkKeyring(fn, keyring);
  checkPurpose(fn, purpose);
  if (!(plaintext instanceof Uint8Array)) {
    throw new InvalidParameterError({ fn, param: 'plaintext', value: plaintext, allowed: 'a Uint8Array' });
  }
  const nonce = new Uint8Array(NONCE_BYTES);
  rng().fillBytes(nonce);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${FORMAT}.${keyring.current.id}.${b64url(nonce)}.${b64url(sealed)}`;
}

/** The parts of a sealed text, or an InvalidParameterError saying it is not one. */
function parseSealed(fn: string, sealed: unknown): { id: string; nonce: Buffer; body: Buffer } {
  const bad = (why: string) =>
    new InvalidParameterError({
      fn,
      param: 'sealed',
      value: why,
      allowed: `a sealed secret ${FORMAT}.<keyId>.<base64url nonce>.<base64url ciphertext>`,
    });
  if (typeof sealed !== 'string') throw bad(typeof sealed);
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT) throw bad(`text not of the form ${FORMAT}.*.*.*`);
  const [, id, nonceText, bodyText] = parts as [string, string, string, string];
  if (!KEY_ID.test(id)) throw bad('a malformed key id');
  if (!BASE64URL.test(nonceText) || !BASE64URL.test(bodyText)) throw bad('text that is not base64url');
  const nonce = Buffer.from(nonceText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (nonce.length !== NONCE_BYTES) throw bad(`a nonce of ${nonce.length} bytes`);
  if (body.length < TAG_BYTES) throw bad(`a ciphertext of ${body.length} bytes, shorter than its tag`);
  return { id, nonce, body };
}

/**
 * Opens a sealed secret with whichever key of the ring has its id.
 * @param keyring the ring (current and previous keys)
 * @param purpose the purpose it was sealed for
 * @param sealed the text from {@link sealSecret}
 * @returns the secret's bytes
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad keyring or purpose, or text that is not a
 *   sealed secret
 * @throws {ConfigError} VEIL_CONFIG_INVALID when no key of the ring has the sealed id (a rotated-out key: put it
 *   back among the previous keys, open, rewrap)
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the tag does not verify: tampered text, or another purpose
 * @example
 * const pepper = openSecret(ring, 'api-key-pepper', row.sealedPepper);
 */
export function openSecret(keyring: Keyring, purpose: string, sealed: string): Uint8Array {
  const fn = 'openSecret';
  checkKeyring(fn, keyring);
  checkPurpose(fn, purpose);
  const { id, nonce, body } = parseSealed(fn, sealed);
  const entry = [keyring.current, ...keyring.previous].find((k) => k.id === id);
  if (entry === undefined) {
    throw new ConfigError(
      [
        {
          path: 'keyring',
          value: `a ring that lacks key ${id}`,
          allowed: `a ring holding key ${id} (rotated out? add it back as a previous key, then rewrap)`,
        },
      ],
      'key-encryption key',
    );
  }
  const decipher = createDecipheriv('aes-256-gcm', entry.key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(purpose, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  const head = decipher.update(body.subarray(0, body.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    head.fill(0);
    throw new IntegrityError(
      `openSecret: the secret sealed under key ${id} failed authentication: tampered, or sealed for another purpose than '${purpose}'`,
      { keyId: id, purpose },
    );
  }
  const plaintext = new Uint8Array(head);
  head.fill(0);
  return plaintext;
}

/**
 * Re-seals a secret under the ring's current key, for rotation.
 * @param keyring the ring: the new key current, the old one among the previous
 * @param purpose the purpose it was sealed for
 * @param sealed the text from {@link sealSecret}
 * @returns the text sealed under the current key; the input itself when it is already under the current key
 *   (after checking that it opens)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER as {@link openSecret}
 * @throws {ConfigError} VEIL_CONFIG_INVALID when no key of the ring has the sealed id
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the tag does not verify
 * @example
 * for (const row of rows) row.sealed = rewrapSecret(ring, row.purpose, row.sealed);
 */
export function rewrapSecret(keyring: Keyring, purpose: string, sealed: string): string {
  const plaintext = openSecret(keyring, purpose, sealed);
  try {
    if (parseSealed('rewrapSecret', sealed).id === keyring.current.id) return sealed;
    return sealSecret(keyring, purpose, plaintext);
  } finally {
    plaintext.fill(0);
  }
}
