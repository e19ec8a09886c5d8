/**
 * `veil cleanroom serve|keygen|measure|attest|details|formats|upload|confirm|status|samples|stats` (docs/cleanroom.md).
 * `serve` runs the room (src/jobs/cleanroom/serve.ts) until SIGINT/SIGTERM; the party commands verify the
 * room's attestation and configuration (CleanroomClient) before anything else, and refuse with the reason.
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  CleanroomClient,
  type CleanroomClientOptions,
  roomPcrs,
  type StatsQuery,
} from '../../cleanroom/index.js';
import { ConfigError, ERROR_CODES, type ErrorCode, ensureDirectory } from '../../core/index.js';
import { ledgerAt, ledgerUrl, readRuntimeConfig, runCleanroomServeJob } from '../../jobs/index.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { FlagParser } from '../flags.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

const CONTEXT = 'command-line flags';

function required(flag: string, value: string | undefined, allowed: string): string {
  if (value === undefined || value === '')
    throw new ConfigError([{ path: `--${flag}`, value: undefined, allowed }], CONTEXT);
  return value;
}

function readFlagFile(flag: string, path: string, allowed: string): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new Error('a directory, not a file');
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      [{ path: `--${flag}`, value: path, allowed: `${allowed} (${(err as Error).message})` }],
      CONTEXT,
    );
  }
}

/** A PEM certificate file given by `--flag`. */
function readCertificate(flag: string, path: string, allowed: string): string {
  const pem = readFlagFile(flag, path, `${allowed} (PEM)`).toString('utf8');
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(
      [
        {
          path: `--${flag}`,
          value: path,
          allowed: `${allowed}: a PEM certificate (-----BEGIN CERTIFICATE-----)`,
        },
      ],
      CONTEXT,
    );
  }
  return pem;
}

/** HOST:PORT, default 127.0.0.1:7700. */
function parseListen(text: string | undefined): { host: string; port: number } {
  if (text === undefined) return { host: '127.0.0.1', port: 7700 };
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new ConfigError(
      [{ path: '--listen', value: text, allowed: 'HOST:PORT, e.g. 127.0.0.1:7700 (port 0: any free port)' }],
      CONTEXT,
    );
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** `veil cleanroom serve`. */
export async function cleanroomServe(
  flags: { config?: string; listen?: string; db?: string; devRoot?: string },
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  const config = required('config', flags.config, 'the room configuration, runtime.yaml');
  const { host, port } = parseListen(flags.listen);
  const log = (line: string) => io.stderr(`veil cleanroom: ${line}\n`);
  const abort = new AbortController();
  const stop = (signal: string) => {
    log(
      `${signal}: stopping (uploads and the join are in memory only and are gone; the ledger keeps what was spent)`,
    );
    abort.abort(signal);
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  try {
    const summary = await runCleanroomServeJob(
      { config, host, port, ...(flags.devRoot ? { devRoot: flags.devRoot } : {}) },
      {
        ledger: ledgerAt(ledgerUrl(flags.db), { name: '--db' }),
        principal: process.env['USER'] || 'cli',
        ...(global.seed === undefined ? {} : { seed: global.seed }),
        progress: (e) => {
          if (e.kind === 'note' || e.kind === 'warning' || e.kind === 'ledger') log(e.message);
        },
        signal: abort.signal,
        onListening: (room) => {
          log(
            `room ${room.config.room} listening on ${room.url} (SIMULATED enclave: parties pass --allow-simulated ${room.rootFile}; PCR0 ${room.pcrs[0]})`,
          );
        },
      },
    );
    return {
      summary: { ok: true, ...summary },
      text: [`clean room stopped at stage ${String(summary['stage'])}`],
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND')
      throw new ConfigError(
        [
          {
            path: '--listen',
            value: flags.listen ?? '127.0.0.1:7700',
            allowed: `an address this machine can listen on (${code}: ${(err as Error).message})`,
          },
        ],
        CONTEXT,
      );
    throw err;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** `veil cleanroom keygen --name NAME [--dir DIR] [--type ed25519|rsa]`: a party's signing key pair. */
export function cleanroomKeygen(flags: {
  name?: string;
  dir?: string;
  type?: string;
  force?: true;
}): CommandResult {
  const name = required('name', flags.name, "the party's name in runtime.yaml");
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(name))
    throw new ConfigError(
      [
        {
          path: '--name',
          value: name,
          allowed: "lower-case letters, digits and '-', starting with a letter",
        },
      ],
      CONTEXT,
    );
  const f = new FlagParser();
  const type = f.choice('type', flags.type, ['ed25519', 'rsa'] as const, 'ed25519');
  f.done();
  const dir = flags.dir ?? '.';
  const keyFile = join(dir, `${name}.key`);
  const pubFile = join(dir, `${name}.pub.pem`);
  if (!flags.force && (existsSync(keyFile) || existsSync(pubFile)))
    throw new ConfigError(
      [
        {
          path: '--name',
          value: name,
          allowed: `a name whose ${keyFile} / ${pubFile} do not exist yet (or --force)`,
        },
      ],
      CONTEXT,
    );
  const pair =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 3072 }) : generateKeyPairSync('ed25519');
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  try {
    ensureDirectory(dir); // one level at a time: Node 20's recursive mkdir spins under /proc
    writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(keyFile, 0o600); // `mode` applies only to a new file: --force over a 0644 key must not keep 0644
    writeFileSync(pubFile, publicPem);
  } catch (err) {
    throw new ConfigError(
      [{ path: '--dir', value: dir, allowed: `a writable directory (${(err as Error).message})` }],
      CONTEXT,
    );
  }
  return {
    summary: {
      ok: true,
      party: name,
      type,
      privateKey: keyFile,
      publicKey: pubFile,
      publicKeyPem: publicPem,
    },
    text: [
      `${type} key pair for ${name}: ${keyFile} (private, 0600), ${pubFile}`,
      'for runtime.yaml:',
      publicPem.trim(),
    ],
  };
}

/** `veil cleanroom measure --config runtime.yaml`: the PCRs a room running this code and configuration attests. */
export function cleanroomMeasure(flags: { config?: string }): CommandResult {
  const path = required('config', flags.config, 'the room configuration, runtime.yaml');
  const { bytes, config } = readRuntimeConfig(path);
  const pcrs = roomPcrs(bytes);
  return {
    summary: { ok: true, room: config.room, pcrs },
    text: [`room ${config.room}:`, ...Object.entries(pcrs).map(([k, v]) => `  PCR${k} ${v}`)],
  };
}

interface ClientFlags {
  url?: string;
  key?: string;
  party?: string;
  expectPcr0?: string;
  expectPcr?: string[];
  expectConfig?: string;
  maxEpsilon?: string;
  allowSimulated?: string;
  root?: string;
}

const HEX48 = /^[0-9a-fA-F]{96}$/;

function clientOf(flags: ClientFlags): CleanroomClient {
  const url = required('url', flags.url, 'the clean room URL, e.g. http://127.0.0.1:7700');
  const keyFile = required('key', flags.key, "the party's private key file (veil cleanroom keygen)");
  const privateKey = readFlagFile('key', keyFile, 'a PKCS#8 PEM private key').toString('utf8');
  const f = new FlagParser();
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // refused below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    f.problem('--url', url, 'an http:// or https:// URL of a clean room, e.g. http://127.0.0.1:7700');
  try {
    createPrivateKey(privateKey);
  } catch {
    f.problem('--key', keyFile, 'a PKCS#8 PEM private key, Ed25519 or RSA (veil cleanroom keygen)');
  }
  const expectPcrs: Record<number, string> = {};
  if (flags.expectPcr0 !== undefined) {
    if (!HEX48.test(flags.expectPcr0))
      f.problem('--expect-pcr0', flags.expectPcr0, 'a SHA-384 value, 96 hex digits');
    else expectPcrs[0] = flags.expectPcr0.toLowerCase();
  }
  for (const e of flags.expectPcr ?? []) {
    const m = /^(\d{1,2})=([0-9a-fA-F]{96})$/.exec(e);
    if (!m || Number(m[1]) > 31) f.problem('--expect-pcr', e, 'N=HEX: a PCR index 0-31 and 96 hex digits');
    else if (expectPcrs[Number(m[1])] !== undefined && expectPcrs[Number(m[1])] !== m[2]!.toLowerCase())
      f.problem('--expect-pcr', e, `one value per PCR (PCR${m[1]} is already expected to be another value)`);
    else expectPcrs[Number(m[1])] = m[2]!.toLowerCase();
  }
  if (flags.expectConfig && expectPcrs[2] !== undefined)
    f.problem('--expect-pcr', `2=${expectPcrs[2]}`, 'no PCR2 with --expect-config (PCR2 is its SHA-384)');
  const maxEpsilon = f.optionalNumber('max-epsilon', flags.maxEpsilon, { kind: 'positive' });
  f.done();
  const options: CleanroomClientOptions = {
    url,
    party: flags.party ?? basename(keyFile).replace(/\.(key|pem)$/, ''),
    privateKey,
    expectPcrs,
    ...(flags.expectConfig
      ? { expectConfig: readFlagFile('expect-config', flags.expectConfig, 'the runtime.yaml you agreed to') }
      : {}),
    ...(maxEpsilon !== undefined ? { maxEpsilon } : {}),
    ...(flags.allowSimulated
      ? {
          allowSimulatedRoots: [
            readCertificate(
              'allow-simulated',
              flags.allowSimulated,
              "a simulated enclave's root certificate",
            ),
          ],
        }
      : {}),
    ...(flags.root ? { roots: [readCertificate('root', flags.root, 'a root certificate')] } : {}),
  };
  return new CleanroomClient(options);
}

/** `veil cleanroom attest` / `details`: the verified attestation and configuration. */
export async function cleanroomAttest(flags: ClientFlags): Promise<CommandResult> {
  const room = await clientOf(flags).attest();
  const a = room.attestation;
  return {
    summary: {
      ok: true,
      platform: a.platform,
      moduleId: a.moduleId,
      timestamp: a.timestamp.toISOString(),
      pcrs: a.pcrs,
      publicKey: a.publicKey,
      room: room.details.room,
      budget: room.details.budget,
    },
    text: [
      `attestation verified: ${a.platform === 'simulated' ? 'SIMULATED enclave (development only)' : 'AWS Nitro enclave'} ${a.moduleId}`,
      ...Object.entries(a.pcrs).map(([k, v]) => `  PCR${k} ${v}`),
      `room ${room.details.room}: configuration matches PCR2`,
    ],
  };
}

/** `veil cleanroom details`. */
export async function cleanroomDetails(flags: ClientFlags): Promise<CommandResult> {
  const room = await clientOf(flags).attest();
  return {
    summary: { ok: true, ...room.details, platform: room.attestation.platform },
    text: [room.details.runtimeYaml.trimEnd(), `budget: ${JSON.stringify(room.details.budget)}`],
  };
}

/** `veil cleanroom formats`. */
export async function cleanroomFormats(flags: ClientFlags): Promise<CommandResult> {
  const client = clientOf(flags);
  await client.attest();
  const formats = await client.formats();
  return { summary: { ok: true, ...formats }, text: [JSON.stringify(formats, null, 2)] };
}

/** `veil cleanroom upload --data FILE`. */
export async function cleanroomUpload(flags: ClientFlags & { data?: string }): Promise<CommandResult> {
  const file = required('data', flags.data, 'the CSV to upload');
  const csv = readFlagFile('data', file, 'a readable CSV file');
  const confirmation = await clientOf(flags).upload(csv);
  return {
    summary: { ok: true, ...confirmation },
    text: [
      `uploaded ${confirmation.rows} rows (fingerprint ${confirmation.fingerprint}, schema ${confirmation.schema})`,
    ],
  };
}

/** `veil cleanroom confirm`. */
export async function cleanroomConfirm(flags: ClientFlags): Promise<CommandResult> {
  const client = clientOf(flags);
  await client.attest();
  const c = await client.confirm();
  return {
    summary: { ok: true, ...c },
    text: [`${c.party}: ${c.rows} rows received, fingerprint ${c.fingerprint}, schema ${c.schema}`],
  };
}

/** `veil cleanroom status [--wait]`. */
export async function cleanroomStatus(flags: ClientFlags & { wait?: true }): Promise<CommandResult> {
  const client = clientOf(flags);
  await client.attest();
  const s = flags.wait ? await client.waitReady() : await client.status();
  return {
    summary: { ok: s.stage !== 'failed', ...s },
    text: [
      `room ${s.room}: ${s.stage}${s.failure ? ` (${s.failure})` : ''}`,
      ...s.parties.map((p) => `  ${p.name}: ${p.uploaded ? 'uploaded' : 'waiting'}`),
    ],
    // a failed fit: the exit code of its error code (a budget refusal is 4, an empty join 3, ...)
    ...(s.stage === 'failed'
      ? {
          exitCode:
            s.failure !== null && s.failure in ERROR_CODES
              ? exitCodeFor(s.failure as ErrorCode)
              : EXIT.internal,
        }
      : {}),
  };
}

/** `veil cleanroom samples --out FILE [--force]`. */
export async function cleanroomSamples(
  flags: ClientFlags & { out?: string; force?: true },
): Promise<CommandResult> {
  const out = required('out', flags.out, 'the CSV file to write the samples to');
  if (!flags.force && existsSync(out))
    throw new ConfigError(
      [{ path: '--out', value: out, allowed: 'a file that does not exist yet (or --force)' }],
      CONTEXT,
    );
  // before asking the room (which records the samples as served): a file we can write
  const where = outProblem(out);
  if (where)
    throw new ConfigError([{ path: '--out', value: out, allowed: `a writable file (${where})` }], CONTEXT);
  const client = clientOf(flags);
  await client.attest();
  const csv = await client.samples();
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, csv);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ConfigError(
      [{ path: '--out', value: out, allowed: `a writable file (${(err as Error).message})` }],
      CONTEXT,
    );
  }
  const rows = csv.trimEnd().split('\n').length - 1;
  return { summary: { ok: true, out, rows }, text: [`wrote ${rows} synthetic rows to ${out}`] };
}

/** Why `out` cannot be written (a directory, or in a folder that does not exist), or null. */
function outProblem(out: string): string | null {
  try {
    if (statSync(out).isDirectory()) return 'it is a directory';
  } catch {
    // does not exist yet: its folder must
  }
  try {
    if (!statSync(dirname(out)).isDirectory()) return `${dirname(out)} is not a directory`;
  } catch {
    return `the directory ${dirname(out)} does not exist`;
  }
  return null;
}

/** `veil cleanroom stats --kind count|sum|histogram [--column C] --epsilon E`. */
export async function cleanroomStats(
  flags: ClientFlags & { kind?: string; column?: string; epsilon?: string },
): Promise<CommandResult> {
  const f = new FlagParser();
  const kind = f.choice('kind', flags.kind, ['count', 'sum', 'histogram'] as const, 'count');
  const epsilon = f.number('epsilon', flags.epsilon, { kind: 'positive' });
  if (kind !== 'count' && !flags.column)
    f.problem('--column', undefined, `the column to ${kind === 'sum' ? 'sum' : 'bin'}`);
  f.done();
  const query: StatsQuery = kind === 'count' ? { kind, epsilon } : { kind, column: flags.column!, epsilon };
  const client = clientOf(flags);
  await client.attest();
  const out = await client.stats(query);
  return {
    summary: { ok: true, ...out },
    text: [
      `${kind}${'column' in query ? ` of ${query.column}` : ''} at epsilon ${epsilon}: ${
        Array.isArray(out.value)
          ? out.value.map((v, i) => `${out.bins?.[i] ?? i}=${v}`).join(', ')
          : out.value
      }`,
    ],
  };
}
