/**
 * `npm run -s bench -- ledger [--runs K] [--writers 1,4] [--spends N] [--spend-runs R] [--events E] [--accounts A]`
 *
 * The privacy-budget ledger (issue 6), printed as one JSON object, on SQLite and (when `VEIL_TEST_POSTGRES_URL`
 * is set, e.g. by `source .ci/setup-postgres.sh`) on a fresh PostgreSQL database that is dropped afterwards:
 *
 * - **spends per second** through `Ledger.spend` on a fresh ledger holding the account hierarchy below and no
 *   spends: 1 writer, then W writer processes at once (each its own connection; they start together at an
 *   agreed instant), R times each (default 3) on a fresh ledger, N spends per writer (default 150). Every
 *   spend is one event of the realistic mix on a random leaf, so each spend checks the leaf and its three
 *   ancestors and appends a signed audit entry in its transaction. SQLite: a file on disk,
 *   WAL, synchronous FULL (what `Ledger.open` sets). PostgreSQL: whatever the server runs with (`fsync` and
 *   `synchronous_commit` are read from it and printed; the CI server has both off).
 * - **where a spend's time goes** (one process, N spends): start to the end of the transaction body (lock,
 *   checks, insert, totals, audit append; `beforeCommit` marks it) and from there to the return (commit, with
 *   its flush, and the witness file), plus an Ed25519 tree-head signature, composing the root's history plus
 *   one event with a fresh accountant (no memo), and a 4 KiB write + fsync beside the SQLite file. Each is
 *   timed through public exports (crypto's `sign`, ledger's `treeHeadMessage`, accounting's `createAccountant`
 *   over the `event_totals` rows), not the ledger's internal helpers.
 * - **the remaining-budget (status) query** with A accounts (default 1,000: a root, 10 projects, 100 datasets,
 *   889 jobs) and E events (default 100,000) in about 77,000 spends (1 to 3 events each; 90% on jobs, 8% on
 *   datasets, 2% on projects). The mix: 40% DP-SGD runs (`self-composed` Poisson-sampled Gaussians; 4 sampling
 *   rates x 4 noise multipliers, steps 200 to 10,000), 30% Gaussians (5 sigmas x 2 sensitivities), 10% Laplace,
 *   12% pure DP, 8% approximate DP. Spends are seeded straight into the table (batched inserts through Kysely,
 *   one transaction), then the ledger's `rebuildTotals` (testing entry) derives the running subtree totals it keeps.
 *   Timed: `Ledger.status` for a job (leaf), a project (mid-level, ~10% of the events) and the root, each
 *   - *in a fresh process*: the first query after `Ledger.open` in a new node process (no composition memo, no
 *     RDP unit curves cached, nothing JIT-compiled); the time of the `status` call only, K processes; for the
 *     root also after one account lookup in that process (the driver's first round trip paid, composition cold);
 *   - *after a spend*: composition memo emptied (as when a new spend changed the subtree's history), RDP unit
 *     curves cached in the process; median over K runs;
 *   - *warm*: the same history asked again (memoised); median over K runs.
 * - **the old path, for comparison**: before migration 0003 a status query read and parsed every granted spend
 *   in the subtree; timed here for the root (the read, and the read plus `JSON.parse` of each row), without the
 *   composition that followed.
 *
 * Goal (issue 6): the status query with 1,000 accounts and 100,000 events under 50 ms.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createAccountant, dpSgdEvent, type PrivacyEvent, validateEvent } from '../src/accounting/index.js';
import { type Rng, seededRng } from '../src/core/index.js';
import { sign, signingKeyPairFromSeed } from '../src/crypto/index.js';
import { Ledger, openLedgerDatabase, treeHeadMessage } from '../src/ledger/index.js';
import {
  clearCompositionMemo,
  createTestDatabase,
  rebuildTotals,
  type TestDatabase,
} from '../src/ledger/store/testing.js';
import { machine, summarize, timeAsync } from './harness.js';

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

type Dialect = 'sqlite' | 'postgres';
type LedgerOpts = { readonly auditKeyFile?: string };

/** Creates and migrates the ledger at `url` and inserts the hierarchy (no spends). */
async function createLedger(url: string, h: Hierarchy): Promise<void> {
  const store = await openLedgerDatabase(url); // creates and migrates
  try {
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < h.rows.length; i += 500) {
        await trx
          .insertInto('accounts')
          .values(
            h.rows.slice(i, i + 500).map((r) => ({
              path: r.path,
              parent: r.parent,
              epsilon_limit: r.epsilon,
              delta_limit: r.delta,
              accountant: 'rdp',
              created_at: '2026-12-01T00:00:00.000Z',
            })),
          )
          .execute();
      }
    });
  } finally {
    await store.close();
  }
}

interface SpendRow {
  readonly account: string;
  readonly events: string;
  readonly created_at: string;
}

/** The seeded history: spends holding `events` events in all, stored as `Ledger.spend` stores them. */
function history(h: Hierarchy, events: number, rng: Rng): SpendRow[] {
  const rows: SpendRow[] = [];
  let left = events;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  while (left > 0) {
    const u = rng.uniform();
    const n = Math.min(left, u < 0.75 ? 1 : u < 0.95 ? 2 : 3);
    const where = rng.uniform();
    const pool = where < 0.9 ? h.jobs : where < 0.98 ? h.datasets : h.projects;
    const account = pool[rng.uniformInt(pool.length)]!;
    const list = Array.from({ length: n }, () => validateEvent(drawEvent(rng)));
    rows.push({
      account,
      events: JSON.stringify(list),
      created_at: new Date(t0 + rows.length * 60_000).toISOString(),
    });
    left -= n;
  }
  return rows;
}

/**
 * Inserts the history in batches (one transaction), then derives the running totals. The seeded rows have no
 * audit entries: the first spend takes the tables as they are (budget/state.ts's bootstrap), and `veil audit
 * verify` would report them as spends the log never granted.
 */
async function seed(url: string, rows: readonly SpendRow[]): Promise<number> {
  const t0 = performance.now();
  const store = await openLedgerDatabase(url);
  try {
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 1000) {
        await trx
          .insertInto('spends')
          .values(rows.slice(i, i + 1000).map((r) => ({ ...r, purpose: 'bench', status: 'granted' })))
          .execute();
      }
    });
    await store.writeTransaction((trx) => rebuildTotals(trx));
  } finally {
    await store.close();
  }
  return round((performance.now() - t0) / 1000, 1);
}

// ---------------------------------------------------------------------------------------------- timing

// ---------------------------------------------------------------------------------------------- child processes

/** Child mode `--writer URL --count N --seed S --jobs J --start-at MS [--audit-key F]`: N spends, one JSON line. */
async function writer(): Promise<void> {
  const url = text('--writer', '');
  const count = Number(text('--count', '100'));
  const rng = seededRng(Number(text('--seed', '1')));
  const jobs = text('--jobs', '').split(',');
  const ledger = await Ledger.open(url, childOptions());
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

/**
 * Child mode `--cold URL --path P [--prime] [--audit-key F]`: the first status query in this process, then a
 * second. With `--prime`, one account lookup first (the database driver's first round trip, no composition), so
 * the status query that follows pays only for cold composition (RDP unit curves not cached, code not compiled).
 */
async function coldChild(): Promise<void> {
  const ledger = await Ledger.open(text('--cold', ''), childOptions());
  const path = text('--path', '');
  let primeMs: number | undefined;
  if (args.includes('--prime')) {
    const t = performance.now();
    await ledger.account(path);
    primeMs = performance.now() - t;
  }
  const t0 = performance.now();
  await ledger.status(path);
  const t1 = performance.now();
  await ledger.status(path);
  const t2 = performance.now();
  await ledger.close();
  process.stdout.write(`${JSON.stringify({ primeMs, firstMs: t1 - t0, secondMs: t2 - t1 })}\n`);
}

function childOptions(): LedgerOpts {
  const key = text('--audit-key', '');
  return key ? { auditKeyFile: key } : {};
}

const self = fileURLToPath(import.meta.url);

function runChild<T>(childArgs: string[], opts: LedgerOpts): Promise<T> {
  const key = opts.auditKeyFile ? ['--audit-key', opts.auditKeyFile] : [];
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, ...childArgs, ...key], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    // 'close', not 'exit': stdout has ended by then
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim()) as T) : reject(new Error(`child exited ${code}`)),
    );
  });
}

async function spendsPerSecond(
  url: string,
  opts: LedgerOpts,
  writers: number,
  perWriter: number,
  jobs: string[],
) {
  const startAt = Date.now() + 4000 + writers * 1000; // every child has opened the ledger by then
  const results = await Promise.all(
    Array.from({ length: writers }, (_, i) =>
      runChild<{ start: number; end: number; granted: number }>(
        [
          '--writer',
          url,
          '--count',
          String(perWriter),
          '--seed',
          String(1000 + i + writers * 100),
          '--jobs',
          jobs.join(','),
          '--start-at',
          String(startAt),
        ],
        opts,
      ),
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

// ---------------------------------------------------------------------------------------------- cases

/** N spends in this process, each split at `beforeCommit`: the transaction body, then commit and witness file. */
async function spendAnatomy(url: string, opts: LedgerOpts, jobs: string[], n: number) {
  const ledger = await Ledger.open(url, opts);
  const rng = seededRng(77);
  const total: number[] = [];
  const body: number[] = [];
  const commit: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    let t1 = t0;
    await ledger.spend(jobs[rng.uniformInt(jobs.length)]!, [drawEvent(rng)], {
      purpose: 'bench',
      beforeCommit: async () => {
        t1 = performance.now();
      },
    });
    const t2 = performance.now();
    if (i < 3) continue; // warm-up
    total.push(t2 - t0);
    body.push(t1 - t0);
    commit.push(t2 - t1);
  }
  await ledger.close();
  return {
    spend: summarize('Ledger.spend, one process', total),
    transactionBody: summarize(
      'start to the end of the transaction body: lock, checks, insert, totals, audit append',
      body,
    ),
    commit: summarize('commit (flush) and witness file', commit),
  };
}

/**
 * Parts of a spend timed on their own, through the public API (the ledger's own helpers are internal): the tree
 * head's signature as `AuditSigner.signHead` makes it (crypto's `sign` of ledger's `treeHeadMessage`), and the
 * composition a spend's check does when its memo misses (the account's unit events with counts, read from the
 * `event_totals` table, each composed once with `times: count` by a fresh accountant).
 */
async function spendParts(url: string, root: string, dir: string | null, runs: number) {
  const pair = signingKeyPairFromSeed(new Uint8Array(32).fill(7));
  const signature = await timeAsync(
    'Ed25519 signature of a tree head (one per spend)',
    async () => {
      const head = {
        size: 1,
        root: 'ab'.repeat(32),
        chainHash: 'cd'.repeat(32),
        at: new Date().toISOString(),
      };
      return Buffer.from(sign(pair.privateKey, treeHeadMessage(head))).toString('hex');
    },
    runs * 20,
  );
  const store = await openLedgerDatabase(url);
  const totals = (
    await store.db.selectFrom('event_totals').select(['event', 'count']).where('account', '=', root).execute()
  ).map((r) => ({ event: validateEvent(JSON.parse(r.event)), count: Number(r.count) }));
  await store.close();
  const extra = validateEvent(drawEvent(seededRng(5)));
  const compose = await timeAsync(
    `compose the root's history (${totals.length} unit events) plus one event, fresh accountant (no memo)`,
    async () => {
      const accountant = createAccountant('rdp');
      for (const t of totals) accountant.compose(t.event, { times: t.count });
      accountant.compose(extra);
      return accountant.epsilon({ delta: 1e-3 });
    },
    runs,
  );
  const parts: Record<string, unknown> = {
    sign: { ...signature, result: undefined },
    composeRoot: { ...compose, result: undefined },
  };
  if (dir) {
    const file = join(dir, 'fsync-probe');
    const block = Buffer.alloc(4096, 1);
    parts.fsync = await timeAsync(
      '4 KiB write + fsync beside the SQLite file (a WAL commit with synchronous FULL syncs once)',
      async () => {
        const fd = openSync(file, 'a');
        writeSync(fd, block);
        fsyncSync(fd);
        closeSync(fd);
      },
      runs * 3,
    );
    rmSync(file, { force: true });
  }
  return parts;
}

async function statusCases(url: string, opts: LedgerOpts, h: Hierarchy, runs: number) {
  const levels = [
    ['leaf (job)', h.jobs[0]!],
    ['mid-level (project)', h.projects[0]!],
    ['root', h.root],
  ] as const;
  const cases = [];
  for (const [label, path] of levels) {
    log(`  status ${label} ${path}: fresh processes`);
    const fresh: { firstMs: number; secondMs: number }[] = [];
    for (let i = 0; i < runs; i++) fresh.push(await runChild(['--cold', url, '--path', path], opts));
    cases.push({
      ...summarize(
        `status ${label}, first query in a fresh process`,
        fresh.map((r) => r.firstMs),
      ),
      account: path,
      secondQueryInThatProcess: summarize(
        'second query',
        fresh.map((r) => r.secondMs),
      ),
    });
  }
  {
    const [label, path] = levels[2];
    log(`  status ${label} ${path}: fresh processes, after one account lookup`);
    const primed: { primeMs: number; firstMs: number }[] = [];
    for (let i = 0; i < runs; i++)
      primed.push(await runChild(['--cold', url, '--path', path, '--prime'], opts));
    cases.push({
      ...summarize(
        `status ${label}, fresh process, first status after one account lookup (cold composition only)`,
        primed.map((r) => r.firstMs),
      ),
      account: path,
      accountLookupFirst: summarize(
        'the account lookup before it',
        primed.map((r) => r.primeMs),
      ),
    });
  }
  const ledger = await Ledger.open(url, opts);
  for (const [label, path] of levels) {
    log(`  status ${label} ${path}: in this process`);
    const after = await timeAsync(
      `status ${label}, after a spend (composition memo emptied; RDP unit curves cached)`,
      () => {
        clearCompositionMemo();
        return ledger.status(path);
      },
      runs,
    );
    cases.push({ ...after, account: path, result: undefined });
    const t = await timeAsync(`status ${label}, warm (memoised)`, () => ledger.status(path), runs);
    const s = t.result as Awaited<ReturnType<Ledger['status']>>;
    cases.push({ ...t, account: path, result: { spends: s.spends, epsilonSpent: round(s.epsilonSpent, 6) } });
  }
  await ledger.close();
  return cases;
}

/** What a status query did before migration 0003: read (and parse) every granted spend below the root. */
async function oldPath(url: string, root: string, runs: number) {
  const store = await openLedgerDatabase(url);
  const read = () =>
    store.db
      .selectFrom('spends')
      .select('events')
      .where('status', '=', 'granted')
      .where((eb) =>
        eb.or([
          eb('account', '=', root),
          eb.and([eb('account', '>=', `${root}/`), eb('account', '<', `${root}0`)]),
        ]),
      )
      .execute();
  const rows = (await read()).length;
  const readT = await timeAsync('old path: read every granted spend row below the root', read, runs);
  const parseT = await timeAsync(
    'old path: read + JSON.parse of every row',
    async () => (await read()).map((r) => JSON.parse(r.events) as unknown),
    runs,
  );
  await store.close();
  return { rows, read: { ...readT, result: undefined }, readAndParse: { ...parseT, result: undefined } };
}

// ---------------------------------------------------------------------------------------------- main

async function serverSettings(url: string): Promise<Record<string, string>> {
  const store = await openLedgerDatabase(url);
  try {
    const out: Record<string, string> = {};
    for (const name of ['server_version', 'fsync', 'synchronous_commit', 'full_page_writes']) {
      const r = await sql<{ v: string }>`select current_setting(${name}) as v`.execute(store.db);
      out[name] = r.rows[0]!.v;
    }
    return out;
  } finally {
    await store.close();
  }
}

async function runDialect(
  dialect: Dialect,
  h: Hierarchy,
  rows: readonly SpendRow[],
  o: { runs: number; writerCounts: number[]; perWriter: number; spendRuns: number },
) {
  const fresh = async (tag: string): Promise<TestDatabase> => {
    const db = await createTestDatabase(dialect);
    log(`${dialect} ${tag}: ${db.url.replace(/:[^:@/]*@/, ':***@')}`);
    return db;
  };
  const out: Record<string, unknown> = {};
  if (dialect === 'postgres') {
    const probe = await fresh('settings');
    try {
      out.server = await serverSettings(probe.url);
    } finally {
      await probe.dispose();
    }
  }
  // (a) spends per second, each case on a fresh ledger holding the hierarchy only
  const throughput = [];
  for (const w of o.writerCounts) {
    const samples: Awaited<ReturnType<typeof spendsPerSecond>>[] = [];
    for (let r = 0; r < o.spendRuns; r++) {
      const db = await fresh(`spends, ${w} writer(s) x ${o.perWriter}, run ${r + 1}/${o.spendRuns}`);
      try {
        await createLedger(db.url, h);
        samples.push(await spendsPerSecond(db.url, db.ledgerOptions, w, o.perWriter, h.jobs));
      } finally {
        await db.dispose();
      }
    }
    const rates = samples.map((x) => x.spendsPerSecond).sort((a, b) => a - b);
    throughput.push({
      writers: w,
      spendsPerRun: w * o.perWriter,
      runs: rates.length,
      medianPerSecond: rates[Math.floor(rates.length / 2)],
      minPerSecond: rates[0],
      maxPerSecond: rates[rates.length - 1],
      samples,
    });
  }
  out.spendsPerSecond = throughput;
  {
    const db = await fresh(`spend anatomy, ${o.perWriter} spends`);
    try {
      await createLedger(db.url, h);
      out.spendAnatomyFreshLedger = await spendAnatomy(db.url, db.ledgerOptions, h.jobs, o.perWriter);
    } finally {
      await db.dispose();
    }
  }
  // (b) status with the seeded history
  const db = await fresh(`status, ${rows.length} spends`);
  try {
    await createLedger(db.url, h);
    out.seedSeconds = await seed(db.url, rows);
    log(`  seeded ${rows.length} spends and rebuilt the totals in ${out.seedSeconds} s`);
    out.status = await statusCases(db.url, db.ledgerOptions, h, o.runs);
    out.oldPathForComparison = await oldPath(db.url, h.root, o.runs);
    const sqliteDir = db.url.startsWith('sqlite:') ? dirname(db.url.slice('sqlite:'.length)) : null;
    out.spendParts = await spendParts(db.url, h.root, sqliteDir, o.runs);
    out.spendAnatomySeededLedger = await spendAnatomy(
      db.url,
      db.ledgerOptions,
      h.jobs,
      Math.min(o.perWriter, 20),
    );
  } finally {
    await db.dispose();
  }
  return out;
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

async function main(): Promise<void> {
  if (args.includes('--writer')) return writer();
  if (args.includes('--cold')) return coldChild();
  const runs = Number(text('--runs', '5'));
  const writerCounts = text('--writers', '1,4').split(',').map(Number);
  const perWriter = Number(text('--spends', '150'));
  const events = Number(text('--events', '100000'));
  const accounts = Number(text('--accounts', '1000'));
  const h = hierarchy(accounts);
  const rows = history(h, events, seededRng(6));
  const load = [loadavg().map((x) => round(x, 2))];
  const o = { runs, writerCounts, perWriter, spendRuns: Number(text('--spend-runs', '3')) };
  const sqlite = await runDialect('sqlite', h, rows, o);
  load.push(loadavg().map((x) => round(x, 2)));
  let postgres: unknown =
    'skipped: VEIL_TEST_POSTGRES_URL is not set (source .ci/setup-postgres.sh to start a local server)';
  if (process.env.VEIL_TEST_POSTGRES_URL) {
    postgres = await runDialect('postgres', h, rows, o);
    load.push(loadavg().map((x) => round(x, 2)));
  } else {
    log(postgres as string);
  }
  const out = {
    bench: 'ledger',
    machine: machine(),
    commit: commit(),
    loadAverage1m5m15m: load,
    accounts: h.rows.length,
    events,
    spendsSeeded: rows.length,
    goal: { statusMs: 50 },
    sqlite,
    postgres,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
