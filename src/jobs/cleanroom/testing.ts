/**
 * Test support of the clean room's jobs (left out of the package): two parties' keys and CSVs with a
 * cross-party relationship, their runtime.yaml, a room started in-process on loopback with a real SQLite ledger,
 * and signed raw requests (to replay one, or to send what the client would refuse to).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { CleanroomClient, codePcr } from '../../cleanroom/index.js';
import type { Rng } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { signRequest } from '../../transport/index.js';
import { sharedLedger } from '../context.js';
import { type RunningRoom, startRoom } from './serve.js';

export const N = 600;
export const key = (type: 'ed25519' | 'rsa') =>
  type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
export const pem = (k: ReturnType<typeof key>) => ({
  priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});

/** Two parties' CSVs over common ids (90% overlap), with a cross-party relationship: income follows education. */
export function partyData(rng: Rng) {
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

export function runtimeYaml(keys: Record<string, string>, overrides: Record<string, unknown> = {}): string {
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

export interface Harness {
  dir: string;
  room: RunningRoom;
  ledger: Ledger;
  logs: string[];
  keys: Record<string, { priv: string; pub: string }>;
  client(party: string, extra?: Record<string, unknown>): CleanroomClient;
  close(): Promise<void>;
}

export async function harness(overrides: Record<string, unknown> = {}): Promise<Harness> {
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
export async function raw(
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

export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message };
}
