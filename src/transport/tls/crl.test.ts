import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import { type IssuedCertificate, initCa, issueCertificate, listCertificates } from './ca.js';
import { webCrypto } from './ca-store.js';
import { parseCrls, revokeCertificate, writeCrl } from './crl.js';
import { loadX509 } from './x509.js';

let root: string;
let caDir: string;
let a: IssuedCertificate;
let b1: IssuedCertificate;
let b2: IssuedCertificate;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'veil-crl-'));
  caDir = join(root, 'ca');
  await initCa({ dir: caDir, name: 'crl-test-ca' });
  a = await issueCertificate({ caDir, name: 'node-a', role: 'node', outDir: join(root, 'a') });
  b1 = await issueCertificate({ caDir, name: 'node-b', role: 'node', outDir: join(root, 'b1') });
  b2 = await issueCertificate({ caDir, name: 'node-b', role: 'node', outDir: join(root, 'b2') });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function currentCrl() {
  const pem = await readFile(join(caDir, 'crl.pem'), 'utf8');
  const [parsed] = await parseCrls('crl', pem);
  return { pem, ...parsed! };
}

describe('revokeCertificate', () => {
  it('revokes by serial and writes a CRL signed by the CA that OpenSSL loads', async () => {
    const result = await revokeCertificate({ caDir, serial: a.serial.toUpperCase() });
    expect(result.serials).toEqual([a.serial]);
    const { pem, crl, serials } = await currentCrl();
    expect(serials).toEqual([a.serial]);
    const x509 = await loadX509();
    const ca = new x509.X509Certificate(await readFile(join(caDir, 'ca.crt'), 'utf8'));
    expect(await crl.verify({ publicKey: ca }, webCrypto)).toBe(true);
    expect(crl.issuer).toBe('CN=crl-test-ca');
    expect(crl.nextUpdate!.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(() => createSecureContext({ crl: pem })).not.toThrow();
  });

  it('revokes every certificate issued under a name, idempotently, with a rising CRL number', async () => {
    const before = await currentCrl();
    const result = await revokeCertificate({ caDir, name: 'node-b', reason: 'keyCompromise' });
    expect([...result.serials].sort()).toEqual([b1.serial, b2.serial].sort());
    const again = await revokeCertificate({ caDir, name: 'node-b' });
    expect(again.serials).toHaveLength(2);
    const after = await currentCrl();
    expect([...after.serials].sort()).toEqual([a.serial, b1.serial, b2.serial].sort());
    // CRL number: a DER INTEGER (02 len bytes) in the extension value.
    const number = (crl: typeof before.crl) =>
      new Uint8Array(crl.getExtension('2.5.29.20')!.value).slice(2).reduce((n, byte) => n * 256 + byte, 0);
    expect(number(after.crl)).toBe(number(before.crl) + 2);
    const revoked = (await listCertificates({ caDir })).filter((c) => c.revoked).map((c) => c.name);
    expect(revoked.sort()).toEqual(['node-a', 'node-b', 'node-b']);
  });

  it('refuses unknown names and serials, and requires exactly one of name and serial', async () => {
    await expect(revokeCertificate({ caDir, name: 'nobody' })).rejects.toThrow(
      /^revokeCertificate: name must be the name or serial of a certificate this CA issued/,
    );
    await expect(revokeCertificate({ caDir, serial: '0badc0de' })).rejects.toThrow(InvalidParameterError);
    await expect(revokeCertificate({ caDir, serial: 'xyz' })).rejects.toThrow(
      /serial must be a certificate serial/,
    );
    await expect(revokeCertificate({ caDir } as never)).rejects.toThrow(/exactly one of name, serial/);
    await expect(
      revokeCertificate({ caDir, name: 'node-a', reason: 'bored' as 'keyCompromise' }),
    ).rejects.toThrow(/reason must be one of/);
  });
});

describe('writeCrl', () => {
  it('regenerates the CRL with the validity asked for', async () => {
    await writeCrl({ caDir, validDays: 2 });
    const { crl, serials } = await currentCrl();
    expect(serials).toHaveLength(3);
    expect(crl.nextUpdate!.getTime() - Date.now()).toBeLessThan(2 * 86_400_000 + 60_000);
    await expect(writeCrl({ caDir, validDays: 0 })).rejects.toThrow(/validDays/);
  });
});
