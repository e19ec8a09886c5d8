/**
 * `npm run -s bench -- service api [--rates 250,500,1000,1500,2000] [--seconds 15] [--db sqlite[,postgres]]
 *                                   [--runs 1] [--refine 2] [--per-path-rate R] [--profile-seconds 10] …`
 *
 * Authenticated API reads at scale (issue 16, item 7): "1,000 requests/s of authenticated reads with p99 under
 * 50 ms on this machine, or the measured ceiling and where the time goes".
 *
 * Set-up, as an operator would: `veil admin init --org bench` on a fresh database, then a real `veil serve
 * --listen 127.0.0.1:0 --rate-limit 10000000` child process (its URL read from its stderr, which goes to a file;
 * the rate limiter still runs on every request, its limit is only out of reach), then through the API with the
 * administrator's key: K analyst principals (`POST /v1/principals`) with a key each (`POST /v1/keys`), budget
 * accounts `bench`, `bench/team-a`, `bench/team-b`, `bench/team-c` (`POST /v1/accounts`) and 10 spends on
 * `bench/team-a` (`POST /v1/spends`).
 *
 * Load: a separate generator process (bench/service/load-gen.ts: open loop, latency counted from each request's
 * due time, keep-alive connections) sends the analysts' GETs in turn over `/v1/me` (authentication only: the key
 * lookup, one query), `/v1/accounts/bench/team-a` (the key lookup and five ledger queries: the account, its event
 * totals, the naive sum over its subtree's spends, its subtree spend count, and all its spends) and `/v1/jobs`
 * (the key lookup and one query; an empty list) at each fixed rate for `--seconds`, after an untimed warm-up.
 * Each step also reports the server process's CPU time per request (user + system, from /proc: less disturbed by
 * the machine's other processes than latency is) and the generator's.
 *
 * A rate passes when every request got a 2xx and p99 < 50 ms; the ceiling is the highest passing rate, refined by
 * bisection between it and the next failing rate (`--refine` steps). `--runs N` repeats the sweep on the same
 * server (median and spread of the ceilings). Then each path alone at `--per-path-rate` (default: the ceiling);
 * finally the server is restarted under `node --cpu-prof` and driven at the ceiling for `--profile-seconds`: the
 * profile's self time, by area and by function, over the measured load only, says where the time goes
 * (bench/service/load-profile.ts).
 *
 * The generator, the server and everything else on the machine share its cores: quote `cores` and the load
 * averages in the JSON with the numbers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../../src/ledger/store/testing.js';
import { machine } from '../harness.js';
import type { LoadResult } from './load-gen.js';
import { BIN, load, type Server, shell, startServe } from './load-procs.js';
import { type ProfileSummary, summariseProfile } from './load-profile.js';

const P99_TARGET_MS = 50;
const PATHS = ['/v1/me', '/v1/accounts/bench/team-a', '/v1/jobs'] as const;
const log = (s: string) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------- options

interface Options {
  readonly rates: readonly number[];
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly db: readonly ('sqlite' | 'postgres')[];
  readonly runs: number;
  readonly refine: number;
  readonly keys: number;
  readonly sockets: number;
  /** null: the measured ceiling. */
  readonly perPathRate: number | null;
  readonly profileSeconds: number;
  readonly profileRate: number | null;
}

const USAGE =
  'usage: npm run -s bench -- service api [--rates R1,R2,… (250,500,1000,1500,2000)] [--seconds S (15)] ' +
  '[--warmup-seconds S (5)] [--db sqlite|postgres|sqlite,postgres (sqlite)] [--runs N (1)] [--refine K (2)] ' +
  '[--keys K (4)] [--sockets N (128)] [--per-path-rate R (the ceiling; 0 skips)] [--profile-seconds S (10; 0 skips)] ' +
  '[--profile-rate R (the ceiling)]';

function parseOptions(args: readonly string[]): Options {
  const known = [
    '--rates',
    '--seconds',
    '--warmup-seconds',
    '--db',
    '--runs',
    '--refine',
    '--keys',
    '--sockets',
    '--per-path-rate',
    '--profile-seconds',
    '--profile-rate',
  ];
  for (let i = 0; i < args.length; i += 2)
    if (!known.includes(args[i]!) || args[i + 1] === undefined)
      throw new Error(`service api: unknown or incomplete flag '${args[i]}'`);
  const text = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  const int = (name: string, fallback: string, min: number) => {
    const v = Number(text(name, fallback));
    if (!Number.isInteger(v) || v < min) throw new Error(`service api: ${name} expects an integer >= ${min}`);
    return v;
  };
  const rates = text('--rates', '250,500,1000,1500,2000').split(',').map(Number);
  if (rates.length === 0 || !rates.every((r) => Number.isInteger(r) && r > 0))
    throw new Error('service api: --rates expects positive integers, e.g. 250,500,1000');
  const db = text('--db', 'sqlite').split(',');
  if (!db.every((d) => d === 'sqlite' || d === 'postgres'))
    throw new Error('service api: --db expects sqlite, postgres or both (sqlite,postgres)');
  const profileRate = text('--profile-rate', '');
  return {
    rates: [...rates].sort((a, b) => a - b),
    seconds: int('--seconds', '15', 1),
    warmupSeconds: int('--warmup-seconds', '5', 0),
    db: db as ('sqlite' | 'postgres')[],
    runs: int('--runs', '1', 1),
    refine: int('--refine', '2', 0),
    keys: int('--keys', '4', 1),
    sockets: int('--sockets', '128', 1),
    perPathRate: text('--per-path-rate', '') === '' ? null : int('--per-path-rate', '', 0),
    profileSeconds: int('--profile-seconds', '10', 0),
    profileRate: profileRate === '' ? null : int('--profile-rate', '', 1),
  };
}

async function api(url: string, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Analysts with a key each, the accounts and the spends, through the API as the administrator. */
async function populate(url: string, adminKey: string, keys: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < keys; i++) {
    const p = await api(url, adminKey, 'POST', '/v1/principals', { name: `analyst-${i}`, role: 'analyst' });
    const k = await api(url, adminKey, 'POST', '/v1/keys', { principalId: p['id'], label: `bench ${i}` });
    out.push(k['apiKey'] as string);
  }
  await api(url, adminKey, 'POST', '/v1/accounts', { account: 'bench', epsilon: 100, delta: 1e-3 });
  for (const team of ['team-a', 'team-b', 'team-c'])
    await api(url, adminKey, 'POST', '/v1/accounts', { account: `bench/${team}`, epsilon: 10, delta: 1e-5 });
  for (let i = 0; i < 10; i++)
    await api(url, adminKey, 'POST', '/v1/spends', {
      account: 'bench/team-a',
      release: { kind: 'epsilon-delta', epsilon: 0.05, delta: 0 },
      purpose: `bench spend ${i}`,
    });
  return out;
}

// ---------------------------------------------------------------------------------------------- the sweep

/** One rate's figures, as reported. */
interface Step {
  readonly offered: number;
  readonly achieved: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly p99FromSend: number;
  readonly sendLagP99: number;
  readonly byPathP99: Record<string, number>;
  /** The server process's CPU time (user + system) per request sent, milliseconds. */
  readonly serverCpuMsPerRequest: number;
  readonly generatorCpuMsPerRequest: number;
  readonly passes: boolean;
}

function step(r: LoadResult, cpuSeconds: number): Step {
  return {
    offered: r.offeredRate,
    achieved: r.achievedRate,
    ok: r.ok,
    errors: r.errors,
    errorKinds: r.errorKinds,
    p50: r.latencyMs.p50,
    p90: r.latencyMs.p90,
    p99: r.latencyMs.p99,
    max: r.latencyMs.max,
    p99FromSend: r.fromSendMs.p99,
    sendLagP99: r.sendLagMs.p99,
    byPathP99: Object.fromEntries(Object.entries(r.byPath).map(([p, s]) => [p, s.p99])),
    serverCpuMsPerRequest: Math.round((1e6 * cpuSeconds) / r.sent) / 1000,
    generatorCpuMsPerRequest: r.generatorCpuMsPerRequest,
    passes: r.errors === 0 && r.latencyMs.p99 < P99_TARGET_MS,
  };
}

interface Ctx {
  readonly url: string;
  readonly server: Server;
  readonly keys: readonly string[];
  readonly o: Options;
}

async function atRate(
  c: Ctx,
  rate: number,
  paths: readonly string[],
  seconds: number,
): Promise<{ step: Step; monotonicUs: LoadResult['monotonicUs'] }> {
  const cpu0 = c.server.cpuSeconds();
  const r = await load({
    url: c.url,
    keys: c.keys,
    paths,
    rate,
    durationSeconds: seconds,
    maxSockets: c.o.sockets,
    timeoutMs: 10_000,
  });
  const s = step(r, c.server.cpuSeconds() - cpu0);
  log(
    `  ${paths.length === 1 ? `${paths[0]} ` : ''}${rate} req/s: achieved ${s.achieved}, p50 ${s.p50} p99 ${s.p99} ` +
      `max ${s.max} ms, errors ${s.errors}, server CPU ${s.serverCpuMsPerRequest} ms/request ${s.passes ? 'PASS' : 'fail'}`,
  );
  return { step: s, monotonicUs: r.monotonicUs };
}

/** Sweeps the rates (stopping after a failure far past the target), then bisects towards the ceiling. */
async function sweep(
  c: Ctx,
): Promise<{ steps: Step[]; ceiling: number | null; firstFailing: number | null }> {
  const steps: Step[] = [];
  for (const rate of c.o.rates) {
    const { step: s } = await atRate(c, rate, PATHS, c.o.seconds);
    steps.push(s);
    if (!s.passes && (s.errors > 0 || s.p99 > 10 * P99_TARGET_MS)) break;
  }
  const bounds = () => {
    const passing = steps.filter((s) => s.passes).map((s) => s.offered);
    const ceiling = passing.length ? Math.max(...passing) : null;
    const failing = steps.filter((s) => !s.passes && s.offered > (ceiling ?? 0)).map((s) => s.offered);
    return { ceiling, firstFailing: failing.length ? Math.min(...failing) : null };
  };
  for (let k = 0; k < c.o.refine; k++) {
    const { ceiling, firstFailing } = bounds();
    if (firstFailing === null) break;
    const mid = Math.round(((ceiling ?? 0) + firstFailing) / 2 / 25) * 25;
    if (mid <= (ceiling ?? 0) || mid >= firstFailing) break;
    steps.push((await atRate(c, mid, PATHS, c.o.seconds)).step);
  }
  steps.sort((a, b) => a.offered - b.offered);
  return { steps, ...bounds() };
}

// ---------------------------------------------------------------------------------------------- one database

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(dialect: 'sqlite' | 'postgres', o: Options): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-api-'));
  const pg = dialect === 'postgres' ? await createTestDatabase('postgres') : null;
  const db = pg ? pg.url : `sqlite:${join(dir, 'veil.db')}`;
  try {
    log(`service api on ${dialect}: admin init, serve, populate`);
    const init = JSON.parse(
      execFileSync(process.execPath, [BIN, 'admin', 'init', '--org', 'bench', '--db', db, '--json'], {
        cwd: dir,
        encoding: 'utf8',
      }),
    ) as { apiKey: string };
    let server = await startServe(db, dir, null);
    const keys = await populate(server.url, init.apiKey, o.keys);
    const c: Ctx = { url: server.url, server, keys, o };
    const runs: Awaited<ReturnType<typeof sweep>>[] = [];
    const perPath: Record<string, Step> = {};
    let perPathRate = 0;
    try {
      if (o.warmupSeconds > 0) {
        log(`  warm-up: ${o.warmupSeconds} s at 200 req/s (not reported)`);
        await atRate(c, 200, PATHS, o.warmupSeconds);
      }
      for (let run = 1; run <= o.runs; run++) {
        log(`  sweep ${run}/${o.runs}: ${o.rates.join(', ')} req/s, ${o.seconds} s each`);
        runs.push(await sweep(c));
      }
      const ceiling = median(runs.map((r) => r.ceiling ?? 0));
      perPathRate = o.perPathRate ?? (ceiling > 0 ? ceiling : 50);
      if (perPathRate > 0) {
        log(`  each path alone at ${perPathRate} req/s`);
        for (const p of PATHS) perPath[p] = (await atRate(c, perPathRate, [p], o.seconds)).step;
      }
    } finally {
      await server.stop();
    }
    const ceilings = runs.map((r) => r.ceiling ?? 0);
    const ceiling = median(ceilings);
    let profile: { rate: number; underProfiler: Step; summary: ProfileSummary } | null = null;
    if (o.profileSeconds > 0) {
      const lowest = Math.min(...runs.flatMap((r) => r.steps.map((x) => x.offered)));
      const rate = o.profileRate ?? (ceiling > 0 ? ceiling : lowest);
      const profileDir = join(dir, 'profile');
      log(`  profile: veil serve under --cpu-prof, ${o.profileSeconds} s at ${rate} req/s`);
      server = await startServe(db, dir, profileDir);
      let window: { fromUs: number; toUs: number } | undefined;
      let under: Step;
      try {
        const pc = { ...c, url: server.url, server };
        await atRate(pc, 200, PATHS, 3);
        const r = await atRate(pc, rate, PATHS, o.profileSeconds);
        under = r.step;
        window = { fromUs: r.monotonicUs.from, toUs: r.monotonicUs.to };
      } finally {
        await server.stop();
      }
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file)
        profile = { rate, underProfiler: under, summary: summariseProfile(join(profileDir, file), window) };
      else log('  profile: no .cpuprofile written');
    }
    return {
      db: dialect,
      rateLimiter:
        'on, limit 10,000,000 per minute per credential (the default, 1,200/min, would 429 at 20 req/s per key)',
      analystKeys: keys.length,
      paths: PATHS,
      runs,
      ceilingReqPerS: {
        median: ceiling,
        all: ceilings,
        spread: Math.min(...ceilings) > 0 ? Math.max(...ceilings) / Math.min(...ceilings) : null,
      },
      target: { rate: 1000, p99Ms: P99_TARGET_MS, met: ceiling >= 1000 },
      perPathAt: perPathRate > 0 ? { rate: perPathRate, steps: perPath } : null,
      profile,
    };
  } finally {
    await pg?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- the part

function commit(): string {
  const head = shell('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = shell('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench']);
  return dirty && dirty !== 'unavailable' ? `${head} (src/ or bench/ modified)` : head;
}

const host = () => ({
  nproc: shell('nproc', []),
  freeG: shell('free', ['-g']),
  uptime: shell('uptime', []),
  loadAverage1m5m15m: loadavg().map((x) => Math.round(x * 100) / 100),
});

/** The `api` part of `npm run bench -- service`: prints one JSON object on stdout. */
export async function apiScale(args: readonly string[]): Promise<void> {
  let o: Options;
  try {
    if (args.includes('--help')) throw new Error('service api: flags');
    o = parseOptions(args);
  } catch (err) {
    log(`${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const before = host();
  const results: Record<string, unknown>[] = [];
  for (const d of o.db) {
    if (d === 'postgres' && !process.env['VEIL_TEST_POSTGRES_URL']) {
      log('service api: postgres skipped (VEIL_TEST_POSTGRES_URL unset: source .ci/setup-postgres.sh)');
      results.push({ db: d, skipped: 'VEIL_TEST_POSTGRES_URL unset (source .ci/setup-postgres.sh)' });
      continue;
    }
    results.push(await measure(d, o));
  }
  const out = {
    bench: 'service',
    part: 'api',
    machine: machine(),
    commit: commit(),
    host: { before, after: host() },
    options: o,
    results,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}
