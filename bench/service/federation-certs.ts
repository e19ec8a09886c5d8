/**
 * Certificates for `npm run -s bench -- service federation`: one development CA (`initCa`, as `veil certs init`),
 * a coordinator certificate and one node certificate per participant (`issueCertificate`, as `veil certs issue`),
 * kept in a cache directory between runs, since the coordinator counts a certificate's CN as one node (several
 * connections under one certificate would be one participant).
 *
 * `issueCertificate` costs ~45 ms a certificate on the 2-core machine (an ECDSA P-256 key, the signature, three
 * files written atomically with fsync) and rewrites the CA's `issued.json` register each time, so one CA directory
 * slows down as it grows (50 ms each over 1,000). The nodes are therefore issued in shards of
 * {@link SHARD_SIZE}: each shard directory holds a copy of the one CA (same key and certificate, so every node
 * chains to the CA the coordinator trusts) with its own register, and shards are issued by
 * {@link ISSUE_PROCESSES} child processes in parallel. Layout: `<dir>/ca/` (the CA), `<dir>/coord/`
 * (coordinator.crt, .key), `<dir>/sNNN/` (node-NNNNN.crt, .key; `ca/` the shard's CA copy; `done` once complete).
 *
 * Run as a child (`node --import tsx federation-certs.ts --issue DIR SHARD...`) it issues those shards.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initCa, issueCertificate } from '../../src/transport/index.js';

/** Node certificates per shard directory. */
export const SHARD_SIZE = 250;
/** Child processes issuing shards at once. */
export const ISSUE_PROCESSES = 4;

/** The name of node `i` (0-based). */
export const nodeName = (i: number): string => `node-${String(i).padStart(5, '0')}`;
/** The shard directory (relative to the cache) of node `i`. */
export const shardOf = (i: number): string => `s${String(Math.floor(i / SHARD_SIZE)).padStart(3, '0')}`;

/** What {@link ensureCertificates} did. */
export interface CertificateSetup {
  readonly dir: string;
  readonly nodes: number;
  /** Node certificates issued in this run (0: all from the cache). */
  readonly issuedNow: number;
  readonly seconds: number;
  /** Wall-clock milliseconds per certificate issued now (parallel), null when none was. */
  readonly msPerCertificate: number | null;
  readonly processes: number;
}

/** Makes sure `dir` holds the CA, the coordinator's certificate and at least `nodes` node certificates. */
export async function ensureCertificates(
  dir: string,
  nodes: number,
  log: (s: string) => void,
): Promise<CertificateSetup> {
  const t0 = performance.now();
  if (!existsSync(join(dir, 'ca', 'ca.key'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await initCa({ dir: join(dir, 'ca'), name: 'veil-bench-ca' });
    await issueCertificate({
      caDir: join(dir, 'ca'),
      name: 'coordinator',
      role: 'coordinator',
      hosts: ['localhost', '127.0.0.1'],
      outDir: join(dir, 'coord'),
    });
  }
  const shards = Math.ceil(nodes / SHARD_SIZE);
  const missing: string[] = [];
  for (let s = 0; s < shards; s++) {
    const shard = shardOf(s * SHARD_SIZE);
    if (!existsSync(join(dir, shard, 'done'))) missing.push(shard);
  }
  if (missing.length > 0) {
    log(
      `federation: issuing ${missing.length * SHARD_SIZE} node certificates (${missing.length} shards) in ${dir}`,
    );
    const groups: string[][] = Array.from({ length: ISSUE_PROCESSES }, () => []);
    missing.forEach((s, i) => groups[i % ISSUE_PROCESSES]!.push(s));
    await Promise.all(
      groups
        .filter((g) => g.length > 0)
        .map(
          (g) =>
            new Promise<void>((resolve, reject) => {
              const child = spawn(
                process.execPath,
                ['--import', 'tsx', import.meta.filename, '--issue', dir, ...g],
                { stdio: ['ignore', 'ignore', 'inherit'] },
              );
              child.once('error', reject);
              child.once('exit', (code) =>
                code === 0 ? resolve() : reject(new Error(`certificate issuance exited ${code}`)),
              );
            }),
        ),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const issuedNow = missing.length * SHARD_SIZE;
  return {
    dir,
    nodes,
    issuedNow,
    seconds: Math.round(seconds * 10) / 10,
    msPerCertificate: issuedNow > 0 ? Math.round(((seconds * 1000) / issuedNow) * 100) / 100 : null,
    processes: Math.min(ISSUE_PROCESSES, missing.length),
  };
}

/** Issues the nodes of `shard` (a fresh copy of the CA with its own register). */
async function issueShard(dir: string, shard: string): Promise<void> {
  const out = join(dir, shard);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'ca'), { recursive: true, mode: 0o700 });
  for (const f of ['ca.crt', 'ca.key', 'crl.pem']) copyFileSync(join(dir, 'ca', f), join(out, 'ca', f));
  const first = Number(shard.slice(1)) * SHARD_SIZE;
  for (let i = first; i < first + SHARD_SIZE; i++) {
    await issueCertificate({ caDir: join(out, 'ca'), name: nodeName(i), role: 'node', outDir: out });
  }
  writeFileSync(join(out, 'done'), `${SHARD_SIZE}\n`);
}

if (process.argv[2] === '--issue') {
  const [dir, ...shards] = process.argv.slice(3);
  for (const shard of shards) await issueShard(dir!, shard);
}
