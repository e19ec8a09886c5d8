import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import { initCa, issueCertificate, listCertificates } from './ca.js';

let root: string;
let caDir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'veil-ca-'));
  caDir = join(root, 'ca');
  await initCa({ dir: caDir, name: 'veil-dev-ca' });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('initCa', () => {
  it('writes a self-signed P-256 CA certificate, a 0600 key and an empty CRL', async () => {
    const dir = join(root, 'ca2');
    const info = await initCa({ dir, name: 'my-ca', validDays: 30 });
    const cert = new X509Certificate(await readFile(info.certPath));
    expect(cert.subject).toBe('CN=my-ca');
    expect(cert.issuer).toBe('CN=my-ca');
    expect(cert.ca).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(info.fingerprint);
    expect(await mode(info.keyPath)).toBe(0o600);
    expect(await mode(dir)).toBe(0o700);
    expect(await readFile(info.crlPath, 'utf8')).toMatch(/^-----BEGIN X509 CRL-----/);
    expect(info.notAfter.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
  });

  it('refuses to overwrite an existing CA', async () => {
    const before = await readFile(join(caDir, 'ca.key'), 'utf8');
    await expect(initCa({ dir: caDir, name: 'veil-dev-ca' })).rejects.toThrow(ConfigError);
    await expect(initCa({ dir: caDir, name: 'other' })).rejects.toThrow(/never overwritten/);
    expect(await readFile(join(caDir, 'ca.key'), 'utf8')).toBe(before);
  });

  it('refuses names that are not safe file names and common names', async () => {
    for (const name of [
      '',
      '../evil',
      'a/b',
      '.hidden',
      'x'.repeat(65),
      'ends.',
      'ca',
      'CRL',
      'spa ce',
      'é',
    ]) {
      await expect(initCa({ dir: join(root, 'bad'), name }), name).rejects.toThrow(InvalidParameterError);
    }
    await expect(initCa({ dir: join(root, 'bad'), name: 'a/b' })).rejects.toThrow(
      /^initCa: name must be 1-64 letters, digits/,
    );
    await expect(initCa({ dir: join(root, 'bad'), name: 'ok', validDays: 0 })).rejects.toThrow(/validDays/);
  });
});

describe('issueCertificate', () => {
  it('issues a coordinator certificate with serverAuth + clientAuth and the default loopback SANs', async () => {
    const out = join(root, 'coordinator');
    const issued = await issueCertificate({ caDir, name: 'coordinator', role: 'coordinator', outDir: out });
    const ca = new X509Certificate(await readFile(join(caDir, 'ca.crt')));
    const cert = new X509Certificate(await readFile(issued.certPath));
    expect(cert.subject).toBe('CN=coordinator');
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(issued.serial);
    expect(issued.serial.length).toBeGreaterThanOrEqual(24);
    expect(await mode(issued.keyPath)).toBe(0o600);
    expect(await readFile(issued.caCertPath, 'utf8')).toBe(await readFile(join(caDir, 'ca.crt'), 'utf8'));
  });

  it('issues a node certificate with clientAuth only, custom hosts when given, random serials', async () => {
    const a = await issueCertificate({ caDir, name: 'hospital-1', role: 'node', outDir: join(root, 'h1') });
    const b = await issueCertificate({
      caDir,
      name: 'hospital-1',
      role: 'node',
      hosts: ['h1.example.org', '10.0.0.7'],
      outDir: join(root, 'h1-again'),
      validDays: 10,
    });
    const cert = new X509Certificate(await readFile(a.certPath));
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.subjectAltName).toBeUndefined();
    expect(new X509Certificate(await readFile(b.certPath)).subjectAltName).toBe(
      'DNS:h1.example.org, IP Address:10.0.0.7',
    );
    expect(a.serial).not.toBe(b.serial);
  });

  it('refuses bad names, roles, hosts and lifetimes, and never overwrites a key', async () => {
    const base = { caDir, role: 'node' as const, outDir: join(root, 'bad-out') };
    await expect(issueCertificate({ ...base, name: '../x' })).rejects.toThrow(
      /^issueCertificate: name must be/,
    );
    await expect(issueCertificate({ ...base, name: 'n', role: 'admin' as 'node' })).rejects.toThrow(
      /role must be one of 'coordinator', 'node'/,
    );
    await expect(issueCertificate({ ...base, name: 'n', hosts: ['bad host'] })).rejects.toThrow(
      /hosts\[0\] must be a DNS name/,
    );
    await expect(issueCertificate({ ...base, name: 'n', hosts: [] })).rejects.toThrow(/non-empty array/);
    await expect(issueCertificate({ ...base, name: 'n', validDays: 5000 })).rejects.toThrow(/validDays/);
    await expect(issueCertificate({ ...base, name: 'n', caDir: join(root, 'nowhere') })).rejects.toThrow(
      /a CA directory holding ca\.crt and ca\.key/,
    );
    const out = join(root, 'h1');
    const key = await readFile(join(out, 'hospital-1.key'), 'utf8');
    await expect(issueCertificate({ ...base, name: 'hospital-1', outDir: out })).rejects.toThrow(
      /never overwritten/,
    );
    expect(await readFile(join(out, 'hospital-1.key'), 'utf8')).toBe(key);
  });

  it('refuses an outDir whose ca.crt belongs to another CA, before writing anything', async () => {
    const out = join(root, 'mixed');
    await issueCertificate({ caDir, name: 'first', role: 'node', outDir: out });
    await writeFile(join(out, 'ca.crt'), 'someone else\n');
    await expect(issueCertificate({ caDir, name: 'second', role: 'node', outDir: out })).rejects.toThrow(
      /the ca.crt of this CA/,
    );
    await expect(stat(join(out, 'second.key'))).rejects.toThrow();
  });
});

describe('listCertificates', () => {
  it('lists what was issued with role, serial, fingerprint and status', async () => {
    const list = await listCertificates({ caDir });
    const coordinator = list.find((c) => c.name === 'coordinator')!;
    expect(coordinator).toMatchObject({ role: 'coordinator', revoked: false, expired: false });
    expect(coordinator.hosts).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(coordinator.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(list.filter((c) => c.name === 'hospital-1')).toHaveLength(2);
    const later = await listCertificates({ caDir, now: new Date(Date.now() + 20 * 86_400_000) });
    expect(later.find((c) => c.hosts.includes('h1.example.org'))!.expired).toBe(true);
  });
});
