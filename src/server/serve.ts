/**
 * `veil serve` and `veil admin init`: the service on an address (plain HTTP on loopback, or HTTPS with a
 * certificate), refusing to start on a database without an administrator, and stopping gracefully on SIGTERM or
 * SIGINT (no new work, running jobs given time and then released to the queue, the ledger closed).
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../core/index.js';
import { openStores, openVeilService, type ServiceOptions, type VeilService } from './app/service.js';

/** What `veil admin init` prints: the organisation and its administrator's key (shown once, never stored). */
export interface AdminInit {
  readonly org: string;
  readonly principal: string;
  readonly apiKey: string;
}

/**
 * Creates organisation `org` and its first administrator; returns the administrator's API key.
 * @throws {HttpError} 400 invalid_name, 409 org_exists (from the identity store)
 */
export async function adminInit(db: string, org: string, operator: string): Promise<AdminInit> {
  const stores = await openStores(db);
  try {
    const r = await stores.identity.initOrganisation(org, operator);
    return { org: r.org, principal: r.principal.id, apiKey: r.apiKey };
  } finally {
    await stores.ledger.close();
  }
}

export interface ServeOptions extends ServiceOptions {
  readonly host: string;
  readonly port: number;
  /** PEM files for HTTPS; both or neither. */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

export interface Serving {
  readonly url: string;
  readonly service: VeilService;
  close(graceMs?: number): Promise<void>;
}

/**
 * Opens the service and listens.
 * @throws {ConfigError} at `db` when no administrator exists yet (run `veil admin init --org ORG` first), for
 *   unreadable TLS files, or what {@link openVeilService} throws
 */
export async function serve(o: ServeOptions): Promise<Serving> {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
    throw new ConfigError(
      [
        {
          path: o.tlsCert ? '--tls-key' : '--tls-cert',
          value: undefined,
          allowed: 'both --tls-cert and --tls-key, or neither',
        },
      ],
      'serve',
    );
  const tls =
    o.tlsCert && o.tlsKey
      ? { cert: readPem(o.tlsCert, '--tls-cert'), key: readPem(o.tlsKey, '--tls-key') }
      : null;
  if (o.dataDir !== undefined) checkDataDir(o.dataDir);
  const service = await openVeilService(o);
  try {
    if (!(await service.hasAdmin()))
      throw new ConfigError(
        [
          {
            path: '--db',
            value: o.db,
            allowed:
              'a database with an administrator: run `veil admin init --org ORG --db …` first (it prints the first API key)',
          },
        ],
        'serve',
      );
    const app = service.app;
    if (tls) {
      // Fastify's HTTPS server is chosen at construction; here the app is plain: put it behind node:https
      const { createServer } = await import('node:https');
      const server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
        app.routing(req, res);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      return {
        url: `https://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
        service,
        close: async (graceMs) => {
          await new Promise<void>((r) => server.close(() => r()));
          await service.close(graceMs);
        },
      };
    }
    await app.listen({ host: o.host, port: o.port });
    const port = (app.server.address() as AddressInfo).port;
    return {
      url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
      service,
      close: (graceMs) => service.close(graceMs),
    };
  } catch (err) {
    await service.close(0);
    throw err;
  }
}

/** The data directory: created (0700) when missing; refused when it is a file or cannot be written. */
function checkDataDir(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error('it is a file');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new ConfigError(
      [{ path: '--data-dir', value: dir, allowed: `a directory Veil can write (${(err as Error).message})` }],
      'serve',
    );
  }
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      [{ path: flag, value: path, allowed: `a readable PEM file (${(err as Error).message})` }],
      'serve',
    );
  }
}
