import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { loadPem } from './pem.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nsecret\n-----END EC PRIVATE KEY-----\n';

describe('loadPem', () => {
  it('takes PEM text as is and reads { path } from disk', async () => {
    expect(await loadPem('tls.cert', CERT, 'CERTIFICATE')).toBe(CERT);
    const dir = await mkdtemp(join(tmpdir(), 'veil-pem-'));
    try {
      await writeFile(join(dir, 'k.pem'), KEY);
      expect(await loadPem('tls.key', { path: join(dir, 'k.pem') }, 'PRIVATE KEY')).toBe(KEY);
      await expect(loadPem('tls.key', { path: join(dir, 'missing.pem') }, 'PRIVATE KEY')).rejects.toThrow(
        /tls\.key: must be a readable PEM file \(ENOENT\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses the wrong kind of PEM without echoing its content', async () => {
    const error = await loadPem('tls.cert', KEY, 'CERTIFICATE').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/tls\.cert: must be PEM containing a CERTIFICATE block/);
    expect((error as ConfigError).message).not.toContain('secret');
    await expect(loadPem('tls.ca', 42, 'CERTIFICATE')).rejects.toThrow(/PEM text \(a string\) or \{ path \}/);
    await expect(loadPem('tls.ca', 'certs/ca.crt', 'CERTIFICATE')).rejects.toThrow(
      /pass \{ path \} to read a file/,
    );
  });
});
