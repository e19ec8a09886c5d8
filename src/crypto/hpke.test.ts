import { describe, expect, it } from 'vitest';
import { IntegrityError, InvalidParameterError } from '../core/index.js';
import { generateHpkeKeyPair, hpkeOpen, hpkeSeal } from './hpke.js';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * RFC 9180, Appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode_base): the recipient's
 * key pair, the sender's encapsulated key (pkEm = enc), info, and the encryption of sequence number 0.
 */
const A11 = {
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  info: '4f6465206f6e2061204772656369616e2055726e', // "Ode on a Grecian Urn"
  aad: '436f756e742d30', // "Count-0"
  ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
} as const;

describe('hpke', () => {
  const info = utf8('veil/test/v1');

  it('opens what it seals, with and without aad', async () => {
    const recipient = await generateHpkeKeyPair();
    expect(recipient.publicKey.length).toBe(32);
    expect(recipient.privateKey.length).toBe(32);
    const message = utf8('a record that only the recipient may read');
    const sealed = await hpkeSeal(recipient.publicKey, message, { info });
    expect(sealed.length).toBe(32 + message.length + 16);
    expect(await hpkeOpen(recipient, sealed, { info })).toEqual(message);
    const aad = utf8('upload 7');
    const bound = await hpkeSeal(recipient.publicKey, message, { info, aad });
    expect(await hpkeOpen(recipient, bound, { info, aad })).toEqual(message);
  });

  it('seals an empty message and a view into a larger buffer', async () => {
    const recipient = await generateHpkeKeyPair();
    expect(
      await hpkeOpen(recipient, await hpkeSeal(recipient.publicKey, new Uint8Array(0), { info }), { info }),
    ).toEqual(new Uint8Array(0));
    const backing = utf8('xxxxpayloadyyyy');
    const view = backing.subarray(4, 11);
    const sealed = await hpkeSeal(recipient.publicKey, view, { info });
    expect(await hpkeOpen(recipient, sealed.subarray(0), { info })).toEqual(utf8('payload'));
  });

  it('gives a different box each time (fresh ephemeral key)', async () => {
    const recipient = await generateHpkeKeyPair();
    const message = utf8('same');
    const a = await hpkeSeal(recipient.publicKey, message, { info });
    const b = await hpkeSeal(recipient.publicKey, message, { info });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('refuses the wrong info, aad or key, and any modified byte', async () => {
    const recipient = await generateHpkeKeyPair();
    const other = await generateHpkeKeyPair();
    const aad = utf8('context');
    const sealed = await hpkeSeal(recipient.publicKey, utf8('secret marker 42'), { info, aad });
    await expect(hpkeOpen(recipient, sealed, { info: utf8('veil/other/v1'), aad })).rejects.toThrow(
      IntegrityError,
    );
    await expect(hpkeOpen(recipient, sealed, { info, aad: utf8('contexT') })).rejects.toThrow(IntegrityError);
    await expect(hpkeOpen(recipient, sealed, { info })).rejects.toThrow(IntegrityError);
    await expect(hpkeOpen(other, sealed, { info, aad })).rejects.toThrow(IntegrityError);
    for (const index of [0, 31, 32, sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[index] ^= 0x01;
      await expect(hpkeOpen(recipient, tampered, { info, aad })).rejects.toThrow(IntegrityError);
    }
    await expect(hpkeOpen(recipient, sealed.subarray(0, 40), { info, aad })).rejects.toThrow(IntegrityError);
  });

  it('never puts the plaintext in its error', async () => {
    const recipient = await generateHpkeKeyPair();
    const sealed = await hpkeSeal(recipient.publicKey, utf8('secret marker 42'), { info });
    const error = await hpkeOpen(recipient, sealed, { info: utf8('x') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).code).toBe('VEIL_INTEGRITY_FAILED');
    expect(JSON.stringify((error as IntegrityError).toJSON())).not.toContain('secret marker');
  });

  it('refuses a public key of the wrong length or a small-order point', async () => {
    const plaintext = utf8('x');
    await expect(hpkeSeal(new Uint8Array(31), plaintext, { info })).rejects.toThrow(InvalidParameterError);
    await expect(hpkeSeal(new Uint8Array(33), plaintext, { info })).rejects.toThrow(InvalidParameterError);
    // u = 0: a small-order point whose shared secret is all zero (RFC 7748 §6.1).
    await expect(hpkeSeal(new Uint8Array(32), plaintext, { info })).rejects.toThrow(InvalidParameterError);
    const error = await hpkeSeal(new Uint8Array(31), plaintext, { info }).catch((e: unknown) => e);
    expect((error as InvalidParameterError).code).toBe('VEIL_INVALID_PARAMETER');
    expect((error as InvalidParameterError).message).toContain('hpkeSeal: recipientPublicKey');
  });

  it('refuses arguments that are not bytes', async () => {
    const recipient = await generateHpkeKeyPair();
    await expect(hpkeSeal(recipient.publicKey, 'text' as unknown as Uint8Array, { info })).rejects.toThrow(
      InvalidParameterError,
    );
    await expect(
      hpkeSeal(recipient.publicKey, new Uint8Array(1), { info: 'x' as unknown as Uint8Array }),
    ).rejects.toThrow(InvalidParameterError);
    await expect(
      hpkeOpen({ publicKey: recipient.publicKey, privateKey: new Uint8Array(5) }, new Uint8Array(64), {
        info,
      }),
    ).rejects.toThrow(InvalidParameterError);
  });

  it('opens the RFC 9180, Appendix A.1.1 test vector (sequence number 0)', async () => {
    const keyPair = { publicKey: hex(A11.pkRm), privateKey: hex(A11.skRm) };
    const sealed = new Uint8Array([...hex(A11.enc), ...hex(A11.ct)]);
    const plaintext = await hpkeOpen(keyPair, sealed, { info: hex(A11.info), aad: hex(A11.aad) });
    expect(Buffer.from(plaintext).toString('hex')).toBe(A11.pt);
    expect(new TextDecoder().decode(plaintext)).toBe('Beauty is truth, truth beauty');
    await expect(hpkeOpen(keyPair, sealed, { info: hex(A11.info) })).rejects.toThrow(IntegrityError);
  });
});
