import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError, seededRng } from '../../core/index.js';
import { HttpError } from './errors.js';
import { createHttpServer, type HttpListening, listen } from './server.js';
import { requireSignature, signedParty } from './signature-hook.js';
import { RequestVerifier, SIGNED_REQUEST_HEADERS, signRequest } from './signed-requests.js';

interface Party {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly publicPem: string;
}

function ed25519Party(name: string): Party {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { name, privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

let hospital: Party;
let lab: Party;
let outsider: Party;

beforeAll(() => {
  hospital = ed25519Party('hospital-1');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  lab = {
    name: 'lab-2',
    privateKey: rsa.privateKey,
    publicPem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  outsider = ed25519Party('outsider');
});

const open: HttpListening[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

function verifierFor(parties: readonly Party[], now?: () => number): RequestVerifier {
  return new RequestVerifier({
    parties: new Map(parties.map((p) => [p.name, p.publicPem])),
    ...(now === undefined ? {} : { now }),
  });
}

async function serve(verifier: RequestVerifier): Promise<{ app: FastifyInstance; server: HttpListening }> {
  const app = createHttpServer({ label: 'signed', bodyLimit: 64 * 1024 });
  const guard = requireSignature(verifier);
  app.get('/whoami', { preValidation: guard }, async (request) => ({ party: signedParty(request) }));
  app.post('/data', { preValidation: guard }, async (request) => ({
    party: signedParty(request),
    bytes: (request.body as Buffer).length,
  }));
  app.post('/json', { preValidation: guard }, async (request) => ({
    party: signedParty(request),
    body: request.body,
  }));
  app.get('/unguarded', async (request) => ({ party: signedParty(request) }));
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  open.push(server);
  return { app, server };
}

async function errorCode(response: Response): Promise<[number, string | undefined]> {
  const body = (await response.json()) as { error?: { code: string } };
  return [response.status, body.error?.code];
}

describe('signed requests over HTTP', () => {
  it('accepts signed GET and POST requests from Ed25519 and RSA parties', async () => {
    const { server } = await serve(verifierFor([hospital, lab]));
    for (const party of [hospital, lab]) {
      const path = '/whoami?round=3&x=a%20b';
      const get = await fetch(`${server.url}${path}`, {
        headers: signRequest({ method: 'GET', path, party: party.name, privateKey: party.privateKey }),
      });
      expect(get.status).toBe(200);
      expect(await get.json()).toEqual({ party: party.name });

      const body = new Uint8Array(5000).map((_, i) => i % 251);
      const post = await fetch(`${server.url}/data`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/octet-stream',
          ...signRequest({
            method: 'POST',
            path: '/data',
            body,
            party: party.name,
            privateKey: party.privateKey,
          }),
        },
      });
      expect(post.status).toBe(200);
      expect(await post.json()).toEqual({ party: party.name, bytes: 5000 });

      const json = new TextEncoder().encode(JSON.stringify({ rows: 10, note: 'é' }));
      const postJson = await fetch(`${server.url}/json`, {
        method: 'POST',
        body: json,
        headers: {
          'content-type': 'application/json',
          ...signRequest({
            method: 'post',
            path: '/json',
            body: json,
            party: party.name,
            privateKey: party.privateKey,
          }),
        },
      });
      expect(postJson.status).toBe(200);
      expect(await postJson.json()).toEqual({ party: party.name, body: { rows: 10, note: 'é' } });
    }
  });

  it('accepts a PEM private key', async () => {
    const { server } = await serve(verifierFor([hospital]));
    const pem = hospital.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const response = await fetch(`${server.url}/whoami`, {
      headers: signRequest({ method: 'GET', path: '/whoami', party: hospital.name, privateKey: pem }),
    });
    expect(response.status).toBe(200);
  });

  it('refuses a tampered body, path or method with 401 bad_signature', async () => {
    const { server } = await serve(verifierFor([hospital, lab]));
    for (const party of [hospital, lab]) {
      const body = new TextEncoder().encode('payload');
      const headers = signRequest({
        method: 'POST',
        path: '/data',
        body,
        party: party.name,
        privateKey: party.privateKey,
      });
      const tampered = await fetch(`${server.url}/data`, {
        method: 'POST',
        body: new TextEncoder().encode('payloaD'),
        headers: { 'content-type': 'application/octet-stream', ...headers },
      });
      expect(await errorCode(tampered)).toEqual([401, 'bad_signature']);
    }
    const signedFor = signRequest({
      method: 'GET',
      path: '/whoami?a=1',
      party: hospital.name,
      privateKey: hospital.privateKey,
    });
    expect(await errorCode(await fetch(`${server.url}/whoami?a=2`, { headers: signedFor }))).toEqual([
      401,
      'bad_signature',
    ]);
    const asPost = signRequest({
      method: 'POST',
      path: '/whoami',
      party: hospital.name,
      privateKey: hospital.privateKey,
    });
    expect(await errorCode(await fetch(`${server.url}/whoami`, { headers: asPost }))).toEqual([
      401,
      'bad_signature',
    ]);
  });

  it("refuses a signature made with another party's key", async () => {
    const { server } = await serve(verifierFor([hospital, lab]));
    for (const privateKey of [outsider.privateKey, lab.privateKey]) {
      const headers = signRequest({ method: 'GET', path: '/whoami', party: hospital.name, privateKey });
      expect(await errorCode(await fetch(`${server.url}/whoami`, { headers }))).toEqual([
        401,
        'bad_signature',
      ]);
    }
  });

  it('refuses an unknown party with 401 unknown_party', async () => {
    const { server } = await serve(verifierFor([hospital]));
    const headers = signRequest({
      method: 'GET',
      path: '/whoami',
      party: outsider.name,
      privateKey: outsider.privateKey,
    });
    expect(await errorCode(await fetch(`${server.url}/whoami`, { headers }))).toEqual([401, 'unknown_party']);
  });

  it('refuses timestamps outside the window with 401 stale_request', async () => {
    const { server } = await serve(verifierFor([hospital]));
    for (const offset of [-301_000, 301_000]) {
      const headers = signRequest({
        method: 'GET',
        path: '/whoami',
        party: hospital.name,
        privateKey: hospital.privateKey,
        timestamp: Date.now() + offset,
      });
      expect(await errorCode(await fetch(`${server.url}/whoami`, { headers }))).toEqual([
        401,
        'stale_request',
      ]);
    }
    const inside = signRequest({
      method: 'GET',
      path: '/whoami',
      party: hospital.name,
      privateKey: hospital.privateKey,
      timestamp: Date.now() - 200_000,
    });
    expect((await fetch(`${server.url}/whoami`, { headers: inside })).status).toBe(200);
  });

  it('refuses a replayed nonce with 409 replayed_request', async () => {
    const { server } = await serve(verifierFor([hospital]));
    const body = new TextEncoder().encode('once');
    const headers = {
      'content-type': 'application/octet-stream',
      ...signRequest({
        method: 'POST',
        path: '/data',
        body,
        party: hospital.name,
        privateKey: hospital.privateKey,
      }),
    };
    expect((await fetch(`${server.url}/data`, { method: 'POST', body, headers })).status).toBe(200);
    expect(await errorCode(await fetch(`${server.url}/data`, { method: 'POST', body, headers }))).toEqual([
      409,
      'replayed_request',
    ]);
  });

  it('refuses missing or malformed headers with 401 missing_signature', async () => {
    const { server } = await serve(verifierFor([hospital]));
    const good = signRequest({
      method: 'GET',
      path: '/whoami',
      party: hospital.name,
      privateKey: hospital.privateKey,
    });
    expect(await errorCode(await fetch(`${server.url}/whoami`))).toEqual([401, 'missing_signature']);
    for (const name of Object.values(SIGNED_REQUEST_HEADERS)) {
      const headers = { ...good };
      delete headers[name];
      expect(await errorCode(await fetch(`${server.url}/whoami`, { headers }))).toEqual([
        401,
        'missing_signature',
      ]);
    }
    const badNonce = { ...good, [SIGNED_REQUEST_HEADERS.nonce]: 'zz'.repeat(16) };
    expect(await errorCode(await fetch(`${server.url}/whoami`, { headers: badNonce }))).toEqual([
      401,
      'missing_signature',
    ]);
    const badTime = { ...good, [SIGNED_REQUEST_HEADERS.timestamp]: '12:00' };
    expect(await errorCode(await fetch(`${server.url}/whoami`, { headers: badTime }))).toEqual([
      401,
      'missing_signature',
    ]);
  });

  it('answers 500 when a route reads the party without verifying it', async () => {
    const { server } = await serve(verifierFor([hospital]));
    expect(await errorCode(await fetch(`${server.url}/unguarded`))).toEqual([500, 'internal']);
  });
});

describe('RequestVerifier', () => {
  const sign = (party: Party, timestamp: number, rng = seededRng(1)) =>
    signRequest({
      method: 'GET',
      path: '/x',
      party: party.name,
      privateKey: party.privateKey,
      timestamp,
      rng,
    });

  it('remembers a nonce only after its signature verified', () => {
    const verifier = verifierFor([hospital], () => 1_000_000);
    const genuine = sign(hospital, 1_000_000);
    const forged: Record<string, string> = { ...sign(outsider, 1_000_000) };
    forged[SIGNED_REQUEST_HEADERS.party] = hospital.name;
    expect(forged[SIGNED_REQUEST_HEADERS.nonce]).toBe(genuine[SIGNED_REQUEST_HEADERS.nonce]);
    expect(() => verifier.verify({ method: 'GET', path: '/x', headers: forged })).toThrow(
      expect.objectContaining({ code: 'bad_signature' }),
    );
    expect(verifier.verify({ method: 'GET', path: '/x', headers: genuine })).toBe(hospital.name);
    expect(() => verifier.verify({ method: 'GET', path: '/x', headers: genuine })).toThrow(
      expect.objectContaining({ status: 409, code: 'replayed_request' }),
    );
  });

  it('forgets nonces once their requests are stale, and stays bounded', () => {
    let now = 1_000_000;
    const verifier = new RequestVerifier({
      parties: new Map([[hospital.name, hospital.publicPem]]),
      maxSkewMs: 1000,
      maxNonces: 2,
      now: () => now,
    });
    const rng = seededRng(9);
    const first = sign(hospital, now, rng);
    verifier.verify({ method: 'GET', path: '/x', headers: first });
    verifier.verify({ method: 'GET', path: '/x', headers: sign(hospital, now, rng) });
    // Full of requests still in the window: refuse rather than forget a live nonce.
    expect(() => verifier.verify({ method: 'GET', path: '/x', headers: sign(hospital, now, rng) })).toThrow(
      expect.objectContaining({ status: 429, code: 'too_many_requests' }),
    );
    now += 1001;
    // The first request is now stale, so its replay is refused as stale; its nonce was forgotten.
    expect(() => verifier.verify({ method: 'GET', path: '/x', headers: first })).toThrow(
      expect.objectContaining({ code: 'stale_request' }),
    );
    expect(verifier.verify({ method: 'GET', path: '/x', headers: sign(hospital, now, rng) })).toBe(
      hospital.name,
    );
    expect(verifier.verify({ method: 'GET', path: '/x', headers: sign(hospital, now, rng) })).toBe(
      hospital.name,
    );
  });

  it('throws HttpError for a header given twice', () => {
    const verifier = verifierFor([hospital]);
    const headers: Record<string, string | string[]> = { ...sign(hospital, Date.now()) };
    headers[SIGNED_REQUEST_HEADERS.nonce] = ['a'.repeat(32), 'b'.repeat(32)];
    let error: unknown;
    try {
      verifier.verify({ method: 'GET', path: '/x', headers });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).code).toBe('missing_signature');
  });

  it('refuses unsupported or weak keys at construction', () => {
    const pemOf = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const x25519 = generateKeyPairSync('x25519').publicKey;
    for (const key of [weakRsa, ec, x25519, pemOf(weakRsa), pemOf(ec)]) {
      expect(() => new RequestVerifier({ parties: new Map([['p', key]]) })).toThrow(InvalidParameterError);
    }
    expect(() => new RequestVerifier({ parties: new Map([['p', hospital.privateKey]]) })).toThrow(
      InvalidParameterError,
    );
    const privatePem = hospital.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => new RequestVerifier({ parties: new Map([['p', privatePem]]) })).toThrow(
      InvalidParameterError,
    );
    expect(() => new RequestVerifier({ parties: new Map([['p', 'not a key']]) })).toThrow(
      InvalidParameterError,
    );
    expect(() => new RequestVerifier({ parties: new Map() })).toThrow(InvalidParameterError);
    expect(
      () => new RequestVerifier({ parties: new Map([['p', hospital.publicPem]]), maxSkewMs: 0 }),
    ).toThrow(InvalidParameterError);
  });

  it('signRequest refuses bad input', () => {
    const base = { method: 'GET', path: '/x', party: 'p', privateKey: hospital.privateKey };
    expect(() => signRequest({ ...base, path: 'x' })).toThrow(InvalidParameterError);
    expect(() => signRequest({ ...base, path: '/a b' })).toThrow(InvalidParameterError);
    expect(() => signRequest({ ...base, method: 'G T' })).toThrow(InvalidParameterError);
    expect(() => signRequest({ ...base, party: 'has space' })).toThrow(InvalidParameterError);
    expect(() => signRequest({ ...base, privateKey: hospital.publicPem })).toThrow(InvalidParameterError);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => signRequest({ ...base, privateKey: weak })).toThrow(InvalidParameterError);
  });

  it('signs a nonce of 32 hex characters and a base64 signature', () => {
    const headers = signRequest({ method: 'GET', path: '/x', party: 'p', privateKey: hospital.privateKey });
    expect(headers[SIGNED_REQUEST_HEADERS.nonce]).toMatch(/^[0-9a-f]{32}$/);
    expect(headers[SIGNED_REQUEST_HEADERS.signature]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Object.keys(headers).sort()).toEqual(Object.values(SIGNED_REQUEST_HEADERS).sort());
  });
});
