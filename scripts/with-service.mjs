#!/usr/bin/env node
// Runs a command against a live Veil service started for it: a fresh SQLite ledger in a temporary directory,
// `veil admin init --org acme`, then `veil serve --listen 127.0.0.1:0` as its own process. The command gets
//   VEIL_URL      the service's base URL (http://127.0.0.1:PORT)
//   VEIL_API_KEY  the organisation's administrator key
//   VEIL_ORG      the organisation (acme)
//   VEIL_DATASETS the shared test datasets (../shared/datasets), when they are there
// and its exit status becomes this script's. The service and the directory are removed afterwards.
//
//   node scripts/with-service.mjs -- /usr/bin/python3 -m unittest discover -s sdk/python/tests
//
// Used by `npm run test:sdk` (the Python and R SDK tests) so that they talk to a real server over real sockets.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const veil = join(root, 'bin/veil');
const sep = process.argv.indexOf('--');
const command = sep === -1 ? process.argv.slice(2) : process.argv.slice(sep + 1);
if (command.length === 0) {
  console.error('usage: node scripts/with-service.mjs -- COMMAND [ARGS...]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'veil-with-service-'));
const db = `sqlite:${join(dir, 'veil.db')}`;
const init = JSON.parse(
  execFileSync(process.execPath, [veil, '--json', 'admin', 'init', '--org', 'acme', '--db', db], {
    encoding: 'utf8',
  }),
);
const serve = spawn(process.execPath, [veil, 'serve', '--db', db, '--listen', '127.0.0.1:0'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
const cleanup = () => {
  serve.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const url = await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error(`veil serve did not start within 60 s:\n${log}`)), 60_000);
  serve.stderr.on('data', (d) => {
    log += d.toString();
    const m = /listening on (https?:\/\/\S+) /.exec(log);
    if (m) {
      clearTimeout(timer);
      ok(m[1]);
    }
  });
  serve.on('exit', (code) => fail(new Error(`veil serve exited with ${code}:\n${log}`)));
}).catch((e) => {
  console.error(e.message);
  cleanup();
  process.exit(1);
});

const datasets = resolve(root, '../shared/datasets');
const child = spawn(command[0], command.slice(1), {
  stdio: 'inherit',
  env: {
    ...process.env,
    VEIL_URL: url,
    VEIL_API_KEY: init.apiKey,
    VEIL_ORG: init.org,
    ...(existsSync(datasets) ? { VEIL_DATASETS: datasets } : {}),
  },
});
child.on('exit', (code, signal) => {
  if (code !== 0 && process.env.VEIL_SERVICE_LOG) console.error(log);
  cleanup();
  process.exit(code ?? (signal ? 1 : 0));
});
