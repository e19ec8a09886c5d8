/**
 * Nitro attestation verification against a genuine document (fixtures/README.md: from Brave's brave-core tests,
 * produced by a real enclave on 2022-07-26): it verifies at its own time, and each tampering fails with the check
 * it breaks — one flipped byte of the payload or the signature, a wrong expected PCR, another root, another nonce,
 * a time outside the chain's validity.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../core/index.js';
import { type AttestationCheck, verifyNitroAttestation } from './nitro.js';
import { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from './nitro-root.js';

const genuine = Buffer.from(
  readFileSync(join(import.meta.dirname, 'fixtures', 'nitro-2022-07-26.b64'), 'utf8').trim(),
  'base64',
);
const PCR4 =
  '5a3e54bd0a5f50b1b5ec641e063a1f1e7e5aadc139f49fd8784afca90a83767ec13dd70b3f2e3f43b8e23355baaa9053';
const NONCE =
  '831493346b44132e2ffb7988bce351f593eeb8dd58604e78ebfeb5ed7c2ef4bdcb8b0aa49c308d1b602d4b7942a0c1caf4e5c6';

function refused(check: AttestationCheck, run: () => unknown): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(IntegrityError);
  expect((error as IntegrityError).details).toMatchObject({ check });
}

describe('verifyNitroAttestation on a genuine document', () => {
  it('verifies at its own timestamp against the pinned AWS root', () => {
    const a = verifyNitroAttestation(genuine, { expectPcrs: { 4: PCR4, 0: '0'.repeat(96) } });
    expect(a.platform).toBe('nitro');
    expect(a.moduleId).toBe('i-0936512d5ae6ee91a-enc01823bcde8eb8a8a');
    expect(a.timestamp.toISOString()).toBe('2022-07-26T18:39:12.566Z');
    expect(Object.keys(a.pcrs)).toHaveLength(16);
    expect(a.pcrs[4]).toBe(PCR4);
    expect(a.userData).toBe('0'.repeat(64));
    expect(a.publicKey).toBeNull();
    expect(a.nonce?.startsWith(NONCE.slice(0, 16))).toBe(true);
  });

  it('pins the root AWS publishes (SHA-256 641a0321…79bb5b), the one in the document', () => {
    const root = new X509Certificate(AWS_NITRO_ROOT_PEM);
    expect(createHash('sha256').update(root.raw).digest('hex')).toBe(AWS_NITRO_ROOT_SHA256);
    const [, , payload] = decode(genuine, { useMaps: true }) as Uint8Array[];
    const doc = Object.fromEntries(decode(payload!, { useMaps: true })) as { cabundle: Uint8Array[] };
    expect(Buffer.from(doc.cabundle[0]!).equals(root.raw)).toBe(true);
  });

  it('refuses a flipped byte of the payload or of the signature', () => {
    const cose = decode(genuine, { useMaps: true }) as Uint8Array[];
    const payload = Buffer.from(cose[2]!);
    payload[20]! ^= 1; // inside module_id: still a well-formed map
    refused('signature', () => verifyNitroAttestation(encode([cose[0], cose[1], payload, cose[3]])));
    const signature = Buffer.from(cose[3]!);
    signature[10]! ^= 0x80;
    refused('signature', () => verifyNitroAttestation(encode([cose[0], cose[1], cose[2], signature])));
    const raw = Buffer.from(genuine);
    raw[raw.length - 1]! ^= 1;
    refused('signature', () => verifyNitroAttestation(raw));
  });

  it('refuses a wrong PCR, another root, another nonce, and a time outside the chain', () => {
    refused('pcr', () => verifyNitroAttestation(genuine, { expectPcrs: { 4: '0'.repeat(96) } }));
    refused('pcr', () => verifyNitroAttestation(genuine, { expectPcrs: { 20: PCR4 } }));
    const [, , payload] = decode(genuine, { useMaps: true }) as Uint8Array[];
    const doc = Object.fromEntries(decode(payload!, { useMaps: true })) as {
      cabundle: Uint8Array[];
      nonce: Uint8Array;
    };
    // the enclave's own intermediate as the only trusted root: a valid chain, an untrusted root
    const other = new X509Certificate(doc.cabundle[1]!).toString();
    refused('root', () => verifyNitroAttestation(genuine, { roots: [other] }));
    expect(verifyNitroAttestation(genuine, { nonce: doc.nonce }).nonce).toBe(
      Buffer.from(doc.nonce).toString('hex'),
    );
    refused('nonce', () => verifyNitroAttestation(genuine, { nonce: new Uint8Array(20) }));
    refused('validity', () => verifyNitroAttestation(genuine, { at: new Date('2026-12-07T00:00:00Z') }));
  });

  it('refuses what is not a COSE_Sign1 attestation, naming the format', () => {
    refused('format', () => verifyNitroAttestation(new Uint8Array([0xff, 0x00])));
    refused('format', () => verifyNitroAttestation(encode(['a', 'b'])));
    const cose = decode(genuine, { useMaps: true }) as Uint8Array[];
    refused('algorithm', () =>
      verifyNitroAttestation(encode([encode(new Map([[1, -7]])), cose[1], cose[2], cose[3]])),
    );
    const doc = decode(cose[2]!, { useMaps: true }) as Map<unknown, unknown>;
    refused('format', () =>
      verifyNitroAttestation(
        encode([cose[0], cose[1], encode(new Map([...doc, ['digest', 'SHA256']])), cose[3]]),
      ),
    );
  });
});
