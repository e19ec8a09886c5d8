/**
 * The unified verifier: a simulated enclave's document verifies only under an explicitly allowed development
 * root and then says 'simulated'; it is refused otherwise — also when its root is passed as a trusted Nitro root —
 * and, allowed, it fails every check a Nitro document fails (a flipped byte, a PCR, the nonce, the validity, the
 * root). Genuine Nitro documents still verify as 'nitro'.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from 'cborg';
import { beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, InvalidParameterError } from '../core/index.js';
import type { AttestationCheck } from './nitro.js';
import { AWS_NITRO_ROOT_PEM } from './nitro-root.js';
import { createDevRoot, createSimulatedEnclave, type DevRoot, type SimulatedEnclave } from './simulated.js';
import { readAttestationDocument, verifyAttestation } from './verify.js';

const fixtureText = readFileSync(join(import.meta.dirname, 'fixtures', 'nitro-2022-07-26.b64'));
const genuine = readAttestationDocument(fixtureText);
const GENUINE_AT = new Date('2022-07-26T18:39:12.566Z');

function refused(check: AttestationCheck, run: () => unknown): IntegrityError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(IntegrityError);
  expect((error as IntegrityError).details).toMatchObject({ check });
  return error as IntegrityError;
}

const PCR0 = new Uint8Array(48).fill(0xab);
let root: DevRoot;
let enclave: SimulatedEnclave;
const nonce = new Uint8Array([5, 6, 7, 8]);
const publicKey = new Uint8Array(32).fill(3);
let doc: Uint8Array;

beforeAll(async () => {
  root = await createDevRoot();
  enclave = await createSimulatedEnclave({ root, pcrs: { 0: PCR0, 1: new Uint8Array(48) } });
  doc = enclave.attest({ nonce, publicKey });
});

describe('verifyAttestation of a simulated enclave', () => {
  it('verifies with its root allowed, as platform simulated, with its PCRs, key and nonce', () => {
    const a = verifyAttestation(doc, {
      allowSimulatedRoots: [root.certificatePem],
      expectPcrs: { 0: Buffer.from(PCR0).toString('hex').toUpperCase() },
      nonce,
    });
    expect(a.platform).toBe('simulated');
    expect(a.moduleId).toBe(enclave.moduleId);
    expect(a.pcrs).toEqual({ 0: 'ab'.repeat(48), 1: '00'.repeat(48) });
    expect(a.publicKey).toBe('03'.repeat(32));
    expect(a.nonce).toBe('05060708');
  });

  it('is refused without its root allowed, naming --allow-simulated', () => {
    const e = refused('root', () => verifyAttestation(doc));
    expect(e.message).toMatch(
      /simulated enclave's document .* is refused unless its root is explicitly allowed/,
    );
    expect(e.message).toMatch(/--allow-simulated ROOT/);
  });

  it('is refused when its root is given as a trusted Nitro root: never platform nitro', () => {
    refused('root', () => verifyAttestation(doc, { roots: [root.certificatePem] }));
    refused('root', () => verifyAttestation(doc, { roots: [root.certificatePem, AWS_NITRO_ROOT_PEM] }));
  });

  it("refuses another development root's document", async () => {
    const other = await createDevRoot();
    const foreign = (await createSimulatedEnclave({ root: other, pcrs: { 0: PCR0 } })).attest({ nonce });
    refused('root', () => verifyAttestation(foreign, { allowSimulatedRoots: [root.certificatePem] }));
    // the other root passed as a Nitro root, and ours allowed: still refused
    refused('root', () =>
      verifyAttestation(foreign, {
        roots: [other.certificatePem],
        allowSimulatedRoots: [root.certificatePem],
      }),
    );
  });

  it('refuses a flipped byte, a wrong PCR, a wrong nonce and an expired enclave certificate', () => {
    const allow = { allowSimulatedRoots: [root.certificatePem] };
    const cose = decode(doc, { useMaps: true }) as Uint8Array[];
    const payload = Buffer.from(cose[2]!);
    const at = payload.indexOf(Buffer.from(enclave.moduleId));
    payload[at + enclave.moduleId.length - 1]! ^= 1; // the module id's last hex digit: still well-formed
    refused('signature', () => verifyAttestation(encode([cose[0], cose[1], payload, cose[3]]), allow));
    const flipped = Buffer.from(doc);
    flipped[flipped.length - 1]! ^= 1;
    refused('signature', () => verifyAttestation(flipped, allow));
    refused('pcr', () => verifyAttestation(doc, { ...allow, expectPcrs: { 0: '00'.repeat(48) } }));
    refused('pcr', () => verifyAttestation(doc, { ...allow, expectPcrs: { 5: 'ab'.repeat(48) } }));
    refused('nonce', () => verifyAttestation(doc, { ...allow, nonce: new Uint8Array([5, 6, 7, 9]) }));
    refused('validity', () =>
      verifyAttestation(doc, { ...allow, at: new Date(Date.now() + 2 * 86_400_000) }),
    );
  });

  it('refuses a bad PEM or the AWS root as a simulated root', () => {
    expect(() => verifyAttestation(doc, { allowSimulatedRoots: ['not a pem'] })).toThrow(
      InvalidParameterError,
    );
    expect(() => verifyAttestation(genuine, { allowSimulatedRoots: [AWS_NITRO_ROOT_PEM] })).toThrow(
      /development roots only/,
    );
  });
});

describe('verifyAttestation of a genuine Nitro document', () => {
  it('verifies as platform nitro, also with a simulated root allowed', () => {
    expect(verifyAttestation(genuine, { at: GENUINE_AT }).platform).toBe('nitro');
    const a = verifyAttestation(genuine, { at: GENUINE_AT, allowSimulatedRoots: [root.certificatePem] });
    expect(a.platform).toBe('nitro');
    expect(a.moduleId).toBe('i-0936512d5ae6ee91a-enc01823bcde8eb8a8a');
    refused('root', () => verifyAttestation(genuine, { at: GENUINE_AT, roots: [root.certificatePem] }));
  });
});

describe('readAttestationDocument', () => {
  it('takes raw CBOR as is, base64 (with whitespace, either alphabet) decoded, and a COSE tag removed', () => {
    expect(readAttestationDocument(doc)).toBe(doc);
    const b64 = Buffer.from(doc).toString('base64');
    expect(
      Buffer.from(readAttestationDocument(Buffer.from(`${b64.slice(0, 50)}\n${b64.slice(50)}\n`))),
    ).toEqual(Buffer.from(doc));
    expect(Buffer.from(readAttestationDocument(Buffer.from(Buffer.from(doc).toString('base64url'))))).toEqual(
      Buffer.from(doc),
    );
    const tagged = new Uint8Array([0xd2, ...doc]);
    expect(Buffer.from(readAttestationDocument(tagged))).toEqual(Buffer.from(doc));
    expect(genuine[0]).toBe(0x84);
  });

  it('refuses what is neither, as a format failure', () => {
    refused('format', () => readAttestationDocument(Buffer.from('hello world!')));
    refused('format', () => readAttestationDocument(Buffer.from('aGVsbG8=')));
    refused('format', () => readAttestationDocument(new Uint8Array(0)));
  });
});
