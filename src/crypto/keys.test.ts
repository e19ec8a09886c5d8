import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  agree,
  agreementKeyPairFromPrivate,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  isValidX25519PublicKey,
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

describe('isValidX25519PublicKey', () => {
  const p = 2n ** 255n - 19n;
  const le = (v: bigint) => {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  // D. J. Bernstein, "How do I validate Curve25519 public keys?", https://cr.yp.to/ecdh.html#validate: the
  // 32-byte strings (little-endian) a protocol needing contributory behaviour must reject, i.e. the encodings of
  // the points of order 1, 2, 4 and 8 (RFC 7748 §6.1 and §7: such a point gives the all-zero shared secret).
  const A = 325606250916557431795983626356110631294008115727848805560023387167927233504n;
  const B = 39382357235489614581723060781553021112529911719440698176882885853963445705823n;
  const below = [0n, 1n, A, B, p - 1n, p, p + 1n]; // below 2^255
  const above = [p + A, p + B, 2n * p - 1n, 2n * p, 2n * p + 1n]; // bit 255 set

  it('refuses every small-order point of the published list, and its encoding with the top bit set', () => {
    const a = generateAgreementKeyPair();
    for (const v of below) {
      for (const key of [le(v), le(v | (1n << 255n))]) {
        expect(isValidX25519PublicKey(key), toHex(key)).toBe(false);
        expect(() => agree(a.privateKey, key)).toThrow(/small-order/); // what a peer would hit
      }
    }
  });

  it('agrees with agree() on the list entries above 2^255 (RFC 7748 §5 masks the top bit first)', () => {
    // Bernstein's list predates the masking of bit 255: masked, these are ordinary points and X25519 (OpenSSL)
    // agrees with them, so refusing them would only refuse keys the peers accept.
    const a = generateAgreementKeyPair();
    for (const v of above) {
      const key = le(v);
      expect(isValidX25519PublicKey(key)).toBe(true);
      expect(agree(a.privateKey, key)).toHaveLength(32);
    }
  });

  it('accepts the RFC 7748 §6.1 keys and fresh keys; refuses wrong lengths and non-bytes', () => {
    expect(
      isValidX25519PublicKey(hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')),
    ).toBe(true);
    expect(
      isValidX25519PublicKey(hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')),
    ).toBe(true);
    for (let i = 0; i < 20; i++)
      expect(isValidX25519PublicKey(generateAgreementKeyPair().publicKey)).toBe(true);
    expect(isValidX25519PublicKey(new Uint8Array(31).fill(9))).toBe(false);
    expect(isValidX25519PublicKey(new Uint8Array(33).fill(9))).toBe(false);
    expect(isValidX25519PublicKey([9, ...new Uint8Array(31)] as unknown as Uint8Array)).toBe(false);
  });

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 })], { numRuns: 50 })(
    'says true exactly when agree() gives a shared secret',
    (key) => {
      const a = generateAgreementKeyPair();
      let agrees = true;
      try {
        agree(a.privateKey, key);
      } catch {
        agrees = false;
      }
      expect(isValidX25519PublicKey(key)).toBe(agrees);
    },
  );
});
