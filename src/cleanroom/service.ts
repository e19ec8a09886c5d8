/**
 * The clean room's HTTP service (Fastify, through transport's HTTP plumbing): the six endpoints of the
 * reference enclave services plus the attestation and joint statistics.
 *
 * | endpoint | who | what |
 * | --- | --- | --- |
 * | `GET /attestation?nonce=HEX` | anyone | the enclave's attestation document (CBOR), carrying the nonce and the upload key |
 * | `GET /details` | a party | runtime.yaml (its bytes are PCR2), the parties, the budget spent and left |
 * | `GET /formats` | a party | how to encrypt and lay out the caller's upload |
 * | `POST /upload_data` | a party | the caller's CSV, HPKE-sealed to the attested key for a nonce it attested with |
 * | `GET /confirm_data` | a party | what the room received from the caller: rows, fingerprint, schema verdict |
 * | `GET /model_status` | a party | the stage: awaiting_uploads, fitting, ready, failed |
 * | `GET /samples` | a party | the DP synthetic CSV, once ready |
 * | `POST /stats?kind=…&column=…&epsilon=…` | a party | a DP count, sum or histogram over the join |
 *
 * Every endpoint but `/attestation` needs a signed request (transport's RequestVerifier: a party's key from
 * runtime.yaml, a timestamp within 5 minutes, a nonce never seen before). Uploads are sealed with HPKE (RFC 9180)
 * to the key the attestation document carries, bound to the room, the party and the attestation nonce: the
 * operator's proxy sees ciphertext only, and an upload sealed for a nonce the room did not issue recently is
 * refused (`stale_nonce`). Errors are JSON `{ error: { code, message } }` with stable codes; no answer, log line
 * or error carries a cell or an id.
 */
import type { FastifyInstance } from 'fastify';
import { type HpkeKeyPair, hpkeOpen } from '../crypto/index.js';
import {
  createHttpServer,
  HttpError,
  RequestVerifier,
  requireSignature,
  signedParty,
} from '../transport/index.js';
import type { Room } from './room.js';
import type { StatsQuery } from './types.js';

/** Where attestation documents come from: a simulated enclave, or the Nitro Security Module in a real one. */
export interface AttestationSource {
  readonly platform: 'simulated' | 'nitro';
  attest(input: { nonce?: Uint8Array; publicKey?: Uint8Array; userData?: Uint8Array }): Uint8Array;
}

/** Options of {@link cleanroomService}. */
export interface CleanroomServiceOptions {
  readonly room: Room;
  /** runtime.yaml's exact bytes (PCR2 measures them; /details serves them). */
  readonly runtimeYaml: Uint8Array;
  readonly pcrs: Readonly<Record<number, string>>;
  readonly enclave: AttestationSource;
  /** The enclave's upload key (generated inside, never leaves): its public half is in every attestation. */
  readonly uploadKey: HpkeKeyPair;
  readonly budget: () => Promise<Readonly<Record<string, unknown>>>;
  /** One structured line per request (method, route, status, ms, code): never bodies, queries or cells. */
  readonly log?: (line: Record<string, unknown>) => void;
  /** For tests: the clock of signed requests and nonces. */
  readonly now?: () => number;
}

/** How long an attestation nonce may be used for an upload. */
export const ATTESTATION_NONCE_TTL_MS = 10 * 60 * 1000;
const MAX_NONCES = 10_000;
/** HPKE's overhead on an upload: enc (32 bytes) and the AEAD tag (16). */
const SEAL_OVERHEAD = 48;

/** The HPKE `info` an upload is sealed with: room, party and attestation nonce. */
export function uploadInfo(room: string, party: string, nonceHex: string): Uint8Array {
  return new TextEncoder().encode(`veil-cleanroom-upload-v1\n${room}\n${party}\n${nonceHex}`);
}

const HEX_NONCE = /^[0-9a-f]{32,128}$/;

/**
 * The clean room's Fastify app (not yet listening: `listen(app, …)` from veil/transport).
 * @example const app = cleanroomService({ room, runtimeYaml, pcrs, enclave, uploadKey, budget });
 */
export function cleanroomService(options: CleanroomServiceOptions): FastifyInstance {
  const { room, enclave, uploadKey } = options;
  const config = room.config;
  const now = options.now ?? Date.now;
  const app = createHttpServer({
    label: `clean room ${config.room}`,
    bodyLimit: config.uploads.maxBytes + SEAL_OVERHEAD,
    ...(options.log ? { log: options.log } : {}),
  });
  const verifier = new RequestVerifier({
    parties: new Map(config.parties.map((p) => [p.name, p.publicKey])),
    now,
  });
  const issued = new Map<string, number>(); // attestation nonce → when it stops being usable

  // every route but /attestation: refused before validation and the handler unless a listed party signed it
  const signed = { preValidation: requireSignature(verifier) };

  app.get('/attestation', async (req, reply) => {
    const nonce = (req.query as Record<string, unknown>)['nonce'];
    if (typeof nonce !== 'string' || !HEX_NONCE.test(nonce))
      throw new HttpError(
        400,
        'bad_nonce',
        'nonce: 16 to 64 random bytes as lower-case hex, fresh for each request',
      );
    const t = now();
    // oldest first (one TTL for all): drop the expired ones, and the oldest beyond the bound
    for (const [n, until] of issued) {
      if (until > t && issued.size < MAX_NONCES) break;
      issued.delete(n);
    }
    issued.set(nonce, t + ATTESTATION_NONCE_TTL_MS);
    const document = enclave.attest({ nonce: Buffer.from(nonce, 'hex'), publicKey: uploadKey.publicKey });
    return reply.type('application/cbor').send(Buffer.from(document));
  });

  app.get('/details', signed, async (req) => {
    const party = signedParty(req);
    return {
      room: config.room,
      platform: enclave.platform,
      caller: party,
      runtimeYaml: new TextDecoder().decode(options.runtimeYaml),
      pcrs: options.pcrs,
      id: config.id,
      parties: config.parties.map((p) => ({
        name: p.name,
        role: p.role,
        columns: p.columnsSpec,
      })),
      synth: config.synth,
      stats: config.stats,
      uploads: config.uploads,
      budget: await options.budget(),
    };
  });

  app.get('/formats', signed, async (req) => {
    const name = signedParty(req);
    const party = config.parties.find((p) => p.name === name)!;
    return {
      party: name,
      upload: {
        endpoint: 'POST /upload_data',
        contentType: 'application/octet-stream',
        encryption:
          'HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, to the public_key of ' +
          'an attestation document the room issued for your nonce; body = enc (32 bytes) || ciphertext',
        info: 'veil-cleanroom-upload-v1\\n{room}\\n{party}\\n{attestation nonce hex}',
        nonceHeader: 'x-veil-attestation-nonce',
        nonceTtlSeconds: ATTESTATION_NONCE_TTL_MS / 1000,
        plaintext: 'CSV, UTF-8, a header row',
        header: [config.id, ...party.columns.keys()],
        columns: party.columnsSpec,
        maxBytes: config.uploads.maxBytes,
        allowReplacement: config.uploads.allowReplacement,
      },
      samples: { endpoint: 'GET /samples', contentType: 'text/csv', rows: config.synth.rows },
      stats: {
        endpoint: 'POST /stats?kind=count|sum|histogram&column=NAME&epsilon=E',
        maxEpsilon: config.stats.maxEpsilon,
        enabled: config.stats.enabled,
      },
    };
  });

  app.post('/upload_data', signed, async (req, reply) => {
    const name = signedParty(req);
    const nonce = req.headers['x-veil-attestation-nonce'];
    try {
      if (!Buffer.isBuffer(req.body) || req.body.length <= SEAL_OVERHEAD)
        throw new HttpError(
          415,
          'unsupported_media_type',
          'an application/octet-stream body: the HPKE-sealed CSV (see /formats)',
        );
      if (typeof nonce !== 'string' || !HEX_NONCE.test(nonce))
        throw new HttpError(
          400,
          'bad_nonce',
          'x-veil-attestation-nonce: the hex nonce of the attestation whose key sealed the upload',
        );
      const until = issued.get(nonce);
      if (until === undefined || until <= now())
        throw new HttpError(
          409,
          'stale_nonce',
          'the attestation nonce is unknown or expired: fetch a fresh /attestation and seal again',
        );
      room.checkUploadAllowed(name);
    } catch (err) {
      await room.refused('cleanroom.upload', name, err);
      throw err;
    }
    let plaintext: Uint8Array;
    try {
      plaintext = await hpkeOpen(uploadKey, req.body as Buffer, {
        info: uploadInfo(config.room, name, nonce),
      });
    } catch {
      const err = new HttpError(
        400,
        'undecryptable',
        'the upload does not open with the attested key for this room, party and nonce',
      );
      await room.refused('cleanroom.upload', name, err);
      throw err;
    }
    const confirmation = await room.upload(name, plaintext);
    return reply.code(201).send(confirmation);
  });

  app.get('/confirm_data', signed, async (req) => room.confirm(signedParty(req)));
  app.get('/model_status', signed, async () => room.status());
  app.get('/samples', signed, async (req, reply) => {
    const csv = await room.samples(signedParty(req));
    return reply.type('text/csv; charset=utf-8').send(csv);
  });
  app.post('/stats', signed, async (req) => {
    const name = signedParty(req);
    return room.stats(name, statsQuery(req.query as Record<string, unknown>));
  });
  return app;
}

function statsQuery(q: Record<string, unknown>): StatsQuery {
  const kind = q['kind'];
  const epsilon = Number(q['epsilon']);
  const column = q['column'];
  if (typeof q['epsilon'] !== 'string' || !Number.isFinite(epsilon))
    throw new HttpError(400, 'bad_query', 'epsilon: a number > 0');
  if (kind === 'count') return { kind, epsilon };
  if (kind !== 'sum' && kind !== 'histogram')
    throw new HttpError(400, 'bad_query', 'kind: count, sum or histogram');
  if (typeof column !== 'string' || column.length === 0)
    throw new HttpError(400, 'bad_query', `column: the column to ${kind === 'sum' ? 'sum' : 'bin'}`);
  return { kind, column, epsilon };
}
