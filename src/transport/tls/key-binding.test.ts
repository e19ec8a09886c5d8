import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../testing/fixtures.js';
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
});
