/**
 * Two-party protocols of `mpc` between two processes: the serving party hosts the relay (src/transport/relay)
 * on a mutual-TLS gRPC server and accepts one session; the joining party opens it. Both get an mpc Channel
 * and run the same protocol code as in one process. Also the one-command `--processes` mode: a throwaway
 * development CA and two certificates in a private temporary directory, the second party as a child process
 * of this one (`veil gc evaluate`, `veil psi join`), and its JSON result read back.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, ProtocolError } from '../../core/index.js';
import type { Channel } from '../../mpc/index.js';
import {
  type ClientTlsOptions,
  createRelayHost,
  hostService,
  initCa,
  issueCertificate,
  openRelayChannel,
  RelayService,
  type ServerTlsOptions,
  startServer,
} from '../../transport/index.js';

/** TLS files of one party, as the CLI's `--cert`, `--key`, `--ca` name them. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

const material = (f: TlsFiles): ServerTlsOptions & ClientTlsOptions => ({
  cert: { path: f.cert },
  key: { path: f.key },
  ca: { path: f.ca },
});

/** `HOST:PORT` (IPv6 in brackets) into its parts. */
export function parseListen(value: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new ConfigError(
      [{ path: flag, value, allowed: 'HOST:PORT, e.g. 0.0.0.0:7450 or 127.0.0.1:0' }],
      'command-line flags',
    );
  return { host: m[1] ?? m[2]!, port };
}

/**
 * Serves one session of `protocol`: starts the server, calls `listening` with its URL, accepts the first
 * client whose certificate chains to the CA, runs `body`, and closes everything.
 */
export async function serveOnce<T>(
  options: {
    listen: { host: string; port: number };
    tls: TlsFiles;
    protocol: string;
    timeoutMs?: number;
    listening?: (url: string, port: number) => void;
  },
  body: (ch: Channel) => Promise<T>,
): Promise<T> {
  const relay = createRelayHost({ maxSessions: 1 });
  const server = await startServer({
    host: options.listen.host,
    port: options.listen.port,
    tls: material(options.tls),
    services: [hostService(RelayService, relay.handler, { label: `${options.protocol} relay` })],
  }).catch((err: NodeJS.ErrnoException) => {
    if (err?.code === 'EADDRINUSE' || err?.code === 'EACCES' || err?.code === 'EADDRNOTAVAIL')
      throw new ConfigError(
        [
          {
            path: 'listen',
            value: `${options.listen.host}:${options.listen.port}`,
            allowed: `an address this process may listen on (${err.code})`,
          },
        ],
        'command-line flags',
      );
    throw err;
  });
  try {
    options.listening?.(server.url, server.port);
    const ch = await relay.accept({ protocol: options.protocol, timeoutMs: options.timeoutMs ?? 120_000 });
    try {
      return await body(ch);
    } finally {
      ch.close('done');
    }
  } finally {
    // let the peer's last poll see the close before the server goes
    await new Promise((r) => setTimeout(r, 200));
    relay.close('done');
    await server.close();
  }
}

/** Joins a session of `protocol` at `url` and runs `body`. */
export async function joinOnce<T>(
  options: { url: string; tls: TlsFiles; protocol: string; timeoutMs?: number },
  body: (ch: Channel) => Promise<T>,
): Promise<T> {
  const ch = await openRelayChannel({
    url: options.url,
    tls: material(options.tls),
    protocol: options.protocol,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  try {
    return await body(ch);
  } finally {
    ch.close('done');
    await ch.finished().catch(() => {});
  }
}

/** A throwaway CA with a server certificate and a client certificate, in a private temporary directory. */
export async function ephemeralPki(
  server: string,
  client: string,
): Promise<{ dir: string; server: TlsFiles; client: TlsFiles; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-pki-'));
  chmodSync(dir, 0o700);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const caDir = join(dir, 'ca');
    await initCa({ dir: caDir, name: 'veil-ephemeral-ca', validDays: 2 });
    const issue = async (name: string, role: 'coordinator' | 'node') => {
      const outDir = join(dir, name);
      mkdirSync(outDir);
      const c = await issueCertificate({
        caDir,
        name,
        role,
        outDir,
        validDays: 1,
        ...(role === 'coordinator' ? { hosts: ['localhost', '127.0.0.1'] } : {}),
      });
      return { cert: c.certPath, key: c.keyPath, ca: c.caCertPath };
    };
    return { dir, server: await issue(server, 'coordinator'), client: await issue(client, 'node'), remove };
  } catch (err) {
    remove();
    throw err;
  }
}

const VEIL_BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'veil');

/**
 * Runs `veil ARGS --json` as a child process and returns its one JSON object.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the child fails or prints no JSON object
 */
export function runVeilChild(
  args: readonly string[],
  label: string,
): { done: Promise<Record<string, unknown>>; kill: () => void } {
  const child = spawn(process.execPath, [VEIL_BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const done = new Promise<Record<string, unknown>>((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(out.trim().split('\n').pop() ?? '');
      } catch {
        parsed = undefined;
      }
      if (code === 0 && parsed) resolveDone(parsed);
      else {
        const why =
          (parsed?.['error'] as { message?: string } | undefined)?.message ??
          (err.trim().split('\n').pop() || `exit code ${code}`);
        reject(new ProtocolError(`the ${label} process failed: ${why}`, { peer: label }));
      }
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}
