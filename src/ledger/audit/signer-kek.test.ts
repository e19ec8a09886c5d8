/** The audit key file sealed under a key-encryption key: created sealed, upgraded from clear, rotated, refused without the KEK. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { generateKek, keyringFrom } from '../../crypto/index.js';
import { AuditSigner } from './signer.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-signer-kek-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the audit key under a key-encryption key', () => {
  it('is created sealed, reopens with the ring, and is refused without it', () => {
    const ring = keyringFrom([generateKek()]);
    const file = join(dir, 'a.audit-key');
    const signer = AuditSigner.loadOrCreate(file, ring);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.seed).toBeUndefined();
    expect(stored.sealedSeed).toMatch(new RegExp(`^kek1\\.${ring.current.id}\\.`));
    expect(AuditSigner.loadOrCreate(file, ring).keyId).toBe(signer.keyId);
    expect(() => AuditSigner.loadOrCreate(file, null)).toThrow(ConfigError);
    expect(() => AuditSigner.loadOrCreate(file, keyringFrom([generateKek()]))).toThrow(ConfigError);
  });

  it('seals a key file kept in clear on first use with a KEK, and re-seals it when the KEK rotates', () => {
    const file = join(dir, 'b.audit-key');
    const plain = AuditSigner.loadOrCreate(file, null);
    expect(JSON.parse(readFileSync(file, 'utf8')).seed).toMatch(/^[0-9a-f]{64}$/);
    const oldKey = generateKek();
    const old = keyringFrom([oldKey]);
    expect(AuditSigner.loadOrCreate(file, old).keyId).toBe(plain.keyId);
    expect(JSON.parse(readFileSync(file, 'utf8')).seed).toBeUndefined();
    const rotated = keyringFrom([generateKek(), oldKey]);
    expect(AuditSigner.loadOrCreate(file, rotated).keyId).toBe(plain.keyId);
    expect(JSON.parse(readFileSync(file, 'utf8')).sealedSeed).toMatch(
      new RegExp(`^kek1\\.${rotated.current.id}\\.`),
    );
    // the old key can now be dropped
    expect(AuditSigner.loadOrCreate(file, keyringFrom([rotated.current.key])).keyId).toBe(plain.keyId);
  });

  it('refuses a sealed seed moved into another purpose', () => {
    const ring = keyringFrom([generateKek()]);
    const file = join(dir, 'c.audit-key');
    AuditSigner.loadOrCreate(file, ring);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...stored, sealedSeed: `${stored.sealedSeed.slice(0, -4)}AAAA` }));
    expect(() => AuditSigner.loadOrCreate(file, ring)).toThrow();
  });
});
