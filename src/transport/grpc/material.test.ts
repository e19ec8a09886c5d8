import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { issueWithUsages, makeTestPki, type TestPki } from '../testing/fixtures.js';
import { revokeCertificate, writeCrl } from '../tls/crl.js';
import { loadClientTls, loadRevocations, loadServerTls } from './material.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki.cleanup();
});

describe('loadServerTls / loadClientTls', () => {
  it('reads PEM text and files, and collects CRL serials with the serial list', async () => {
    const { crlPath, serials } = await revokeCertificate({ caDir: pki.caDir, name: 'hospital-2' });
    const certPath = join(pki.dir, 'coordinator-out', 'coordinator.crt');
    const loaded = await loadServerTls('start', {
      cert: { path: certPath },
      key: pki.coordinator.key,
      ca: pki.coordinator.ca,
      crl: { path: crlPath },
      revokedSerials: ['AB:CD'],
    });
    expect(loaded.secureContext.cert).toBe(await readFile(certPath, 'utf8'));
    expect([...loaded.revoked].sort()).toEqual([...serials, 'abcd'].sort());
  });

  it("refuses a node's clientAuth-only certificate as the server certificate, naming the file", async () => {
    const certPath = join(pki.dir, 'hospital-1-out', 'hospital-1.crt');
    const error = await loadServerTls('startServer', {
      cert: { path: certPath },
      key: pki.node.key,
      ca: pki.node.ca,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(`startServer.tls.cert: must be a coordinator (server) certificate`);
    expect(message).toContain('allows only clientAuth');
    expect(message).toContain('veil certs issue --role coordinator');
    expect(message).toContain(certPath);
    // serverAuth (the coordinator's), any usage, and no EKU extension at all are accepted.
    await expect(loadServerTls('startServer', pki.coordinator)).resolves.toBeDefined();
    for (const usages of [['2.5.29.37.0'], ['1.3.6.1.5.5.7.3.1']]) {
      const { cert, key } = await issueWithUsages(pki, 'eku-server', usages);
      await expect(loadServerTls('startServer', { cert, key, ca: pki.node.ca })).resolves.toBeDefined();
    }
  });

  it('refuses a key that does not match the certificate', async () => {
    const tls = { cert: pki.coordinator.cert, key: pki.node.key, ca: pki.node.ca };
    await expect(loadServerTls('start', tls)).rejects.toThrow(
      /start\.tls: must be a matching certificate and key/,
    );
    await expect(loadClientTls('connect', tls)).rejects.toThrow(ConfigError);
  });

  it('refuses a CRL that no trusted CA signed, an expired CRL and a non-hex serial', async () => {
    const foreignCrl = await readFile(join(pki.dir, 'other-ca', 'crl.pem'), 'utf8');
    await expect(loadRevocations('start', pki.node.ca, { crl: foreignCrl })).rejects.toThrow(
      /start\.tls\.crl: must be a CRL signed by one of the CAs in tls\.ca/,
    );
    await writeCrl({ caDir: pki.caDir, validDays: 1 });
    const crl = await readFile(join(pki.caDir, 'crl.pem'), 'utf8');
    expect((await loadRevocations('start', pki.node.ca, { crl })).serials.size).toBe(1);
    // The same CRL two days later: its nextUpdate has passed.
    const later = new Date(Date.now() + 2 * 86_400_000);
    await expect(loadRevocations('start', pki.node.ca, { crl }, later)).rejects.toThrow(
      /must be a current CRL/,
    );
    await expect(loadRevocations('start', pki.node.ca, { revokedSerials: ['zz'] })).rejects.toThrow(
      /start\.tls\.revokedSerials\[0\]: must be a certificate serial in hex/,
    );
  });
});
