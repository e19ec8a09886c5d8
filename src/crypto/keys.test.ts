import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  agree,
  agreementKeyPairFromPrivate,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  sign,
  signingKeyPairFromSeed,
  verify,
} from './keys.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('X25519', () => {
  // RFC 7748 §6.1 (Diffie-Hellman test vector)
  const alicePriv = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
  const alicePub = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
  const bobPriv = '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb';
  const bobPub = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

  it('matches RFC 7748 §6.1: public keys and the shared secret', () => {
    const alice = agreementKeyPairFromPrivate(hex(alicePriv));
    const bob = agreementKeyPairFromPrivate(hex(bobPriv));
    expect(toHex(alice.publicKey)).toBe(alicePub);
    expect(toHex(bob.publicKey)).toBe(bobPub);
    expect(toHex(agree(alice.privateKey, bob.publicKey))).toBe(shared);
    expect(toHex(agree(bob.privateKey, alice.publicKey))).toBe(shared);
  });

  it('fresh pairs agree; a small-order or malformed public key is refused', () => {
    const a = generateAgreementKeyPair();
    const b = generateAgreementKeyPair();
    expect(agree(a.privateKey, b.publicKey)).toEqual(agree(b.privateKey, a.publicKey));
    expect(() => agree(a.privateKey, new Uint8Array(32))).toThrow(/small-order/); // the point 0
    expect(() => agree(a.privateKey, new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

describe('Ed25519', () => {
  // RFC 8032 §7.1, TEST 1 (empty message)
  const seed = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
  const pub = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  const sig =
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

  it('matches RFC 8032 §7.1 TEST 1', () => {
    const k = signingKeyPairFromSeed(hex(seed));
    expect(toHex(k.publicKey)).toBe(pub);
    expect(toHex(sign(k.privateKey, new Uint8Array(0)))).toBe(sig);
    expect(verify(k.publicKey, new Uint8Array(0), hex(sig))).toBe(true);
  });

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 63 })], { numRuns: 20 })(
    'a signature verifies, and any flipped bit of it or of the message does not',
    (message, at) => {
      const k = generateSigningKeyPair();
      const s = sign(k.privateKey, message);
      expect(verify(k.publicKey, message, s)).toBe(true);
      const bad = s.slice();
      bad[at]! ^= 1;
      expect(verify(k.publicKey, message, bad)).toBe(false);
      const other = Uint8Array.from([...message, 0]);
      expect(verify(k.publicKey, other, s)).toBe(false);
      expect(verify(k.publicKey, message, s.subarray(0, 63))).toBe(false);
    },
  );
});
