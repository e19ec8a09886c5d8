/**
 * `veil serve` (the HTTP service) and `veil admin init` (an organisation and its first administrator key): the
 * server face does the work; this renders it and turns its refusals into flag errors.
 */
import { ConfigError } from '../../core/index.js';
import { ledgerUrl } from '../../jobs/index.js';
import { adminInit, parseOidcConfig, serve } from '../../server/index.js';
import { HttpError } from '../../transport/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

const CONTEXT = 'command-line flags';

function parseListen(text: string | undefined): { host: string; port: number } {
  if (text === undefined) return { host: '127.0.0.1', port: 8080 };
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new ConfigError(
      [{ path: '--listen', value: text, allowed: 'HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)' }],
      CONTEXT,
    );
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** `--coordinator-ports`: one port (`7443`) or an inclusive range (`7443-7450`) within 1..65535. */
export function parsePortRange(text: string | undefined): readonly [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  const from = m ? Number(m[1]) : Number.NaN;
  const to = m ? Number(m[2] ?? m[1]) : Number.NaN;
  if (!(from >= 1 && to <= 65535 && from <= to))
    throw new ConfigError(
      [
        {
          path: '--coordinator-ports',
          value: text,
          allowed: 'a port or an inclusive range FROM-TO within 1..65535, FROM <= TO, e.g. 7443-7450',
        },
      ],
      CONTEXT,
    );
  return [from, to];
}

function positiveInt(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ConfigError([{ path: flag, value: text, allowed: `an integer in [1, ${max}]` }], CONTEXT);
  return n;
}

/** `veil admin init --org ORG [--db URL]`. */
export async function adminInitCommand(flags: { org?: string; db?: string }): Promise<CommandResult> {
  if (!flags.org)
    throw new ConfigError(
      [{ path: '--org', value: undefined, allowed: 'the new organisation, e.g. acme' }],
      CONTEXT,
    );
  const db = ledgerUrl(flags.db);
  try {
    const r = await adminInit(db, flags.org, process.env['USER'] || 'operator');
    return {
      summary: { org: r.org, apiKey: r.apiKey, principal: r.principal },
      text: [
        `organisation ${r.org} created with its administrator (principal ${r.principal})`,
        `API key (shown once; only its hash is stored): ${r.apiKey}`,
      ],
    };
  } catch (err) {
    if (err instanceof HttpError)
      throw new ConfigError(
        [
          {
            path: '--org',
            value: flags.org,
            allowed: err.code === 'org_exists' ? 'a new organisation (this one exists)' : err.message,
          },
        ],
        CONTEXT,
      );
    throw err;
  }
}

/** `veil serve [--db URL] [--listen HOST:PORT] [--tls-cert F --tls-key F] [--data-dir D] [--oidc-issuer U --oidc-audience A [--oidc-client-id C]] [--slots N] [--rate-limit N] [--coordinator-ports FROM-TO] [--no-jobs]`. */
export async function serveCommand(
  flags: {
    db?: string;
    listen?: string;
    tlsCert?: string;
    tlsKey?: string;
    dataDir?: string;
    oidcIssuer?: string;
    oidcAudience?: string;
    oidcClientId?: string;
    slots?: string;
    jobs?: boolean;
    rateLimit?: string;
    coordinatorPorts?: string;
  },
  _global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  const { host, port } = parseListen(flags.listen);
  const db = ledgerUrl(flags.db);
  const oidc =
    flags.oidcIssuer || flags.oidcAudience
      ? parseOidcConfig({ issuer: flags.oidcIssuer, audience: flags.oidcAudience })
      : undefined;
  if (flags.oidcClientId !== undefined && (!oidc || !/^[\x21-\x7e]{1,200}$/.test(flags.oidcClientId)))
    throw new ConfigError(
      [
        {
          path: '--oidc-client-id',
          value: flags.oidcClientId,
          allowed: oidc
            ? '1 to 200 printable characters without spaces'
            : 'only with --oidc-issuer and --oidc-audience',
        },
      ],
      CONTEXT,
    );
  const slots = positiveInt('--slots', flags.slots, 64);
  const rateLimit = positiveInt('--rate-limit', flags.rateLimit, 10_000_000);
  const coordinatorPorts = parsePortRange(flags.coordinatorPorts);
  const log = (line: string) => io.stderr(`veil serve: ${line}\n`);
  const serving = await serve({
    db,
    host,
    port,
    ...(flags.tlsCert ? { tlsCert: flags.tlsCert } : {}),
    ...(flags.tlsKey ? { tlsKey: flags.tlsKey } : {}),
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    ...(oidc ? { oidc } : {}),
    ...(flags.oidcClientId ? { oidcClientId: flags.oidcClientId } : {}),
    ...(slots === undefined ? {} : { slots }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(coordinatorPorts === undefined ? {} : { coordinatorPorts }),
    ...(flags.jobs === false ? { runJobs: false } : {}),
    log: (line) => io.stderr(`${JSON.stringify(line)}\n`),
  });
  const box = serving.service.context;
  log(
    `listening on ${serving.url} (dashboard ${serving.url}/, API description ${serving.url}/openapi.json, reference ${serving.url}/docs)`,
  );
  log(
    `ledger ${db}; data directory ${box.dataDir}; jobs ${serving.service.runner ? `run here (${slots ?? 2} slots)` : 'run by veil worker processes'}`,
  );
  if (!process.env['VEIL_KEK'] && !process.env['VEIL_KEK_FILE'])
    log(
      'no key-encryption key (VEIL_KEK / VEIL_KEK_FILE): service secrets are stored unencrypted in the database (docs/server.md)',
    );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: stopping (no new requests; running jobs get 10 s, then go back to the queue)`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await serving.close(10_000);
  return { summary: { ok: true, url: serving.url }, text: ['veil serve stopped'] };
}
