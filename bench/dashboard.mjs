#!/usr/bin/env node
/**
 * The dashboard's cost: its bundle as the service sends it, and how long the overview page takes to load in
 * Chromium for a large organisation (1,000 budget accounts, 100,000 audit entries) and, as the anchor, for an
 * almost empty one (2 accounts). Prints one JSON object.
 *
 *   node bench/dashboard.mjs [--runs 7] [--entries 100000] [--no-build]
 *
 * - bundle: `npm run build:web`, then every file of web/dist the service serves, raw and gzipped (zlib level 9,
 *   as src/server/app/web.ts compresses it at start; files of 1 KiB or less go uncompressed), checked against the
 *   bytes a real `veil serve` sends for `Accept-Encoding: gzip`.
 * - prepare: `veil admin init --org acme` through the CLI, then the accounts, a few spends and the audit entries
 *   through the Ledger's own API (every entry signed and chained as in production: the log verifies). Cached
 *   under /tmp by VERSION: a rerun reuses it (the JSON says so, with the time the preparation first took).
 * - overview: `veil serve` on the ledger, one warm-up load then `--runs` loads, each in a fresh browser context
 *   with the admin's API key put in sessionStorage before the page's scripts run (as the sign-in form leaves it).
 *   Timed from navigation start to the first moment (a MutationObserver in the page) when the main element holds
 *   the four cards (Budgets, Jobs, Alerts, Audit log) and no "Loading" text. Each API call the page made is
 *   read from the Resource Timing API (start and duration, relative to navigation start).
 *
 * Needs Chromium: VEIL_CHROMIUM or /usr/bin/chromium.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { register } from 'tsx/esm/api';

register();

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VEIL = join(ROOT, 'bin/veil');
/** Bump when the prepared data changes: the cache is keyed by it. */
const VERSION = 'v1';
const CHROMIUM = process.env.VEIL_CHROMIUM || '/usr/bin/chromium';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 7));
const ENTRIES = Number(opt('entries', 100_000));
const BUILD = !args.includes('--no-build');
const log = (...m) => process.stderr.write(`${m.join(' ')}\n`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const r1 = (x) => (x === null || x === undefined ? x : Math.round(x * 10) / 10);

// ---- the bundle ----

function bundle() {
  let buildMs = null;
  if (BUILD) {
    const t = performance.now();
    execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    buildMs = performance.now() - t;
  }
  const dir = join(ROOT, 'web/dist');
  const files = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('.map')) {
        const body = readFileSync(path);
        const gz =
          body.length > 1024 && extname(name) !== '.png' ? gzipSync(body, { level: 9 }).length : null;
        files[`/${relative(dir, path).split(sep).join('/')}`] = { raw: body.length, gzip: gz };
      }
    }
  };
  walk(dir);
  const sum = (ext, k) =>
    Object.entries(files)
      .filter(([p]) => p.endsWith(ext))
      .reduce((a, [, f]) => a + (f[k] ?? f.raw), 0);
  return {
    build_ms: r1(buildMs),
    files,
    js: { raw: sum('.js', 'raw'), gzip: sum('.js', 'gzip') },
    css: { raw: sum('.css', 'raw'), gzip: sum('.css', 'gzip') },
    html: { raw: sum('.html', 'raw'), gzip: sum('.html', 'gzip') },
  };
}

/** Bytes on the wire for `path` with Accept-Encoding: gzip (node's fetch would decompress). */
function wireBytes(url, path) {
  return new Promise((ok, fail) => {
    const req = request(`${url}${path}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (d) => {
        n += d.length;
      });
      res.on('end', () =>
        ok({ status: res.statusCode, encoding: res.headers['content-encoding'] ?? null, bytes: n }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

// ---- the ledgers ----

const veil = (...a) =>
  JSON.parse(execFileSync(process.execPath, [VEIL, '--json', ...a], { cwd: ROOT, encoding: 'utf8' }));

async function prepare(kind) {
  const dir = join('/tmp', `veil-bench-dashboard-${VERSION}-${kind}${kind === 'large' ? `-${ENTRIES}` : ''}`);
  const done = join(dir, 'prepared.json');
  if (existsSync(done)) return { ...JSON.parse(readFileSync(done, 'utf8')), cached: true, dir };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = `sqlite:${join(dir, 'veil.db')}`;
  const t0 = performance.now();
  const { apiKey } = veil('admin', 'init', '--org', 'acme', '--db', db);
  const tInit = performance.now();
  const { Ledger } = await import('../src/ledger/index.ts');
  const { gaussianEvent } = await import('../src/accounting/index.ts');
  const ledger = await Ledger.open(db, { actor: 'bench' });
  const phases = { init_ms: tInit - t0 };
  let t = performance.now();
  await ledger.createAccount({ path: 'acme', epsilon: 1000, delta: 1e-4 });
  let accounts = 1;
  if (kind === 'empty') {
    await ledger.createAccount({ path: 'acme/ml', epsilon: 4, delta: 1e-5 });
    accounts++;
    await ledger.spend('acme/ml', [gaussianEvent({ sigma: 4 })], { purpose: 'bench' });
  } else {
    // 9 teams of 110 projects: 1 + 9 + 990 = 1,000 accounts
    for (let team = 0; team < 9; team++) {
      await ledger.createAccount({ path: `acme/team-${team}`, epsilon: 100, delta: 1e-5 });
      accounts++;
      for (let p = 0; p < 110; p++) {
        await ledger.createAccount({
          path: `acme/team-${team}/project-${String(p).padStart(3, '0')}`,
          epsilon: 10,
          delta: 1e-6,
        });
        accounts++;
      }
    }
    phases.accounts_ms = performance.now() - t;
    t = performance.now();
    // spends on a few projects (two of them among those the overview shows, one near its limit: an alert)
    const spends = [
      ['acme/team-0/project-000', 1.2, 12],
      ['acme/team-0/project-001', 2, 5],
      ['acme/team-3/project-050', 3, 10],
      ['acme/team-8/project-109', 1.5, 4],
    ];
    let n = 0;
    for (const [path, sigma, count] of spends)
      for (let i = 0; i < count; i++) {
        try {
          await ledger.spend(path, [gaussianEvent({ sigma })], { purpose: 'bench' });
          n++;
        } catch (err) {
          if (err.code !== 'VEIL_BUDGET_EXCEEDED') throw err;
          break; // the account is full (the refusal is audited too)
        }
      }
    phases.spends = n;
    phases.spends_ms = performance.now() - t;
  }
  t = performance.now();
  // the rest of the log: security events filed under the org's accounts, through the Ledger's own append (each
  // signed and chained; SQLite serialises writers, so concurrency does not help: measured, 2.5 ms either way)
  const existing = (await ledger.auditHead())?.size ?? 0;
  const events = kind === 'empty' ? 0 : ENTRIES - existing;
  for (let i = 0; i < events; i++) {
    await ledger.recordEvent({
      action: 'bench.event',
      outcome: 'recorded',
      account: `acme/team-${i % 9}/project-${String(i % 110).padStart(3, '0')}`,
      subject: `event-${i}`,
    });
    if (i % 10_000 === 9_999)
      log(`  ${kind}: ${i + 1} events, ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  phases.events = events;
  phases.events_ms = performance.now() - t;
  phases.events_per_s = events ? (events / (performance.now() - t)) * 1000 : null;
  t = performance.now();
  const verification = await ledger.verifyAudit();
  phases.verify_ms = performance.now() - t;
  const head = await ledger.auditHead();
  await ledger.close();
  const ok = verification.ok;
  if (!ok) throw new Error(`the prepared log does not verify: ${JSON.stringify(verification).slice(0, 500)}`);
  const out = {
    version: VERSION,
    db,
    apiKey,
    accounts,
    audit_entries: head?.size ?? 0,
    verified: ok,
    total_ms: performance.now() - t0,
    phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, r1(v)])),
    db_bytes: statSync(join(dir, 'veil.db')).size,
    prepared_at: new Date().toISOString(),
  };
  out.total_ms = r1(out.total_ms);
  writeFileSync(done, JSON.stringify(out, null, 2));
  return { ...out, cached: false, dir };
}

// ---- the service and the page ----

function serve(db) {
  const child = spawn(process.execPath, [VEIL, 'serve', '--db', db, '--listen', '127.0.0.1:0'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  const url = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`veil serve did not start: ${out}`)), 60_000);
    child.stderr.on('data', (d) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on('exit', (code) => fail(new Error(`veil serve exited ${code}: ${out}`)));
  });
  return { child, url };
}

// runs in the page before its scripts: the credential, and the moment the overview is complete
const INIT = (key) => `
sessionStorage.setItem('veil.credential', ${JSON.stringify(key)});
(() => {
  const cards = ['Budgets', 'Jobs', 'Alerts', 'Audit log'];
  const check = () => {
    if (window.__loadedAt !== undefined) return;
    const main = document.querySelector('main#main');
    if (!main || /Loading/.test(main.textContent)) return;
    if (!cards.every((c) => main.querySelector('section[aria-label="' + c + '"]'))) return;
    window.__loadedAt = performance.now();
    window.__errors = Array.from(main.querySelectorAll('[role=alert]')).map((e) => e.textContent);
    window.__text = main.textContent.slice(0, 600);
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
})();
`;

function endpoint(name) {
  const u = new URL(name);
  const p = u.pathname;
  if (p === '/v1/me') return 'me';
  if (p === '/v1/accounts') return 'accounts';
  if (p.startsWith('/v1/accounts/')) return 'account-status';
  if (p === '/v1/jobs') return 'jobs';
  if (p === '/v1/audit/entries') return 'audit-entries';
  return p;
}

async function overview(browser, url, key) {
  const loads = [];
  for (let run = 0; run <= RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(INIT(key));
    const page = await context.newPage();
    await page.goto(`${url}/#/`);
    await page.waitForFunction(() => window.__loadedAt !== undefined, null, { timeout: 60_000 });
    const m = await page.evaluate(() => ({
      loadedAt: window.__loadedAt,
      errors: window.__errors,
      text: window.__text,
      nav: performance.getEntriesByType('navigation').map((e) => ({
        responseEnd: e.responseEnd,
        domContentLoaded: e.domContentLoadedEventEnd,
      }))[0],
      resources: performance
        .getEntriesByType('resource')
        .map((e) => ({ name: e.name, start: e.startTime, duration: e.duration, end: e.responseEnd })),
    }));
    await context.close();
    if (m.errors.length) throw new Error(`the overview showed errors: ${m.errors.join('; ')}`);
    loads.push({ warmup: run === 0, ...m });
  }
  const timed = loads.filter((l) => !l.warmup);
  const ms = timed.map((l) => l.loadedAt);
  const requests = {};
  const slot = (key, count) => {
    requests[key] = requests[key] ?? { count, duration_ms: [], slowest_ms: [], start_ms: [], end_ms: [] };
    return requests[key];
  };
  for (const l of timed) {
    const api = l.resources.filter((r) => new URL(r.name).pathname.startsWith('/v1/'));
    const byKind = {};
    for (const r of api) {
      const k = endpoint(r.name);
      byKind[k] = [...(byKind[k] ?? []), r];
    }
    for (const [kind, rs] of Object.entries(byKind)) {
      const e = slot(kind, rs.length);
      e.duration_ms.push(...rs.map((r) => r.duration));
      e.slowest_ms.push(Math.max(...rs.map((r) => r.duration)));
      e.start_ms.push(Math.min(...rs.map((r) => r.start)));
      e.end_ms.push(Math.max(...rs.map((r) => r.end)));
    }
    for (const r of l.resources.filter((r) => !/^\/(v1|assets)\//.test(new URL(r.name).pathname))) {
      const e = slot(new URL(r.name).pathname, 1);
      e.duration_ms.push(r.duration);
      e.slowest_ms.push(r.duration);
      e.start_ms.push(r.start);
      e.end_ms.push(r.end);
    }
    const assets = l.resources.filter((r) => new URL(r.name).pathname.startsWith('/assets/'));
    const e = slot('assets (js, css)', assets.length);
    e.duration_ms.push(...assets.map((r) => r.duration));
    e.slowest_ms.push(Math.max(...assets.map((r) => r.duration)));
    e.start_ms.push(Math.min(...assets.map((r) => r.start)));
    e.end_ms.push(Math.max(...assets.map((r) => r.end)));
  }
  const summary = Object.fromEntries(
    Object.entries(requests).map(([k, v]) => [
      k,
      {
        count_per_load: v.count,
        median_duration_ms: r1(median(v.duration_ms)),
        median_slowest_ms: r1(median(v.slowest_ms)),
        max_duration_ms: r1(Math.max(...v.duration_ms)),
        median_first_start_ms: r1(median(v.start_ms)),
        median_last_end_ms: r1(median(v.end_ms)),
      },
    ]),
  );
  return {
    overview: {
      runs: timed.length,
      median_ms: r1(median(ms)),
      min_ms: r1(Math.min(...ms)),
      max_ms: r1(Math.max(...ms)),
      p_spread: Math.round((Math.max(...ms) / Math.min(...ms)) * 100) / 100,
      all_ms: ms.map(r1),
      warmup_ms: r1(loads[0].loadedAt),
      median_html_response_end_ms: r1(median(timed.map((l) => l.nav.responseEnd))),
      median_dom_content_loaded_ms: r1(median(timed.map((l) => l.nav.domContentLoaded))),
      page_text: timed.at(-1).text.replace(/\s+/g, ' ').slice(0, 300),
    },
    requests: summary,
  };
}

/**
 * Each API call of the overview alone (one at a time, from Node, keep-alive), median of RUNS after a warm-up:
 * what each costs the service without the others queued beside it on its one event loop.
 */
async function alone(url, key) {
  const headers = { authorization: `Bearer ${key}` };
  const get = async (path) => {
    const res = await fetch(`${url}${path}`, { headers });
    const body = await res.json();
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const me = await get('/v1/me');
  const accounts = (await get('/v1/accounts')).accounts;
  const below = accounts
    .filter((a) => a.path !== me.org)
    .sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.localeCompare(b.path));
  const paths = {
    '/v1/me': '/v1/me',
    '/v1/accounts': '/v1/accounts',
    'account-status (root)': `/v1/accounts/${me.org}?limit=1`,
    'account-status (first child)': `/v1/accounts/${below[0].path}?limit=1`,
    'account-status (deepest shown)': `/v1/accounts/${below[Math.min(11, below.length - 1)].path}?limit=1`,
    '/v1/jobs?state=running': '/v1/jobs?state=running&limit=20',
    '/v1/jobs': '/v1/jobs?limit=20',
    'audit-entries desc limit 1': '/v1/audit/entries?order=desc&limit=1',
  };
  const out = {};
  for (const [name, path] of Object.entries(paths)) {
    await get(path);
    const ms = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await get(path);
      ms.push(performance.now() - t);
    }
    out[name] = { median_ms: r1(median(ms)), min_ms: r1(Math.min(...ms)), max_ms: r1(Math.max(...ms)) };
  }
  return out;
}

async function measure(browser, prepared) {
  const s = serve(prepared.db);
  try {
    const url = await s.url;
    const page = await overview(browser, url, prepared.apiKey);
    return { url, ...page, alone: await alone(url, prepared.apiKey) };
  } finally {
    s.child.kill('SIGTERM');
  }
}

const result = { bench: 'dashboard', at: new Date().toISOString() };
log('building the dashboard…');
result.bundle = bundle();
log('preparing the ledgers (cached under /tmp by version)…');
const empty = await prepare('empty');
const large = await prepare('large');
const strip = ({ apiKey: _k, ...p }) => p;
result.prepare = { large: strip(large), empty: strip(empty) };

const chromiumVersion = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
result.machine = {
  nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
  cpu: cpus()[0]?.model,
  mem_gib: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  chromium: chromiumVersion,
  load_before: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
};
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  log('overview, empty organisation (anchor)…');
  const e = await measure(browser, empty);
  log('overview, 1,000 accounts / 100,000 entries…');
  const l = await measure(browser, large);
  // the bundle on the wire, from the last service
  const s = serve(large.db);
  try {
    const url = await s.url;
    result.bundle.wire = {};
    for (const p of Object.keys(result.bundle.files).filter((p) => p !== '/index.html'))
      result.bundle.wire[p] = await wireBytes(url, p);
    result.bundle.wire['/'] = await wireBytes(url, '/');
  } finally {
    s.child.kill('SIGTERM');
  }
  result.overview = l.overview;
  result.requests = l.requests;
  result.api_alone = l.alone;
  result.anchor_empty = { overview: e.overview, requests: e.requests, api_alone: e.alone };
  result.target = { overview_ms: 1000, met: l.overview.median_ms < 1000 && l.overview.max_ms < 1000 };
} finally {
  await browser.close();
}
result.machine.load_after = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
