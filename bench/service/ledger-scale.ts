/**
 * `npm run -s bench -- service ledger [--spends N] [--timed T|all] [--accounts OxDxP] [--db sqlite|postgres]
 *                                      [--status-every K] [--seed S]`
 *
 * The ledger at service scale (issue 16, item 7): O organisations, D departments in each, P projects in each
 * department (default 10x10x10: 10 + 100 + 1,000 = 1,110 accounts, every one RDP), and N spends (default 100,000)
 * of one privacy event each, on projects (the leaves) drawn uniformly with a seeded RNG. The events are what the
 * accounting module's helpers build: 60% DP-SGD runs (`dpSgdEvent`: Poisson-sampled Gaussian steps; 4 sampling
 * rates x 4 noise multipliers x 6 step counts) and 40% Gaussians (`gaussianEvent`: 5 sigmas x 2 sensitivities).
 * Limits are large enough for every spend to be granted (organisation epsilon 1e7, delta 1e-3; department 1e6,
 * 1e-4; project 1e5, 1e-5); the JSON reports how much of each level's limit the run used.
 *
 * A spend through `Ledger.spend` costs ~8 ms on SQLite and ~13 ms on PostgreSQL (medians) on the shared 2-core
 * machine this was written on, more under load: 10^5 API spends with their status queries took 21 minutes on SQLite
 * (`--timed all`, 2026-12-07), too long for a routine run. By default the first N - T spends
 * (T = `--timed`, default 5,000) are therefore **seeded**: the accounts and those spends are inserted straight into
 * the tables, as `Ledger.spend` stores them, and the testing entry's `rebuildTotals` derives the running totals;
 * the first API spend then bootstraps the budget-state digests from those tables (timed apart, not in the
 * percentiles). The seeded spends have no audit entries (`veil audit verify` would report them). The last T
 * spends go through `Ledger.spend` one after another in this process, and are timed. With `--timed all` nothing
 * is seeded: the accounts are created with `Ledger.createAccount` (timed too) and all N spends go through the API.
 *
 * Timed, each call on its own (p50 / p90 / p99 / max / mean, milliseconds):
 * - every API spend (the check of the project, its department and its organisation, the insert, the totals, the
 *   signed audit entry, the commit);
 * - `Ledger.status` interleaved with the spends: after every K spends (default 10), one random project, one
 *   random department and one random organisation, as a service answers them. The ledger memoises composed
 *   answers in the process by history, and a spend's check composes the new history of its project and of each
 *   ancestor, so in this one process these queries find their answer memoised: they time the reads (limits,
 *   totals, spend count) and the memo lookup, not the composition;
 * - the final sweep, after the last spend, of every account twice: first with the memo emptied before each query
 *   (the testing entry's `clearCompositionMemo`: RDP composition of the subtree's history paid, as when another
 *   process, e.g. a worker, made the last spend), then again (memoised).
 *
 * Checked at the end (`checks`, and the process fails if one does not hold): every account's `status().spends`
 * equals the spends made in its subtree; `Ledger.spends(org)` lists exactly the organisation's spends, all granted;
 * the organisations' counts sum to N; no account's spent epsilon exceeds its limit.
 *
 * `--db postgres` uses a fresh database on the server of `VEIL_TEST_POSTGRES_URL` (`source .ci/setup-postgres.sh`),
 * dropped afterwards; `--db sqlite` (default) a file in a temporary directory, deleted afterwards.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { dpSgdEvent, gaussianEvent, type PrivacyEvent, validateEvent } from '../../src/accounting/index.js';
import { type Rng, seededRng } from '../../src/core/index.js';
import { Ledger, openLedgerDatabase } from '../../src/ledger/index.js';
import { clearCompositionMemo, createTestDatabase, rebuildTotals } from '../../src/ledger/store/testing.js';
import { machine } from '../harness.js';

const log = (s: string) => process.stderr.write(`${s}\n`);
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------- options

interface Options {
  readonly spends: number;
  /** Spends through `Ledger.spend`; the rest are seeded. */
  readonly timed: number;
  readonly shape: readonly [number, number, number];
  readonly db: 'sqlite' | 'postgres';
  readonly statusEvery: number;
  readonly seed: number;
}

const USAGE =
  'usage: npm run -s bench -- service ledger [--spends N (100000)] [--timed T|all (5000)] ' +
  '[--accounts OxDxP (10x10x10)] [--db sqlite|postgres] [--status-every K (10)] [--seed S (16)]';

function parseOptions(args: readonly string[]): Options {
  const known = ['--spends', '--timed', '--accounts', '--db', '--status-every', '--seed'];
  for (let i = 0; i < args.length; i += 2) {
    if (!known.includes(args[i]!) || args[i + 1] === undefined) {
      throw new Error(`service ledger: unknown or incomplete flag '${args[i]}' (flags: ${known.join(' ')})`);
    }
  }
  const text = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  const count = (name: string, fallback: string, min: number) => {
    const v = Number(text(name, fallback));
    if (!Number.isInteger(v) || v < min)
      throw new Error(`service ledger: ${name} expects an integer >= ${min}`);
    return v;
  };
  const spends = count('--spends', '100000', 1);
  const timedText = text('--timed', '5000');
  const timed = timedText === 'all' ? spends : Math.min(spends, count('--timed', '5000', 1));
  const shape = text('--accounts', '10x10x10').split('x').map(Number);
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error("service ledger: --accounts expects ORGSxDEPARTMENTSxPROJECTS, e.g. '10x10x10'");
  }
  const db = text('--db', 'sqlite');
  if (db !== 'sqlite' && db !== 'postgres')
    throw new Error('service ledger: --db expects sqlite or postgres');
  return {
    spends,
    timed,
    shape: shape as [number, number, number],
    db,
    statusEvery: count('--status-every', '10', 1),
    seed: count('--seed', '16', 0),
  };
}

// ---------------------------------------------------------------------------------------------- the workload

type Level = 'organisation' | 'department' | 'project';
const LIMITS: Readonly<Record<Level, { epsilon: number; delta: number }>> = {
  organisation: { epsilon: 1e7, delta: 1e-3 },
  department: { epsilon: 1e6, delta: 1e-4 },
  project: { epsilon: 1e5, delta: 1e-5 },
};

interface Hierarchy {
  readonly organisations: readonly string[];
  readonly departments: readonly string[];
  readonly projects: readonly string[];
  readonly rows: readonly { path: string; parent: string | null; level: Level }[];
}

function hierarchy([orgs, depts, projects]: readonly [number, number, number]): Hierarchy {
  const rows: { path: string; parent: string | null; level: Level }[] = [];
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  for (const o of range(orgs)) rows.push({ path: `org${o}`, parent: null, level: 'organisation' });
  for (const o of range(orgs)) {
    for (const d of range(depts))
      rows.push({ path: `org${o}/dept${d}`, parent: `org${o}`, level: 'department' });
  }
  for (const o of range(orgs)) {
    for (const d of range(depts)) {
      for (const p of range(projects)) {
        rows.push({ path: `org${o}/dept${d}/project${p}`, parent: `org${o}/dept${d}`, level: 'project' });
      }
    }
  }
  const at = (level: Level) => rows.filter((r) => r.level === level).map((r) => r.path);
  return { organisations: at('organisation'), departments: at('department'), projects: at('project'), rows };
}

/** The events spends draw from, built by the accounting helpers (configurations recur, as teams reuse them). */
function palette(): { readonly dpSgd: PrivacyEvent[]; readonly gaussian: PrivacyEvent[] } {
  const dpSgd: PrivacyEvent[] = [];
  for (const sampleRate of [256 / 60000, 0.001, 0.01, 512 / 50000]) {
    for (const noiseMultiplier of [0.8, 1.0, 1.1, 1.3]) {
      for (const steps of [200, 500, 1000, 2000, 5000, 10000]) {
        dpSgd.push(dpSgdEvent({ sampleRate, noiseMultiplier, steps }));
      }
    }
  }
  const gaussian: PrivacyEvent[] = [];
  for (const sigma of [1, 2, 5, 10, 20]) {
    for (const l2Sensitivity of [1, 2]) gaussian.push(gaussianEvent({ sigma, l2Sensitivity }));
  }
  return { dpSgd, gaussian };
}

/** The N spends in order: spend i puts `events[event[i]]` on `projects[project[i]]`. */
interface Plan {
  readonly project: Uint32Array;
  readonly event: Uint16Array;
  readonly events: readonly PrivacyEvent[];
}

function plan(n: number, projects: number, rng: Rng): Plan {
  const { dpSgd, gaussian } = palette();
  const events = [...dpSgd, ...gaussian];
  const project = new Uint32Array(n);
  const event = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    project[i] = rng.uniformInt(projects);
    event[i] =
      rng.uniform() < 0.6 ? rng.uniformInt(dpSgd.length) : dpSgd.length + rng.uniformInt(gaussian.length);
  }
  return { project, event, events };
}

// ---------------------------------------------------------------------------------------------- set-up

/** Inserts the accounts and the first `count` spends of the plan into the tables, then rebuilds the totals. */
async function seedTables(url: string, h: Hierarchy, p: Plan, count: number): Promise<number> {
  const t0 = performance.now();
  const texts = p.events.map((e) => JSON.stringify([validateEvent(e)])); // as Ledger.spend stores them
  const store = await openLedgerDatabase(url); // creates and migrates
  try {
    await store.writeTransaction(async (trx) => {
      const accounts = h.rows.map((r) => ({
        path: r.path,
        parent: r.parent,
        epsilon_limit: LIMITS[r.level].epsilon,
        delta_limit: LIMITS[r.level].delta,
        accountant: 'rdp',
        created_at: '2026-01-01T00:00:00.000Z',
      }));
      for (let i = 0; i < accounts.length; i += 500) {
        await trx
          .insertInto('accounts')
          .values(accounts.slice(i, i + 500))
          .execute();
      }
      const start = Date.parse('2026-01-02T00:00:00Z');
      for (let i = 0; i < count; i += 1000) {
        const batch = [];
        for (let j = i; j < Math.min(count, i + 1000); j++) {
          batch.push({
            account: h.projects[p.project[j]!]!,
            events: texts[p.event[j]!]!,
            purpose: 'bench: seeded',
            status: 'granted',
            created_at: new Date(start + j * 1000).toISOString(),
          });
        }
        await trx.insertInto('spends').values(batch).execute();
        if ((i + batch.length) % 20000 === 0) log(`  seeded ${i + batch.length} / ${count} spends`);
      }
      await rebuildTotals(trx);
    });
  } finally {
    await store.close();
  }
  return round((performance.now() - t0) / 1000, 2);
}

// ---------------------------------------------------------------------------------------------- timing

/** p50 / p90 / p99 / max / mean (nearest rank) of `samples`, milliseconds. */
function latency(samples: readonly number[]) {
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    count: s.length,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: at(1),
    meanMs: round(mean),
  };
}

/** p50 and p99 of each tenth of `samples` in order (does a spend slow down as the ledger grows?). */
function tenths(samples: readonly number[]) {
  const size = Math.ceil(samples.length / 10);
  const out = [];
  for (let i = 0; i < samples.length; i += size) {
    const { p50Ms, p99Ms } = latency(samples.slice(i, i + size));
    out.push({ from: i + 1, to: Math.min(samples.length, i + size), p50Ms, p99Ms });
  }
  return out;
}

async function timed<T>(samples: number[], call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await call();
  samples.push(performance.now() - t0);
  return result;
}

/** The plan's spends `from` to the end through `Ledger.spend`, with status queries interleaved. */
async function spendPhase(ledger: Ledger, h: Hierarchy, p: Plan, from: number, o: Options) {
  const rng = seededRng(o.seed + 1);
  const spend: number[] = [];
  const status: Record<Level, number[]> = { project: [], department: [], organisation: [] };
  const pools: Record<Level, readonly string[]> = {
    project: h.projects,
    department: h.departments,
    organisation: h.organisations,
  };
  const t0 = performance.now();
  let firstSpendMs: number | null = null;
  for (let i = from; i < p.project.length; i++) {
    const account = h.projects[p.project[i]!]!;
    const event = p.events[p.event[i]!]!;
    const t = performance.now();
    await ledger.spend(account, [event], { purpose: 'bench: timed' });
    const ms = performance.now() - t;
    if (i === from && from > 0)
      firstSpendMs = ms; // bootstraps the budget-state digests of the seeded tables
    else spend.push(ms);
    if ((i - from + 1) % o.statusEvery === 0) {
      for (const level of ['project', 'department', 'organisation'] as const) {
        const pool = pools[level];
        await timed(status[level], () => ledger.status(pool[rng.uniformInt(pool.length)]!));
      }
    }
    if ((i - from + 1) % 1000 === 0) {
      log(
        `  ${i - from + 1} / ${p.project.length - from} spends, ${round((performance.now() - t0) / 1000, 1)} s`,
      );
    }
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const spendSeconds = spend.reduce((a, b) => a + b, 0) / 1000;
  return {
    spend: {
      ...latency(spend),
      spendsPerSecond: round(spend.length / spendSeconds, 1),
      firstSpendAfterSeedingMs: firstSpendMs === null ? null : round(firstSpendMs),
      byTenth: tenths(spend),
    },
    statusInterleaved: {
      project: latency(status.project),
      department: latency(status.department),
      organisation: latency(status.organisation),
    },
    wallSeconds: round(wallSeconds, 1),
  };
}

/** Status of every account after the last spend: timed per level, and checked against the plan. */
async function sweepAndCheck(ledger: Ledger, h: Hierarchy, p: Plan) {
  const expected = new Map<string, number>();
  for (let i = 0; i < p.project.length; i++) {
    for (const path of ancestors(h.projects[p.project[i]!]!))
      expected.set(path, (expected.get(path) ?? 0) + 1);
  }
  const times: Record<Level, number[]> = { project: [], department: [], organisation: [] };
  const again: Record<Level, number[]> = { project: [], department: [], organisation: [] };
  const used: Record<Level, number> = { project: 0, department: 0, organisation: 0 };
  const wrongCounts: string[] = [];
  const overspent: string[] = [];
  for (const row of h.rows) {
    const s = await timed(times[row.level], () => {
      clearCompositionMemo();
      return ledger.status(row.path);
    });
    await timed(again[row.level], () => ledger.status(row.path));
    if (s.spends !== (expected.get(row.path) ?? 0)) wrongCounts.push(`${row.path}: ${s.spends}`);
    if (!(s.epsilonSpent <= s.account.epsilonLimit)) overspent.push(`${row.path}: ${s.epsilonSpent}`);
    used[row.level] = Math.max(used[row.level], s.epsilonSpent / s.account.epsilonLimit);
  }
  const orgListing: string[] = [];
  let orgTotal = 0;
  for (const org of h.organisations) {
    const list = await ledger.spends(org);
    const granted = list.filter((r) => r.status === 'granted').length;
    orgTotal += granted;
    if (granted !== list.length || granted !== expected.get(org)) {
      orgListing.push(`${org}: ${granted} granted of ${list.length}, expected ${expected.get(org)}`);
    }
  }
  const checks = {
    everyAccountSpendCountMatches: wrongCounts.length === 0,
    organisationSpendListsMatch: orgListing.length === 0,
    organisationsSumToSpends: orgTotal === p.project.length,
    nothingOverspent: overspent.length === 0,
    problems: [...wrongCounts, ...orgListing, ...overspent].slice(0, 20),
  };
  return {
    statusSweepComposed: {
      project: latency(times.project),
      department: latency(times.department),
      organisation: latency(times.organisation),
    },
    statusSweepMemoised: {
      project: latency(again.project),
      department: latency(again.department),
      organisation: latency(again.organisation),
    },
    largestShareOfLimitUsed: {
      project: round(used.project, 6),
      department: round(used.department, 6),
      organisation: round(used.organisation, 6),
    },
    checks,
  };
}

function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

// ---------------------------------------------------------------------------------------------- main

async function serverSettings(url: string): Promise<Record<string, string>> {
  const store = await openLedgerDatabase(url);
  try {
    const out: Record<string, string> = {};
    for (const name of ['server_version', 'fsync', 'synchronous_commit']) {
      const r = await sql<{ v: string }>`select current_setting(${name}) as v`.execute(store.db);
      out[name] = r.rows[0]!.v;
    }
    return out;
  } finally {
    await store.close();
  }
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench'],
      {
        encoding: 'utf8',
      },
    ).trim();
    return dirty ? `${head} (src/ or bench/ modified)` : head;
  } catch {
    return 'unknown';
  }
}

/** The `ledger` part of `npm run bench -- service`: prints one JSON object on stdout. */
export async function ledgerScale(args: readonly string[]): Promise<void> {
  let o: Options;
  try {
    if (args.includes('--help')) throw new Error('service ledger: flags');
    o = parseOptions(args);
  } catch (err) {
    log(`${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const h = hierarchy(o.shape);
  const p = plan(o.spends, h.projects.length, seededRng(o.seed));
  const seeded = o.spends - o.timed;
  const load = [loadavg().map((x) => round(x, 2))];
  const db = await createTestDatabase(o.db);
  log(
    `service ledger on ${o.db}: ${h.rows.length} accounts, ${seeded} spends seeded, ${o.timed} through the API`,
  );
  try {
    const server = o.db === 'postgres' ? await serverSettings(db.url) : null;
    let seedSeconds: number | null = null;
    let createAccount = null;
    if (seeded > 0) {
      seedSeconds = await seedTables(db.url, h, p, seeded);
      log(`  seeded ${h.rows.length} accounts and ${seeded} spends, totals rebuilt, in ${seedSeconds} s`);
    }
    const ledger = await Ledger.open(db.url, db.ledgerOptions);
    try {
      if (seeded === 0) {
        const samples: number[] = [];
        for (const r of h.rows) {
          const limit = LIMITS[r.level];
          await timed(samples, () => ledger.createAccount({ path: r.path, ...limit, accountant: 'rdp' }));
        }
        createAccount = latency(samples);
      }
      const phase = await spendPhase(ledger, h, p, seeded, o);
      load.push(loadavg().map((x) => round(x, 2)));
      log('  status of every account, and the checks');
      const end = await sweepAndCheck(ledger, h, p);
      load.push(loadavg().map((x) => round(x, 2)));
      const out = {
        bench: 'service',
        part: 'ledger',
        machine: machine(),
        commit: commit(),
        loadAverage1m5m15m: load,
        db: o.db,
        server,
        accounts: { shape: o.shape.join('x'), total: h.rows.length, limits: LIMITS },
        spends: {
          total: o.spends,
          seeded,
          throughLedgerSpend: o.timed,
          eventsPerSpend: 1,
          mix: '60% dpSgdEvent (96 configurations), 40% gaussianEvent (10)',
        },
        statusEvery: o.statusEvery,
        seedSeconds,
        createAccount,
        ...phase,
        ...end,
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      const c = end.checks;
      const ok =
        c.everyAccountSpendCountMatches &&
        c.organisationSpendListsMatch &&
        c.organisationsSumToSpends &&
        c.nothingOverspent;
      if (!ok) {
        log(`service ledger: checks failed: ${c.problems.join('; ')}`);
        process.exitCode = 1;
      }
    } finally {
      await ledger.close();
    }
  } finally {
    await db.dispose();
  }
}
