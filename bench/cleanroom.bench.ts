/**
 * The clean room under load (issue 15), the room a separate `veil cleanroom serve` process on loopback:
 * 1. `load`: two parties upload Adult's columns (20,000 rows each by default, 90% common ids); while the room
 *    fits (AIM in its worker thread), `--clients` concurrent clients (default 50) each send signed
 *    GET /details and GET /model_status back to back; latency percentiles, errors, and the stage seen.
 * 2. `upload`: two parties upload `--rows` rows each (default 10^6; synthetic columns of the same shape), one
 *    after the other: seconds per upload (client sealing + transfer + the room's decryption, parsing and checks),
 *    and the room process's peak resident memory (VmHWM) after both; then the join and fit (MST) time.
 *
 * npm run bench -- cleanroom [--clients 50] [--rows 1000000] [--load-rows 5000] [--skip-upload]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { CleanroomClient, codePcr } from '../src/cleanroom/index.js';
import { seededRng } from '../src/core/index.js';
import { signRequest } from '../src/transport/index.js';
import { machine } from './harness.js';

const VEIL = resolve(import.meta.dirname, '../bin/veil');
const ADULT = resolve(import.meta.dirname, '../../shared/datasets/adult/adult.csv');

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    rows: { type: 'string', default: '1000000' },
    'load-rows': { type: 'string', default: '20000' },
    'skip-upload': { type: 'boolean', default: false },
  },
});

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

interface Party {
  name: string;
  priv: string;
  pub: string;
  columns: Record<string, unknown>;
}

function party(name: string, columns: Record<string, unknown>): Party {
  const k = generateKeyPairSync('ed25519');
  return {
    name,
    priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    columns,
  };
}

async function startRoomProcess(
  dir: string,
  parties: Party[],
  synth: Record<string, unknown>,
): Promise<{ url: string; child: ChildProcess; config: Buffer; rootPem: string }> {
  const yaml = toYaml({
    version: 1,
    room: 'bench',
    parties: parties.map((p) => ({
      name: p.name,
      role: 'data_provider',
      publicKey: p.pub,
      columns: p.columns,
    })),
    budget: { epsilon: 2, delta: 1e-6 },
    synth,
    uploads: { maxBytes: 256 * 1024 * 1024, allowReplacement: false },
  });
  writeFileSync(join(dir, 'runtime.yaml'), yaml);
  const child = spawn(
    process.execPath,
    [
      VEIL,
      'cleanroom',
      'serve',
      '--config',
      'runtime.yaml',
      '--listen',
      '127.0.0.1:0',
      '--db',
      'sqlite:room.db',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise<string>((done, fail) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) done(m[1]!);
    });
    child.once('exit', (code) => fail(new Error(`room exited ${code}: ${err.slice(-2000)}`)));
  });
  return {
    url,
    child,
    config: readFileSync(join(dir, 'runtime.yaml')),
    rootPem: readFileSync(join(dir, 'dev-root', 'dev-root.pem'), 'utf8'),
  };
}

function client(url: string, p: Party, config: Buffer, rootPem: string) {
  return new CleanroomClient({
    url,
    party: p.name,
    privateKey: p.priv,
    expectPcrs: { 0: codePcr() },
    expectConfig: config,
    allowSimulatedRoots: [rootPem],
  });
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Part 1: concurrent /details and /model_status while the fit runs. */
async function load(dir: string): Promise<Record<string, unknown>> {
  const n = Number(args['load-rows']);
  const lines = readFileSync(ADULT, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const A = ['age', 'workclass', 'education-num', 'marital-status', 'occupation', 'relationship'];
  const B = ['race', 'sex', 'capital-gain', 'hours-per-week', 'income>50K'];
  const sizes = JSON.parse(readFileSync(resolve(ADULT, '../adult-domain.json'), 'utf8')) as Record<
    string,
    number
  >;
  const overlap = Math.round(0.9 * n);
  const pick = (from: number, cols: string[]) =>
    `id,${cols.join(',')}\n${lines
      .slice(1 + from, 1 + from + n)
      .map((l, i) => {
        const cells = l.split(',');
        return `u${from + i},${cols.map((c) => cells[header.indexOf(c)]).join(',')}`;
      })
      .join('\n')}\n`;
  const parties = [
    party('retailer', Object.fromEntries(A.map((c) => [c, sizes[c]]))),
    party('bank', Object.fromEntries(B.map((c) => [c, sizes[c]]))),
  ];
  const room = await startRoomProcess(dir, parties, { method: 'aim', epsilon: 1, rows: n });
  try {
    const [retailer, bank] = parties.map((p) => client(room.url, p, room.config, room.rootPem));
    await retailer!.upload(Buffer.from(pick(0, A)));
    await bank!.upload(Buffer.from(pick(n - overlap, B)));
    const clients = Number(args.clients);
    const latencies: number[] = [];
    const stages = new Map<string, number>();
    let errors = 0;
    let running = true;
    const started = performance.now();
    const loop = async (i: number) => {
      const p = parties[i % 2]!;
      for (let k = 0; running; k++) {
        const path = k % 2 === 0 ? '/details' : '/model_status';
        const headers = signRequest({ method: 'GET', path, party: p.name, privateKey: p.priv });
        const t = performance.now();
        try {
          const res = await fetch(`${room.url}${path}`, { headers });
          const body = (await res.json()) as { stage?: string };
          latencies.push(performance.now() - t);
          if (!res.ok) errors++;
          if (body.stage) {
            stages.set(body.stage, (stages.get(body.stage) ?? 0) + 1);
            if (body.stage === 'ready' || body.stage === 'failed') running = false;
          }
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      clients,
      rowsPerParty: n,
      joinedRows: overlap,
      method: 'aim',
      fitSeconds: round(seconds),
      requests: latencies.length + errors,
      errors,
      requestsPerSecond: round(latencies.length / seconds),
      latencyMs: {
        p50: round(pct(latencies, 50)),
        p95: round(pct(latencies, 95)),
        p99: round(pct(latencies, 99)),
        max: round(latencies[latencies.length - 1]!),
      },
      stagesSeen: Object.fromEntries(stages),
    };
  } finally {
    room.child.kill('SIGTERM');
  }
}

/** Part 2: 10^6-row uploads per party. */
async function upload(dir: string): Promise<Record<string, unknown>> {
  const n = Number(args.rows);
  const rng = seededRng(5);
  const overlap = Math.round(0.9 * n);
  const ages = Array.from({ length: n * 2 }, () => 18 + rng.uniformInt(70));
  const csv = (from: number, head: string, row: (i: number) => string) => {
    const out = [head];
    for (let i = from; i < from + n; i++) out.push(`customer-${i.toString(16).padStart(8, '0')},${row(i)}`);
    return Buffer.from(`${out.join('\n')}\n`);
  };
  const parties = [
    party('retailer', {
      age: { type: 'numeric', min: 18, max: 90, bins: 8, integer: true },
      region: { type: 'categorical', values: ['north', 'south', 'east', 'west'] },
      segment: 12,
    }),
    party('bank', {
      income: { type: 'numeric', min: 0, max: 200000, bins: 10, integer: true },
      products: 6,
      risk: { type: 'categorical', values: ['low', 'medium', 'high'] },
    }),
  ];
  const files = [
    csv(
      0,
      'id,age,region,segment',
      (i) => `${ages[i]},${['north', 'south', 'east', 'west'][i % 4]},${i % 12}`,
    ),
    csv(
      n - overlap,
      'id,income,products,risk',
      (i) => `${(ages[i]! - 18) * 2000 + (i % 1000) * 50},${i % 6},${['low', 'medium', 'high'][i % 3]}`,
    ),
  ];
  const room = await startRoomProcess(dir, parties, { method: 'mst', epsilon: 1, rows: 10000 });
  try {
    const out: Record<string, unknown> = { rowsPerParty: n, joinedRows: overlap };
    for (let p = 0; p < 2; p++) {
      const c = client(room.url, parties[p]!, room.config, room.rootPem);
      const t = performance.now();
      const confirmation = await c.upload(files[p]!);
      out[`${parties[p]!.name}UploadSeconds`] = round((performance.now() - t) / 1000, 2);
      out[`${parties[p]!.name}MiB`] = round(files[p]!.length / 2 ** 20);
      if (confirmation.rows !== n) throw new Error(`confirmed ${confirmation.rows} rows`);
    }
    out['peakRssAfterUploadsMiB'] = round(peakRss(room.child.pid!));
    const t = performance.now();
    const status = await client(room.url, parties[0]!, room.config, room.rootPem).waitReady({
      timeoutMs: 1_800_000,
      intervalMs: 250,
    });
    out['joinAndFitSeconds'] = round((performance.now() - t) / 1000, 1);
    out['fitStage'] = status.stage;
    out['peakRssMiB'] = round(peakRss(room.child.pid!));
    return out;
  } finally {
    room.child.kill('SIGTERM');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'veil-bench-cleanroom-'));
try {
  const loadDir = join(dir, 'load');
  const uploadDir = join(dir, 'upload');
  for (const d of [loadDir, uploadDir]) mkdirSync(d);
  const result: Record<string, unknown> = {
    bench: 'cleanroom',
    machine: machine(),
    date: new Date().toISOString(),
  };
  result['load'] = await load(loadDir);
  if (!args['skip-upload']) result['upload'] = await upload(uploadDir);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
