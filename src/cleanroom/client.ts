/**
 * A party's side of the clean room: every session starts by verifying the room's attestation (the document's
 * signature and chain, the nonce just sent, the expected PCRs — code and configuration) and the configuration
 * it serves (runtime.yaml's bytes must be what PCR2 measured, and the party must be one of its parties), and
 * refuses, with the reason, before it sends a byte of data. Uploads are sealed with HPKE to the attested key,
 * bound to the room, the party and the attestation's nonce; every request is signed with the party's key.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { type Attestation, verifyAttestation } from '../attest/index.js';
import { csprng, type ErrorCode, IntegrityError, InvalidParameterError, VeilError } from '../core/index.js';
import { hpkeSeal } from '../crypto/index.js';
import { signRequest } from '../transport/index.js';
import type { Confirmation, RoomStatus, StatsOutcome } from './room.js';
import { uploadInfo } from './service.js';
import type { StatsQuery } from './types.js';

/** Options of {@link CleanroomClient}. */
export interface CleanroomClientOptions {
  /** The room's base URL, e.g. http://127.0.0.1:7700 */
  readonly url: string;
  /** The party's name in runtime.yaml. */
  readonly party: string;
  /** The party's private key (PKCS#8 PEM or a KeyObject): Ed25519 or RSA. */
  readonly privateKey: string | KeyObject;
  /** PCR index → hex the attestation must carry (PCR0: the code the party reviewed). */
  readonly expectPcrs?: Readonly<Record<number, string>>;
  /** The runtime.yaml the party agreed to: the room's must be byte-identical (its SHA-384 is PCR2). */
  readonly expectConfig?: Uint8Array;
  /** The largest budget epsilon the party accepts. */
  readonly maxEpsilon?: number;
  /** Trusted Nitro roots (PEM); default AWS's. */
  readonly roots?: readonly string[];
  /** Simulated-enclave roots (PEM) the party accepts, explicitly (development only). */
  readonly allowSimulatedRoots?: readonly string[];
  /** How long one request may take, its answer included (default 60 s; an upload ten times that). */
  readonly timeoutMs?: number;
}

/** What /details returns (the fields the client checks; the rest passes through). */
export interface RoomDetails {
  readonly room: string;
  readonly platform: 'simulated' | 'nitro';
  readonly runtimeYaml: string;
  readonly parties: readonly { readonly name: string; readonly role: string }[];
  readonly budget: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** A verified room: its attestation (for a nonce just sent) and its configuration. */
export interface AttestedRoom {
  readonly attestation: Attestation;
  readonly nonce: string;
  readonly details: RoomDetails;
}

/** An HTTP error answer of the room, with its stable code. */
export class RoomRequestError extends VeilError {
  constructor(
    readonly status: number,
    /** The room's stable code: schema_mismatch, already_uploaded, stale_nonce, … */
    readonly reason: string,
    message: string,
  ) {
    super(
      codeOf(reason),
      status === 0
        ? `the clean room could not be reached (${reason}): ${message}`
        : `the clean room answered ${status} ${reason}: ${message}`,
      { status, reason },
    );
  }
}

/** The Veil error code (and so the CLI's exit code) of a room's refusal. */
function codeOf(reason: string): ErrorCode {
  if (reason === 'budget_exceeded') return 'VEIL_BUDGET_EXCEEDED';
  if (['schema_mismatch', 'duplicate_ids', 'bad_query', 'body_too_large', 'invalid_input'].includes(reason))
    return 'VEIL_CONFIG_INVALID';
  return 'VEIL_PROTOCOL_VIOLATION';
}

function refuse(message: string, check: string): never {
  throw new IntegrityError(`refusing the clean room: ${message}`, { check });
}

/** A party's client of one clean room. */
export class CleanroomClient {
  private readonly base: string;
  private readonly key: KeyObject;
  private readonly timeoutMs: number;

  /** @throws {InvalidParameterError} for a URL that is not http(s) or a key that does not parse */
  constructor(readonly options: CleanroomClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new InvalidParameterError({
        fn: 'CleanroomClient',
        param: 'url',
        value: options.url,
        allowed: 'an http:// or https:// URL of a clean room',
      });
    }
    this.base = url.toString().replace(/\/$/, '');
    this.timeoutMs = options.timeoutMs ?? 60_000;
    try {
      this.key =
        typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
    } catch {
      throw new InvalidParameterError({
        fn: 'CleanroomClient',
        param: 'privateKey',
        value: '(a key)',
        allowed: 'a PKCS#8 PEM private key (Ed25519 or RSA)',
      });
    }
  }

  /**
   * One HTTP exchange, its answer's body included, within `timeoutMs`.
   * @throws {RoomRequestError} status 0, `unreachable` or `timeout`
   */
  private async send(path: string, init: RequestInit, timeoutMs: number): Promise<Response> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(`${this.base}${path}`, { ...init, signal });
      // read the body under the same deadline: a room that sends headers and stalls is caught too
      const bytes = await res.arrayBuffer();
      return new Response(bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (err) {
      if (signal.aborted)
        throw new RoomRequestError(0, 'timeout', `${this.base}: no answer within ${timeoutMs / 1000} s`);
      throw new RoomRequestError(
        0,
        'unreachable',
        `${this.base}: ${(err as Error).cause ?? (err as Error).message}`,
      );
    }
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body?: Uint8Array,
    headers: Record<string, string> = {},
  ) {
    const signed = signRequest({
      method,
      path,
      ...(body ? { body } : {}),
      party: this.options.party,
      privateKey: this.key,
    });
    const res = await this.send(
      path,
      {
        method,
        headers: { ...signed, ...headers, ...(body ? { 'content-type': 'application/octet-stream' } : {}) },
        ...(body ? { body } : {}),
      },
      // an upload of a million rows takes seconds to seal, send and check: it gets ten times longer
      body ? 10 * this.timeoutMs : this.timeoutMs,
    );
    if (!res.ok) {
      let code = 'http_error';
      let message = res.statusText;
      try {
        const j = (await res.json()) as { error?: { code?: string; message?: string } };
        code = j.error?.code ?? code;
        message = j.error?.message ?? message;
      } catch {
        // not JSON: keep the status text
      }
      throw new RoomRequestError(res.status, code, message);
    }
    return res;
  }

  /**
   * Fetches and verifies the room's attestation for a fresh nonce and its configuration.
   * @throws {IntegrityError} naming what did not verify (a check of the document, the configuration, the party)
   */
  async attest(): Promise<AttestedRoom> {
    const nonce = Buffer.alloc(32);
    csprng().fillBytes(nonce);
    const nonceHex = nonce.toString('hex');
    const res = await this.send(`/attestation?nonce=${nonceHex}`, {}, this.timeoutMs);
    if (!res.ok) throw new RoomRequestError(res.status, 'attestation_unavailable', res.statusText);
    const document = new Uint8Array(await res.arrayBuffer());
    const expectPcrs: Record<number, string> = { ...(this.options.expectPcrs ?? {}) };
    if (this.options.expectConfig)
      expectPcrs[2] = createHash('sha384').update(this.options.expectConfig).digest('hex');
    const attestation = verifyAttestation(document, {
      nonce,
      expectPcrs,
      ...(this.options.roots ? { roots: this.options.roots } : {}),
      ...(this.options.allowSimulatedRoots ? { allowSimulatedRoots: this.options.allowSimulatedRoots } : {}),
    });
    if (attestation.publicKey?.length !== 64)
      refuse('the attestation carries no X25519 upload key', 'public-key');
    const details = (await (await this.request('GET', '/details')).json()) as RoomDetails;
    const measured = createHash('sha384').update(details.runtimeYaml).digest('hex');
    if (attestation.pcrs[2] !== measured)
      refuse('the configuration served is not the one the enclave measured (PCR2)', 'config');
    this.checkConfig(details);
    return { attestation, nonce: nonceHex, details };
  }

  private checkConfig(details: RoomDetails): void {
    let config: { parties?: { name?: string; publicKey?: string }[]; budget?: { epsilon?: number } };
    try {
      config = parseYaml(details.runtimeYaml);
    } catch {
      refuse('runtime.yaml does not parse', 'config');
    }
    const me = config.parties?.find((p) => p.name === this.options.party);
    if (!me) refuse(`${this.options.party} is not a party of this room`, 'config');
    const spki = (key: KeyObject | string) =>
      createHash('sha256')
        .update(createPublicKey(key).export({ type: 'spki', format: 'der' }))
        .digest('hex');
    const mine = spki(this.key);
    let listed = '';
    try {
      listed = spki(me!.publicKey ?? '');
    } catch {
      // a key that does not parse is not ours
    }
    if (mine !== listed) refuse(`runtime.yaml lists another key for ${this.options.party}`, 'config');
    const eps = config.budget?.epsilon;
    if (this.options.maxEpsilon !== undefined && !(typeof eps === 'number' && eps <= this.options.maxEpsilon))
      refuse(`the room's budget epsilon ${eps} is above the accepted ${this.options.maxEpsilon}`, 'config');
  }

  /** `GET /details`, after verifying the attestation. */
  async details(): Promise<AttestedRoom> {
    return this.attest();
  }

  /**
   * Verifies the room, then seals `csv` to its attested key and uploads it.
   * @throws {IntegrityError} when the room does not verify (nothing sent)
   * @throws {RoomRequestError} the room's refusal (its code: schema_mismatch, already_uploaded, …)
   */
  async upload(csv: Uint8Array): Promise<Confirmation> {
    const room = await this.attest();
    const sealed = await hpkeSeal(Buffer.from(room.attestation.publicKey!, 'hex'), csv, {
      info: uploadInfo(room.details.room, this.options.party, room.nonce),
    });
    const res = await this.request('POST', '/upload_data', sealed, {
      'x-veil-attestation-nonce': room.nonce,
    });
    return (await res.json()) as Confirmation;
  }

  async confirm(): Promise<Confirmation> {
    return (await (await this.request('GET', '/confirm_data')).json()) as Confirmation;
  }

  async status(): Promise<RoomStatus> {
    return (await (await this.request('GET', '/model_status')).json()) as RoomStatus;
  }

  async formats(): Promise<Record<string, unknown>> {
    return (await (await this.request('GET', '/formats')).json()) as Record<string, unknown>;
  }

  /** Waits until the room is ready (or failed), polling /model_status. */
  async waitReady(options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<RoomStatus> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const s = await this.status();
      if (s.stage === 'ready' || s.stage === 'failed') return s;
      if (Date.now() > deadline)
        throw new RoomRequestError(0, 'timeout', `the room is still ${s.stage} after waiting`);
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
    }
  }

  async samples(): Promise<string> {
    return (await this.request('GET', '/samples')).text();
  }

  async stats(query: StatsQuery): Promise<StatsOutcome> {
    const q = new URLSearchParams({ kind: query.kind, epsilon: String(query.epsilon) });
    if ('column' in query) q.set('column', query.column);
    return (await (await this.request('POST', `/stats?${q}`)).json()) as StatsOutcome;
  }
}
