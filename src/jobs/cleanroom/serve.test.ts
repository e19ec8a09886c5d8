/**
 * The clean room in one process, over real HTTP on loopback, with a real SQLite ledger: the whole flow (attest,
 * details, formats, upload, confirm, fit, samples, joint statistics), the abuse table of issue 15 (each a stable
 * code, the room's state unchanged afterwards), the client's refusals before sending a byte, and a search of
 * every response body, log line and audit entry for the uploaded identifiers and cells.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { CleanroomClient, codePcr, type RoomRequestError } from '../../cleanroom/index.js';
import { csprng, type Rng, seededRng } from '../../core/index.js';
import { hpkeSeal } from '../../crypto/index.js';
import { Ledger } from '../../ledger/index.js';
import { signRequest } from '../../transport/index.js';
import { sharedLedger } from '../context.js';
import { type RunningRoom, startRoom } from './serve.js';

const N = 600;
const key = (type: 'ed25519' | 'rsa') =>
  type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
const pem = (k: ReturnType<typeof key>) => ({
  priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});

/** Two parties' CSVs over common ids (90% overlap), with a cross-party relationship: income follows education. */
function partyData(rng: Rng) {
  const ids = Array.from(
    { length: Math.round(N * 1.1) },
    (_, i) => `cust-${(i * 7919 + 104729).toString(36)}zq`,
  );
  const edu = ['school', 'college', 'degree'];
  const rowsA: string[] = [];
  const rowsB: string[] = [];
  ids.forEach((id, i) => {
    const e = rng.uniformInt(3);
    const age = 18 + rng.uniformInt(60);
    const rich = rng.uniform() < [0.1, 0.4, 0.8][e]! ? 'high' : 'low';
    const hours = 20 + rng.uniformInt(40);
    if (i < N) rowsA.push(`${id},${age},${edu[e]}`);
    if (i >= ids.length - N) rowsB.push(`${id},${rich},${hours}`);
  });
  return {
    ids,
    retailer: `id,age,education\n${rowsA.join('\n')}\n`,
    bank: `id,income,hours\n${rowsB.join('\n')}\n`,
  };
}

function runtimeYaml(keys: Record<string, string>, overrides: Record<string, unknown> = {}): string {
  return toYaml({
    version: 1,
    room: 'test-room',
    id: 'id',
    parties: [
      {
        name: 'retailer',
        role: 'data_provider',
        publicKey: keys['retailer'],
        columns: {
          age: { type: 'numeric', min: 18, max: 80, bins: 6, integer: true },
          education: { type: 'categorical', values: ['school', 'college', 'degree'] },
        },
      },
      {
        name: 'bank',
        role: 'data_provider',
        publicKey: keys['bank'],
        columns: {
          income: { type: 'categorical', values: ['low', 'high'] },
          hours: { type: 'numeric', min: 0, max: 80, bins: 8, integer: true },
        },
      },
    ],
    budget: { epsilon: 2, delta: 1e-6 },
    synth: { method: 'mst', epsilon: 1, rows: 400 },
    stats: { enabled: true, maxEpsilon: 0.5 },
    ...overrides,
  });
}

interface Harness {
  dir: string;
  room: RunningRoom;
  ledger: Ledger;
  logs: string[];
  keys: Record<string, { priv: string; pub: string }>;
  client(party: string, extra?: Record<string, unknown>): CleanroomClient;
  close(): Promise<void>;
}

async function harness(overrides: Record<string, unknown> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-cleanroom-'));
  const keys = { retailer: pem(key('ed25519')), bank: pem(key('rsa')), stranger: pem(key('ed25519')) };
  writeFileSync(
    join(dir, 'runtime.yaml'),
    runtimeYaml({ retailer: keys.retailer.pub, bank: keys.bank.pub }, overrides),
  );
  const url = `sqlite:${join(dir, 'room.db')}`;
  const ledger = await Ledger.open(url);
  const logs: string[] = [];
  const room = await startRoom(
    { config: join(dir, 'runtime.yaml'), host: '127.0.0.1', port: 0 },
    {
      ledger: sharedLedger(ledger, url),
      principal: 'operator',
      progress: (e) => logs.push(JSON.stringify(e)),
    },
    ledger,
  );
  return {
    dir,
    room,
    ledger,
    logs,
    keys,
    client: (party, extra = {}) =>
      new CleanroomClient({
        url: room.url,
        party,
        privateKey: keys[party as keyof typeof keys].priv,
        expectPcrs: { 0: codePcr() },
        expectConfig: readFileSync(join(dir, 'runtime.yaml')),
        allowSimulatedRoots: [room.rootPem],
        ...extra,
      }),
    async close() {
      await room.close();
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A signed raw request (to replay it, or to send what the client would refuse to). */
async function raw(
  h: Harness,
  party: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: Uint8Array; headers?: Record<string, string>; privateKey?: string } = {},
) {
  const headers = signRequest({
    method,
    path,
    ...(options.body ? { body: options.body } : {}),
    party,
    privateKey: options.privateKey ?? h.keys[party as 'retailer' | 'bank'].priv,
  });
  const send = () =>
    fetch(`${h.room.url}${path}`, {
      method,
      headers: {
        ...headers,
        ...(options.body ? { 'content-type': 'application/octet-stream' } : {}),
        ...options.headers,
      },
      ...(options.body ? { body: options.body } : {}),
    });
  return { send, headers };
}

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message };
}

describe('clean room, full flow', () => {
  let h: Harness;
  const bodies: string[] = [];
  const data = partyData(seededRng(7));
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    h = await harness();
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const res = await realFetch(input, init);
      bodies.push(Buffer.from(await res.clone().arrayBuffer()).toString('latin1'));
      return res;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  it('attests, serves the configuration it measured, uploads, confirms, fits and serves samples and stats', async () => {
    const retailer = h.client('retailer');
    const bank = h.client('bank');
    const attested = await retailer.attest();
    expect(attested.attestation.platform).toBe('simulated');
    expect(attested.attestation.moduleId).toMatch(/^simulated-/);
    expect(attested.attestation.pcrs[0]).toBe(codePcr());
    expect(attested.details.parties.map((p) => p.name)).toEqual(['retailer', 'bank']);
    const formats = await retailer.formats();
    expect((formats['upload'] as { header: string[] }).header).toEqual(['id', 'age', 'education']);

    const up = await retailer.upload(Buffer.from(data.retailer));
    expect(up).toMatchObject({ party: 'retailer', rows: N, schema: 'ok' });
    expect(await retailer.confirm()).toEqual(up);
    expect((await bank.status()).stage).toBe('awaiting_uploads');
    // before both uploads: no samples, no statistics
    await expect(bank.samples()).rejects.toMatchObject({ reason: 'not_ready', status: 409 });
    await expect(bank.stats({ kind: 'count', epsilon: 0.1 })).rejects.toMatchObject({ reason: 'not_ready' });
    // a second upload by the same party is refused, and nothing changed
    await expect(retailer.upload(Buffer.from(data.retailer))).rejects.toMatchObject({
      reason: 'already_uploaded',
      status: 409,
    });
    expect(await retailer.confirm()).toEqual(up);

    await bank.upload(Buffer.from(data.bank));
    const done = await bank.waitReady({ timeoutMs: 60_000, intervalMs: 50 });
    expect(done.stage).toBe('ready');
    const csv = await bank.samples();
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('age,education,income,hours');
    expect(lines).toHaveLength(401);
    // the cross-party relationship survives: degree holders are richer than school leavers in the samples
    const rate = (e: string) => {
      const rows = lines.slice(1).filter((l) => l.split(',')[1] === e);
      return rows.filter((l) => l.split(',')[2] === 'high').length / rows.length;
    };
    expect(rate('degree')).toBeGreaterThan(rate('school') + 0.2);

    const count = await retailer.stats({ kind: 'count', epsilon: 0.5 });
    expect(Math.abs((count.value as number) - Math.round(N * 0.9))).toBeLessThan(60);
    const hist = await bank.stats({ kind: 'histogram', column: 'education', epsilon: 0.3 });
    expect(hist.bins).toEqual(['school', 'college', 'degree']);
    const sum = await bank.stats({ kind: 'sum', column: 'hours', epsilon: 0.3 });
    expect(typeof sum.value).toBe('number');
    const details = (await bank.details()).details;
    expect(details.budget['epsilonSpent']).toBeGreaterThan(1);
    expect(details.budget['epsilonSpent']).toBeLessThanOrEqual(2);
    // the budget is never overspent: a statistic beyond it is refused by the ledger
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      try {
        await bank.stats({ kind: 'count', epsilon: 0.5 });
      } catch (err) {
        expect((err as RoomRequestError).reason).toBe('budget_exceeded');
        refused = true;
      }
    }
    expect(refused).toBe(true);
    const after = (await bank.details()).details.budget;
    expect(after['epsilonSpent']).toBeLessThanOrEqual(2);

    const verification = await h.ledger.verifyAudit();
    expect(verification.ok).toBe(true);
    const entries = await h.ledger.auditEntries();
    const principals = new Set(entries.map((e) => e.detail['principal']).filter(Boolean));
    expect(principals).toContain('retailer');
    expect(principals).toContain('bank');
    expect(entries.some((e) => e.action === 'cleanroom.upload' && e.outcome === 'refused')).toBe(true);
  });

  it('no response body, log line or audit entry carries an uploaded identifier', async () => {
    const entries = await h.ledger.auditEntries();
    const haystack = [...bodies, ...h.logs, ...entries.map((e) => JSON.stringify(e))];
    expect(bodies.length).toBeGreaterThan(15);
    expect(h.logs.length).toBeGreaterThan(15);
    for (const id of data.ids) for (const text of haystack) expect(text.includes(id)).toBe(false);
  });
});

describe('clean room, abuse: a clear error with a stable code, the state unchanged', () => {
  let h: Harness;
  const data = partyData(seededRng(8));
  beforeAll(async () => {
    h = await harness({ uploads: { maxBytes: 32 * 1024, allowReplacement: false } });
  });
  afterAll(async () => h.close());

  const unchanged = async () => {
    const s = await h.client('bank').status();
    expect(s.stage).toBe('awaiting_uploads');
    expect(s.parties.every((p) => !p.uploaded)).toBe(true);
  };

  it('an unknown key', async () => {
    const r = await raw(h, 'stranger', 'GET', '/details', { privateKey: h.keys.stranger.priv });
    expect(await errorOf(await r.send())).toMatchObject({ status: 401, code: 'unknown_party' });
    // a known name with another key
    const forged = await raw(h, 'bank', 'GET', '/details', { privateKey: h.keys.stranger.priv });
    expect(await errorOf(await forged.send())).toMatchObject({ status: 401, code: 'bad_signature' });
    await unchanged();
  });

  it('a replayed signed request', async () => {
    const r = await raw(h, 'bank', 'GET', '/model_status');
    expect((await r.send()).status).toBe(200);
    expect(await errorOf(await r.send())).toMatchObject({ status: 409, code: 'replayed_request' });
    await unchanged();
  });

  it('a CSV that breaks the schema, naming places and never values', async () => {
    const retailer = h.client('retailer');
    const badCell = data.retailer.replace(/,college\n/, ',PhD-secret-value\n');
    const e1 = retailer.upload(Buffer.from(badCell));
    await expect(e1).rejects.toMatchObject({ reason: 'schema_mismatch', status: 400 });
    await e1.catch((err: Error) => expect(err.message).not.toContain('PhD-secret-value'));
    const extra = data.retailer.replace('id,age,education', 'id,age,postcode').replace(/\n/g, '\n');
    await expect(retailer.upload(Buffer.from(extra))).rejects.toMatchObject({ reason: 'schema_mismatch' });
    const first = data.retailer.split('\n')[1]!;
    const dup = data.retailer.replace(/\n$/, `\n${first}\n`);
    const e3 = retailer.upload(Buffer.from(dup));
    await expect(e3).rejects.toMatchObject({ reason: 'duplicate_ids' });
    await e3.catch((err: Error) => expect(err.message).not.toContain(first.split(',')[0]!));
    await unchanged();
  });

  it('an oversized body', async () => {
    const big = new Uint8Array(64 * 1024);
    const r = await raw(h, 'retailer', 'POST', '/upload_data', {
      body: big,
      headers: { 'x-veil-attestation-nonce': 'ab'.repeat(32) },
    });
    expect(await errorOf(await r.send())).toMatchObject({ status: 413, code: 'body_too_large' });
    await unchanged();
  });

  it('a stale nonce: an upload sealed for an attestation the room never issued', async () => {
    const { attestation } = await h.client('retailer').attest();
    const nonce = Buffer.alloc(32);
    csprng().fillBytes(nonce);
    const sealed = await hpkeSeal(Buffer.from(attestation.publicKey!, 'hex'), Buffer.from(data.retailer), {
      info: new TextEncoder().encode(
        `veil-cleanroom-upload-v1\ntest-room\nretailer\n${nonce.toString('hex')}`,
      ),
    });
    const r = await raw(h, 'retailer', 'POST', '/upload_data', {
      body: sealed,
      headers: { 'x-veil-attestation-nonce': nonce.toString('hex') },
    });
    expect(await errorOf(await r.send())).toMatchObject({ status: 409, code: 'stale_nonce' });
    await unchanged();
  });

  it('samples and statistics before both uploads', async () => {
    const r = await raw(h, 'bank', 'GET', '/samples');
    expect(await errorOf(await r.send())).toMatchObject({ status: 409, code: 'not_ready' });
    const s = await raw(h, 'bank', 'POST', '/stats?kind=count&epsilon=0.1');
    expect(await errorOf(await s.send())).toMatchObject({ status: 409, code: 'not_ready' });
    const c = await raw(h, 'bank', 'GET', '/confirm_data');
    expect(await errorOf(await c.send())).toMatchObject({ status: 409, code: 'not_uploaded' });
    await unchanged();
  });

  it('the client refuses a room whose code, configuration or platform it did not agree to, before sending', async () => {
    const wrongCode = h.client('retailer', { expectPcrs: { 0: 'ab'.repeat(48) } });
    await expect(wrongCode.upload(Buffer.from(data.retailer))).rejects.toMatchObject({
      details: { check: 'pcr' },
    });
    const otherConfig = h.client('retailer', { expectConfig: Buffer.from('version: 1\n') });
    await expect(otherConfig.upload(Buffer.from(data.retailer))).rejects.toMatchObject({
      details: { check: 'pcr' },
    });
    const noSimulated = h.client('retailer', { allowSimulatedRoots: undefined });
    await expect(noSimulated.attest()).rejects.toMatchObject({ details: { check: 'root' } });
    const tooDear = h.client('retailer', { maxEpsilon: 1 });
    await expect(tooDear.attest()).rejects.toMatchObject({ details: { check: 'config' } });
    await unchanged();
  });
});

describe('clean room, races and stalls', () => {
  it('two last uploads at once start one fit and charge it once', async () => {
    const h = await harness();
    try {
      const data = partyData(seededRng(9));
      const [a, b] = await Promise.all([
        h.room.room.upload('retailer', Buffer.from(data.retailer)),
        h.room.room.upload('bank', Buffer.from(data.bank)),
      ]);
      expect([a.rows, b.rows]).toEqual([N, N]);
      await h.room.room.settled();
      expect(h.room.room.status().stage).toBe('ready');
      const spends = await h.ledger.spends('cleanroom-test-room');
      expect(spends).toHaveLength(1);
      const jobs = (await h.ledger.auditEntries()).filter((e) => e.action.startsWith('job.'));
      expect(jobs).toHaveLength(1);
      // the same party twice at once: one accepted, one refused
      const h2 = await harness();
      try {
        const both = await Promise.allSettled([
          h2.room.room.upload('retailer', Buffer.from(data.retailer)),
          h2.room.room.upload('retailer', Buffer.from(data.retailer)),
        ]);
        expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = both.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(['already_uploaded', 'upload_in_progress']).toContain(
          (refused.reason as { code: string }).code,
        );
      } finally {
        await h2.close();
      }
    } finally {
      await h.close();
    }
  });

  it('a room that accepts the connection and never answers: the client gives up with timeout', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const client = new CleanroomClient({
        url: `http://127.0.0.1:${port}`,
        party: 'bank',
        privateKey: pem(key('ed25519')).priv,
        timeoutMs: 300,
      });
      await expect(client.attest()).rejects.toMatchObject({ reason: 'timeout', status: 0 });
      await expect(client.status()).rejects.toMatchObject({ reason: 'timeout' });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('clean room, restart after a crash', () => {
  it('a fit charged by a run that died mid-fit is recorded as failed at the next start, once', async () => {
    const h = await harness();
    const url = `sqlite:${join(h.dir, 'room.db')}`;
    try {
      // what a room killed during its fit leaves: the fit's spend, and no job record
      const spend = await h.ledger.spend(
        'cleanroom-test-room',
        [{ kind: 'zcdp', rho: 0.01, mechanism: 'mst' }],
        {
          purpose: 'clean room test-room: synthetic data',
        },
      );
      await h.room.close();
      const logs: string[] = [];
      const again = await startRoom(
        { config: join(h.dir, 'runtime.yaml'), host: '127.0.0.1', port: 0 },
        {
          ledger: sharedLedger(h.ledger, url),
          principal: 'operator',
          progress: (e) => logs.push(JSON.stringify(e)),
        },
        h.ledger,
      );
      await again.close();
      const failed = (await h.ledger.auditEntries()).filter((e) => e.action === 'job.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.detail['spendIds']).toEqual([spend.id]);
      expect(logs.join('\n')).toContain(`spend ${spend.id}`);
      const third = await startRoom(
        { config: join(h.dir, 'runtime.yaml'), host: '127.0.0.1', port: 0 },
        { ledger: sharedLedger(h.ledger, url), principal: 'operator', progress: () => {} },
        h.ledger,
      );
      await third.close();
      expect((await h.ledger.auditEntries()).filter((e) => e.action === 'job.failed')).toHaveLength(1);
      expect((await h.ledger.verifyAudit()).ok).toBe(true);
    } finally {
      await h.ledger.close();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });
});
