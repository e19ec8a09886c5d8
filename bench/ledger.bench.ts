/**
 * `npm run -s bench -- ledger [--runs K] [--writers 1,4] [--spends N] [--events E] [--accounts A]`
 *
 * The privacy-budget ledger (issue 6), printed as one JSON object:
 *
 * - **spends per second** on SQLite (a file on disk, WAL, synchronous FULL: what `Ledger.open` sets), through
 *   `Ledger.spend`, on a fresh ledger holding the account hierarchy below and no spends: 1 writer, then W writer
 *   processes at once (each its own connection; they start together at an agreed instant). Every spend is one
 *   event of the realistic mix on a random leaf, so each spend checks the leaf and its three ancestors.
 * - **the remaining-budget (status) query** with A accounts (default 1,000: a root, 10 projects, 100 datasets,
 *   889 jobs) and E events (default 100,000) in about 77,000 spends (1 to 3 events each; 90% on jobs, 8% on
 *   datasets, 2% on projects). The mix: 40% DP-SGD runs (`self-composed` Poisson-sampled Gaussians; 4 sampling
 *   rates x 4 noise multipliers, steps 200 to 10,000), 30% Gaussians (5 sigmas x 2 sensitivities), 10% Laplace,
 *   12% pure DP, 8% approximate DP. Spends are seeded straight into the table (one transaction), not through
 *   `Ledger.spend`, which would compose a growing history 77,000 times. Timed: `Ledger.status` for a job (leaf),
 *   a project (mid-level, ~10% of the events) and the root; median and spread over K runs (default 5) after one
 *   warm-up, plus where the root's time goes (SQL read, JSON parse, composition) and the same answer through
 *   `SELECT events, count(*) … GROUP BY events` + `composeStoredSpends` (proposed to the ledger, not used by it).
 * - **PostgreSQL**: when `VEIL_TEST_POSTGRES_URL` is set, the same on a fresh database; otherwise "skipped".
 *
 * Goal (issue 6): the status query with 1,000 accounts and 100,000 events under 50 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { dpSgdEvent, type PrivacyEvent, validateEvent } from '../src/accounting/index.js';
import { type Rng, seededRng } from '../src/core/index.js';
import { clearCompositionMemo, composeStoredSpends } from '../src/ledger/budget/compose.js';
import { Ledger, openLedgerDatabase } from '../src/ledger/index.js';
import { machine } from './harness.js';

const args = process.argv.slice(2);
const text = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const log = (s: string) => process.stderr.write(`${s}\n`);
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------- the data

/** The realistic mix: each draw is one event, from palettes that recur as team configurations do. */
function drawEvent(rng: Rng): PrivacyEvent {
  const pick = <T>(xs: readonly T[]): T => xs[rng.uniformInt(xs.length)]!;
  const u = rng.uniform();
  if (u < 0.4) {
    return dpSgdEvent({
      sampleRate: pick([256 / 60000, 0.001, 0.01, 512 / 50000]),
      noiseMultiplier: pick([0.8, 1.0, 1.1, 1.3]),
      steps: pick([200, 500, 1000, 2000, 5000, 10000]),
    });
  }
  if (u < 0.7) return { kind: 'gaussian', sigma: pick([1, 2, 5, 10, 20]), l2Sensitivity: pick([1, 2]) };
  if (u < 0.8) return { kind: 'laplace', scale: pick([1, 10, 100]), l1Sensitivity: 1 };
  if (u < 0.92) {
    return {
      kind: 'pure-dp',
      epsilon: pick([0.05, 0.1, 0.5, 1]),
      mechanism: pick(['exponential', 'report-noisy-max']),
    };
  }
  return { kind: 'approx-dp', epsilon: pick([0.1, 0.5, 1]), delta: pick([1e-10, 1e-11]) };
}

interface Hierarchy {
  readonly root: string;
  readonly projects: string[];
  readonly datasets: string[];
  readonly jobs: string[];
  readonly rows: { path: string; parent: string | null; epsilon: number; delta: number }[];
}

/** A root, 10 projects, 10 datasets each, and jobs spread over the datasets: `accounts` accounts in all. */
function hierarchy(accounts: number): Hierarchy {
  const root = 'org';
  const projects = Array.from({ length: 10 }, (_, i) => `${root}/p${i}`);
  const datasets = projects.flatMap((p) => Array.from({ length: 10 }, (_, i) => `${p}/d${i}`));
  const jobs = Array.from({ length: Math.max(0, accounts - 111) }, (_, i) => `${datasets[i % 100]}/j${i}`);
  const rows = [
    { path: root, parent: null, epsilon: 1e6, delta: 1e-3 },
    ...projects.map((path) => ({ path, parent: root, epsilon: 1e5, delta: 1e-4 })),
    ...datasets.map((path) => ({
      path,
      parent: path.split('/').slice(0, 2).join('/'),
      epsilon: 1e4,
      delta: 1e-5,
    })),
    ...jobs.map((path) => ({
      path,
      parent: path.split('/').slice(0, 3).join('/'),
      epsilon: 1e4,
      delta: 1e-5,
    })),
  ];
  return { root, projects, datasets, jobs, rows };
}

async function createLedger(file: string, h: Hierarchy): Promise<void> {
  const store = await openLedgerDatabase(`sqlite:${file}`); // creates and migrates
  await store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    "insert into accounts (path, parent, epsilon_limit, delta_limit, accountant, created_at) values (?, ?, ?, ?, 'rdp', ?)",
  );
  db.transaction(() => {
    for (const r of h.rows) insert.run(r.path, r.parent, r.epsilon, r.delta, '2026-12-01T00:00:00.000Z');
  })();
  db.close();
}

/** Seeds spends holding `events` events in all, straight into the table (as `Ledger.spend` stores them). */
function seedSpends(file: string, h: Hierarchy, events: number, rng: Rng): { spends: number } {
  const db = new Database(file);
  const insert = db.prepare(
    "insert into spends (account, events, purpose, status, created_at) values (?, ?, 'bench', 'granted', ?)",
  );
  let left = events;
  let spends = 0;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  db.transaction(() => {
    while (left > 0) {
      const u = rng.uniform();
      const n = Math.min(left, u < 0.75 ? 1 : u < 0.95 ? 2 : 3);
      const where = rng.uniform();
      const pool = where < 0.9 ? h.jobs : where < 0.98 ? h.datasets : h.projects;
      const account = pool[rng.uniformInt(pool.length)]!;
      const list = Array.from({ length: n }, () => validateEvent(drawEvent(rng)));
      insert.run(account, JSON.stringify(list), new Date(t0 + spends * 60_000).toISOString());
      left -= n;
      spends++;
    }
  })();
  db.close();
  return { spends };
}

// ---------------------------------------------------------------------------------------------- timing

interface Timing {
  readonly name: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly spread: number;
  readonly result?: unknown;
}

async function timeAsync(name: string, fn: () => Promise<unknown>, runs: number): Promise<Timing> {
  let result = await fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return {
    name,
    runs,
    medianMs: round(samples[Math.floor(samples.length / 2)]!),
    minMs: round(samples[0]!),
    maxMs: round(samples[samples.length - 1]!),
    spread: round(samples[samples.length - 1]! / samples[0]!),
    result,
  };
}

// ---------------------------------------------------------------------------------------------- writers

/** Child mode: `--writer URL --count N --seed S --start-at MS`: N spends, then one JSON line on stdout. */
async function writer(): Promise<void> {
  const url = text('--writer', '');
  const count = Number(text('--count', '100'));
  const rng = seededRng(Number(text('--seed', '1')));
  const jobs = text('--jobs', '').split(',');
  const ledger = await Ledger.open(url);
  const wait = Number(text('--start-at', '0')) - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const start = Date.now();
  let granted = 0;
  for (let i = 0; i < count; i++) {
    await ledger.spend(jobs[rng.uniformInt(jobs.length)]!, [drawEvent(rng)], { purpose: 'bench' });
    granted++;
  }
  const end = Date.now();
  await ledger.close();
  process.stdout.write(`${JSON.stringify({ start, end, granted })}\n`);
}

const self = fileURLToPath(import.meta.url);

function runWriter(url: string, count: number, seed: number, jobs: string[], startAt: number) {
  return new Promise<{ start: number; end: number; granted: number }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        self,
        '--writer',
        url,
        '--count',
        String(count),
        '--seed',
        String(seed),
        '--jobs',
        jobs.join(','),
        '--start-at',
        String(startAt),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`writer exited ${code}`)),
    );
  });
}

async function spendsPerSecond(url: string, writers: number, perWriter: number, jobs: string[]) {
  const startAt = Date.now() + 4000 + writers * 500; // every child has opened the ledger by then
  const results = await Promise.all(
    Array.from({ length: writers }, (_, i) =>
      runWriter(url, perWriter, 1000 + i + writers * 100, jobs, startAt),
    ),
  );
  const start = Math.min(...results.map((r) => r.start));
  const end = Math.max(...results.map((r) => r.end));
  const granted = results.reduce((s, r) => s + r.granted, 0);
  return {
    writers,
    spends: granted,
    seconds: round((end - start) / 1000),
    spendsPerSecond: round(granted / ((end - start) / 1000), 1),
  };
}

// ---------------------------------------------------------------------------------------------- main

async function statusCases(url: string, h: Hierarchy, runs: number) {
  const ledger = await Ledger.open(url);
  const leaf = h.jobs[0]!;
  const mid = h.projects[0]!;
  const cases = [];
  for (const [label, path] of [
    ['leaf (job)', leaf],
    ['mid-level (project)', mid],
    ['root', h.root],
  ] as const) {
    log(`status ${label} ${path}`);
    // cold: the composition memo emptied first, as after a new spend in the subtree (its history changed)
    const cold = await timeAsync(
      `status ${label}, cold`,
      () => {
        clearCompositionMemo();
        return ledger.status(path);
      },
      runs,
    );
    cases.push({ ...cold, account: path, result: undefined });
    // warm: the same history asked again (answers memoised by the grouped history)
    const t = await timeAsync(`status ${label}, warm`, () => ledger.status(path), runs);
    const s = t.result as Awaited<ReturnType<Ledger['status']>>;
    cases.push({
      ...t,
      account: path,
      result: {
        spends: s.spends,
        epsilonSpent: round(s.epsilonSpent, 6),
        epsilonNaiveSum: s.epsilonNaiveSum,
      },
    });
  }
  await ledger.close();
  return cases;
}

/** Where the root's status time goes, and the GROUP BY path (SQLite only; raw better-sqlite3 for the parts). */
async function rootBreakdown(file: string, url: string, root: string, runs: number) {
  const db = new Database(file, { readonly: true });
  const all = db.prepare(
    "select events from spends where status = 'granted' and (account = ? or (account >= ? and account < ?))",
  );
  const rows = all.all(root, `${root}/`, `${root}0`) as { events: string }[];
  const read = await timeAsync(
    'SQL read of every spend row',
    async () => all.all(root, `${root}/`, `${root}0`),
    runs,
  );
  const parse = await timeAsync(
    'JSON.parse of every row',
    async () => rows.map((r) => JSON.parse(r.events)),
    runs,
  );
  db.close();
  const store = await openLedgerDatabase(url);
  const grouped = () =>
    store.db
      .selectFrom('spends')
      .select(['events', sql<number>`count(*)`.as('count')])
      .where('status', '=', 'granted')
      .where((eb) =>
        eb.or([
          eb('account', '=', root),
          eb.and([eb('account', '>=', `${root}/`), eb('account', '<', `${root}0`)]),
        ]),
      )
      .groupBy('events')
      .execute();
  const groupRows = await grouped();
  const groupRead = await timeAsync('SQL read, GROUP BY events', grouped, runs);
  const composeCold = await timeAsync(
    'composeStoredSpends of the grouped rows, cold (memo emptied)',
    async () => {
      clearCompositionMemo();
      return composeStoredSpends('rdp', groupRows, 1e-3);
    },
    runs,
  );
  const proposedCold = await timeAsync(
    'proposed status, cold: GROUP BY events + composeStoredSpends (memo emptied)',
    async () => {
      clearCompositionMemo();
      return composeStoredSpends('rdp', await grouped(), 1e-3).epsilon;
    },
    runs,
  );
  const composeOnly = await timeAsync(
    'composeStoredSpends of the grouped rows (memoised answers after the warm-up)',
    async () => composeStoredSpends('rdp', groupRows, 1e-3),
    runs,
  );
  const proposed = await timeAsync(
    'proposed status: GROUP BY events + composeStoredSpends',
    async () => {
      const r = composeStoredSpends('rdp', await grouped(), 1e-3, { naiveSum: true });
      return { spends: r.spends, epsilon: round(r.epsilon, 6), naiveSum: round(r.naiveSum!, 3) };
    },
    runs,
  );
  await store.close();
  return {
    rows: rows.length,
    distinctEventTexts: groupRows.length,
    read: { ...read, result: undefined },
    parse: { ...parse, result: undefined },
    groupRead: { ...groupRead, result: undefined },
    composeCold: { ...composeCold, result: undefined },
    composeOnly: { ...composeOnly, result: undefined },
    proposedCold,
    proposed,
  };
}

async function main(): Promise<void> {
  if (args.includes('--writer')) return writer();
  const runs = Number(text('--runs', '5'));
  const writerCounts = text('--writers', '1,4').split(',').map(Number);
  const perWriter = Number(text('--spends', '150'));
  const events = Number(text('--events', '100000'));
  const accounts = Number(text('--accounts', '1000'));
  const h = hierarchy(accounts);
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-ledger-'));
  try {
    // (a) spends per second, each case on a fresh ledger holding the hierarchy only
    const throughput = [];
    for (const w of writerCounts) {
      const file = join(dir, `spends-${w}.db`);
      await createLedger(file, h);
      log(`spends: ${w} writer(s) x ${perWriter}`);
      throughput.push(await spendsPerSecond(`sqlite:${file}`, w, perWriter, h.jobs));
    }
    // (b) status with the seeded history
    const file = join(dir, 'status.db');
    await createLedger(file, h);
    const seeded = seedSpends(file, h, events, seededRng(6));
    log(`seeded ${seeded.spends} spends, ${events} events`);
    {
      // seeded straight into the spends table: derive the running totals the ledger keeps
      const l = await Ledger.open(`sqlite:${file}`);
      await l.rebuildTotals();
      await l.close();
    }
    const status = await statusCases(`sqlite:${file}`, h, runs);
    const breakdown = await rootBreakdown(file, `sqlite:${file}`, h.root, runs);
    // (c) PostgreSQL
    const pgUrl = process.env.VEIL_TEST_POSTGRES_URL;
    let postgres: unknown = 'skipped: VEIL_TEST_POSTGRES_URL is not set';
    if (pgUrl) {
      try {
        await (await Ledger.open(pgUrl)).close();
        postgres = 'not run: the PostgreSQL store opened, but this bench does not seed it yet';
      } catch (err) {
        postgres = `skipped: ${(err as Error).message}`;
      }
    }
    const out = {
      bench: 'ledger',
      machine: machine(),
      accounts: h.rows.length,
      events,
      spendsSeeded: seeded.spends,
      goal: { statusMs: 50 },
      sqlite: { spendsPerSecond: throughput, status, rootBreakdown: breakdown },
      postgres,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
