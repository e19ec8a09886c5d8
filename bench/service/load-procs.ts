/**
 * The processes of the `api` part of `npm run bench -- service` (bench/service/api.ts): a `veil serve` child with
 * its stderr in a file (its URL read from there) and its CPU time read from /proc, and one run of the open-loop
 * load generator (bench/service/load-gen.ts) as a separate process.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadConfig, LoadResult } from './load-gen.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '..', '..');
/** The `veil` command of this checkout. */
export const BIN = join(ROOT, 'bin', 'veil');

/** A command's trimmed output, or 'unavailable'. */
export function shell(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unavailable';
  }
}

/** A running `veil serve`. */
export interface Server {
  readonly url: string;
  /** CPU seconds (user + system, all threads) the server process has used so far (/proc/PID/stat). */
  cpuSeconds(): number;
  /** SIGTERM, then waits for the exit (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

/** Starts `veil serve` in `dir` (its cwd: a PostgreSQL ledger's audit key goes there); stderr to a file. */
export async function startServe(db: string, dir: string, profileDir: string | null): Promise<Server> {
  const errFile = join(dir, `serve-${Date.now()}.stderr`);
  const fd = openSync(errFile, 'a');
  const args = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    BIN,
    'serve',
    '--db',
    db,
    '--listen',
    '127.0.0.1:0',
    '--rate-limit',
    '10000000',
    ...(db.startsWith('postgres') ? ['--no-jobs'] : []),
  ];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(readFileSync(errFile, 'utf8'));
    if (m) {
      const url = m[1]!;
      return {
        url,
        cpuSeconds: () => processCpuSeconds(child.pid!),
        async stop() {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`veil serve did not start:\n${readFileSync(errFile, 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CLOCK_TICKS = Number(shell('getconf', ['CLK_TCK'])) || 100;

function processCpuSeconds(pid: number): number {
  try {
    // fields after the command's closing parenthesis: state is 3rd; utime and stime are the 14th and 15th
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** One constant-rate load from a separate generator process. */
export function load(config: LoadConfig): Promise<LoadResult> {
  const args = ['--import', 'tsx', join(here, 'load-gen.ts'), JSON.stringify(config)];
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`load generator failed: ${err.message}\n${stderr}`));
      else resolvePromise(JSON.parse(stdout) as LoadResult);
    });
  });
}
