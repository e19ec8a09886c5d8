/**
 * Test support for the service: a fresh service on a temporary SQLite ledger with one organisation and its
 * administrator's key, requests through `inject` with a bearer key, and principals of each role with their keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVeilService, type ServiceOptions, type VeilService } from '../app/service.js';
import type { Role } from '../auth/permissions.js';
import { adminInit } from '../serve.js';

/** A response body as tests read it (any JSON). */
// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely
export type Body = any;

export interface TestService {
  readonly service: VeilService;
  readonly dir: string;
  readonly db: string;
  /** The first organisation's administrator key. */
  readonly adminKey: string;
  readonly org: string;
  /** A request as `key` (JSON body); returns status, parsed JSON body (or text) and headers. */
  call(
    key: string | null,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: Body; headers: Record<string, unknown> }>;
  /** Creates a principal of `role` in the organisation `adminKey` administers and returns its key. */
  keyFor(adminKey: string, role: Role, name?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestService(
  options: Partial<ServiceOptions> & { org?: string } = {},
): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-service-'));
  const db = options.db ?? `sqlite:${join(dir, 'veil.db')}`;
  const org = options.org ?? 'acme';
  const { apiKey } = await adminInit(db, org, 'test-operator');
  const service = await openVeilService({
    db,
    dataDir: join(dir, 'files'),
    rateLimit: 1_000_000,
    ...options,
  });
  let n = 0;
  const call: TestService['call'] = async (key, method, url, body) => {
    const res = await service.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(Buffer.isBuffer(body) ? { 'content-type': 'application/octet-stream' } : {}),
      },
      ...(body === undefined ? {} : { payload: Buffer.isBuffer(body) ? body : (body as object) }),
    });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // not JSON: the text
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };
  return {
    service,
    dir,
    db,
    adminKey: apiKey,
    org,
    call,
    async keyFor(adminKey, role, name) {
      const p = await call(adminKey, 'POST', '/v1/principals', { name: name ?? `${role}-${++n}`, role });
      if (p.status !== 201) throw new Error(`principal: ${p.status} ${JSON.stringify(p.body)}`);
      const k = await call(adminKey, 'POST', '/v1/keys', { principalId: p.body.id });
      if (k.status !== 201) throw new Error(`key: ${k.status} ${JSON.stringify(k.body)}`);
      return k.body.apiKey as string;
    },
    async close() {
      await service.close(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
