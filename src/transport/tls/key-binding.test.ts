import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueWithUsages, makeTestPki, type TestPki } from '../testing/fixtures.js';
import { signKeyBinding, verifyKeyBinding } from './key-binding.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 60_000);
afterAll(() => pki.cleanup());

const der = (pem: string) => new Uint8Array(new X509Certificate(pem).raw);
const key = new Uint8Array(32).fill(7);

describe('key binding to a certified identity', () => {
  it('holds for the key the certificate signed, under its own name and the CA', () => {
    const signature = signKeyBinding(pki.node.key, 'secagg', key);
    const base = {
      caPem: pki.node.ca,
      certificateDer: der(pki.node.cert),
      expectedName: 'hospital-1',
      purpose: 'secagg',
      publicKey: key,
      signature,
    };
    expect(verifyKeyBinding(base)).toBeNull();
    // another key, another name, another purpose, another CA, a late date: each refused with its reason
    expect(verifyKeyBinding({ ...base, publicKey: new Uint8Array(32).fill(8) })).toMatch(/not signed/);
    expect(verifyKeyBinding({ ...base, expectedName: 'hospital-2' })).toMatch(/not "hospital-2"/);
    expect(verifyKeyBinding({ ...base, purpose: 'other' })).toMatch(/not signed/);
    expect(verifyKeyBinding({ ...base, caPem: pki.foreignNode.ca })).toMatch(/not issued by the CA/);
    expect(verifyKeyBinding({ ...base, nowMs: Date.now() + 10 * 86_400_000 })).toMatch(/validity/);
    expect(verifyKeyBinding({ ...base, certificateDer: new Uint8Array(10) })).toMatch(/does not parse/);
    // a certificate from another CA with the same name does not bind, even with a valid signature of its own
    const foreign = signKeyBinding(pki.foreignNode.key, 'secagg', key);
    expect(
      verifyKeyBinding({
        ...base,
        certificateDer: der(pki.foreignNode.cert),
        expectedName: 'hospital-9',
        signature: foreign,
      }),
    ).toMatch(/not issued by the CA/);
  });

  it("refuses the coordinator's certificate (a sybil peer), though the same CA issued it; accepts a node's", () => {
    // makeTestPki issues both with the dev CA code (issueCertificate): the coordinator with EKU serverAuth +
    // clientAuth, the node with clientAuth only
    const signature = signKeyBinding(pki.coordinator.key, 'secagg', key);
    const coordinatorBinding = {
      caPem: pki.coordinator.ca,
      certificateDer: der(pki.coordinator.cert),
      expectedName: 'coordinator',
      purpose: 'secagg',
      publicKey: key,
      signature,
    };
    expect(verifyKeyBinding(coordinatorBinding)).toMatch(
      /also a server certificate \(extended key usage serverAuth or any\), as the coordinator's is/,
    );
    const node = {
      caPem: pki.node.ca,
      certificateDer: der(pki.node.cert),
      expectedName: 'hospital-1',
      purpose: 'secagg',
      publicKey: key,
      signature: signKeyBinding(pki.node.key, 'secagg', key),
    };
    expect(verifyKeyBinding(node)).toBeNull();
  });

  it('requires extended key usage clientAuth, without serverAuth or anyExtendedKeyUsage', async () => {
    const CLIENT = '1.3.6.1.5.5.7.3.2';
    const SERVER = '1.3.6.1.5.5.7.3.1';
    const ANY = '2.5.29.37.0';
    const check = async (usages: string[]) => {
      const c = await issueWithUsages(pki, 'lab-eku', usages);
      return verifyKeyBinding({
        caPem: pki.node.ca,
        certificateDer: der(c.cert),
        expectedName: 'lab-eku',
        purpose: 'secagg',
        publicKey: key,
        signature: signKeyBinding(c.key, 'secagg', key),
      });
    };
    expect(await check([CLIENT])).toBeNull();
    expect(await check([SERVER])).toMatch(/not a client certificate \(no extended key usage clientAuth\)/);
    expect(await check([SERVER, CLIENT])).toMatch(/also a server certificate/);
    expect(await check([CLIENT, ANY])).toMatch(/also a server certificate/);
    expect(await check(['1.3.6.1.5.5.7.3.4'])).toMatch(/not a client certificate/); // emailProtection
  });
});
