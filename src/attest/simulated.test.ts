/**
 * The simulated enclave writes documents in the Nitro format: verifyNitroAttestation parses them (given the
 * development root), every field says "simulated", and the development root is kept in a directory, refused
 * when half present.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'cborg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, InvalidParameterError } from '../core/index.js';
import { verifyNitroAttestation } from './nitro.js';
import { createDevRoot, createSimulatedEnclave, loadOrCreateDevRoot } from './simulated.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-simulated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pcr = (fill: number) => new Uint8Array(48).fill(fill);

describe('createDevRoot', () => {
  it('makes a self-signed P-384 CA whose subject says SIMULATED', async () => {
    const root = await createDevRoot();
    const cert = new X509Certificate(root.certificatePem);
    expect(cert.subject).toContain('Veil SIMULATED enclave root (development only)');
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(root.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('refuses a name that does not say SIMULATED, and a bad validity', async () => {
    await expect(createDevRoot({ commonName: 'Totally real root' })).rejects.toThrow(InvalidParameterError);
    await expect(createDevRoot({ days: 0 })).rejects.toThrow(/days must be an integer/);
  });
});

describe('createSimulatedEnclave', () => {
  it('writes a Nitro-format document that the Nitro verifier accepts under its root', async () => {
    const root = await createDevRoot();
    const enclave = await createSimulatedEnclave({ root, pcrs: { 0: pcr(1), 2: pcr(2) } });
    expect(enclave.moduleId).toMatch(/^simulated-[0-9a-f]{16}$/);
    expect(enclave.rootPem).toBe(root.certificatePem);
    const nonce = new Uint8Array([1, 2, 3]);
    const doc = enclave.attest({
      nonce,
      publicKey: new Uint8Array(32).fill(7),
      userData: new Uint8Array([9]),
    });
    const a = verifyNitroAttestation(doc, { roots: [root.certificatePem], nonce });
    expect(a.moduleId).toBe(enclave.moduleId);
    expect(a.pcrs).toEqual({ 0: '01'.repeat(48), 2: '02'.repeat(48) });
    expect(a.publicKey).toBe('07'.repeat(32));
    expect(a.userData).toBe('09');
    expect(a.nonce).toBe('010203');
    expect(Math.abs(a.timestamp.getTime() - Date.now())).toBeLessThan(60_000);

    // the exact structure: [protected {1: -35}, {}, payload, 96-byte signature]; absent fields are null
    const cose = decode(enclave.attest(), { useMaps: true }) as unknown[];
    expect(cose).toHaveLength(4);
    expect(decode(cose[0] as Uint8Array, { useMaps: true })).toEqual(new Map([[1, -35]]));
    expect(cose[1]).toEqual(new Map());
    expect((cose[3] as Uint8Array).length).toBe(96);
    const payload = decode(cose[2] as Uint8Array, { useMaps: true }) as Map<string, unknown>;
    expect(payload.get('digest')).toBe('SHA384');
    expect(payload.get('nonce')).toBeNull();
    expect(payload.get('public_key')).toBeNull();
    const leaf = new X509Certificate(payload.get('certificate') as Uint8Array);
    expect(leaf.subject).toContain('SIMULATED');
    expect(leaf.checkIssued(new X509Certificate(root.certificatePem))).toBe(true);
    expect(new Date(leaf.validFrom).getTime()).toBeLessThan(Date.now() - 60_000);
  });

  it('refuses a module id without the prefix, bad PCRs, a foreign root and oversized fields', async () => {
    const root = await createDevRoot();
    await expect(createSimulatedEnclave({ root, pcrs: {}, moduleId: 'i-0936512d5ae6ee91a' })).rejects.toThrow(
      /moduleId/,
    );
    await expect(createSimulatedEnclave({ root, pcrs: { 0: new Uint8Array(32) } })).rejects.toThrow(
      /pcrs\[0\]/,
    );
    await expect(createSimulatedEnclave({ root, pcrs: { 32: pcr(0) } })).rejects.toThrow(/\[0, 31\]/);
    const other = await createDevRoot();
    await expect(
      createSimulatedEnclave({ root: { ...root, privateKeyPem: other.privateKeyPem }, pcrs: {} }),
    ).rejects.toThrow(/root/);
    const enclave = await createSimulatedEnclave({ root, pcrs: {}, moduleId: 'simulated-test' });
    expect(enclave.moduleId).toBe('simulated-test');
    expect(() => enclave.attest({ userData: new Uint8Array(1025) })).toThrow(InvalidParameterError);
  });
});

describe('loadOrCreateDevRoot', () => {
  it('creates the pair once (key 0600), then loads the same root', async () => {
    const home = join(dir, 'roots', 'a');
    const first = await loadOrCreateDevRoot(home);
    expect(first.created).toBe(true);
    expect(statSync(join(home, 'dev-root.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, 'dev-root.pem'), 'utf8')).toBe(first.root.certificatePem);
    const again = await loadOrCreateDevRoot(home);
    expect(again).toEqual({ root: first.root, created: false });
  });

  it('refuses a half-present pair, a readable key, mismatched files and a file as the directory', async () => {
    const home = join(dir, 'roots', 'b');
    await loadOrCreateDevRoot(home);
    unlinkSync(join(home, 'dev-root.pem'));
    const err = await loadOrCreateDevRoot(home).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/half-present pair is refused/);
    expect((err as Error).message).toMatch(/dev-root\.key but not .*dev-root\.pem/);

    const other = await createDevRoot();
    writeFileSync(join(home, 'dev-root.pem'), other.certificatePem);
    await expect(loadOrCreateDevRoot(home)).rejects.toThrow(/private key/);
    chmodSync(join(home, 'dev-root.key'), 0o644);
    await expect(loadOrCreateDevRoot(home)).rejects.toThrow(/chmod 600/);

    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expect(loadOrCreateDevRoot(file)).rejects.toThrow(/it is a file/);
  });
});
