/**
 * `veil certs init|issue|revoke|list`: the development CA (docs/federated.md). For development and tests only —
 * its key is a file protected by permissions alone; production federations bring their own PKI.
 */
import { existsSync, statSync } from 'node:fs';
import { ConfigError, type InvalidParameterDetails, InvalidParameterError } from '../../core/index.js';
import {
  type CertificateRole,
  initCa,
  issueCertificate,
  listCertificates,
  REVOCATION_REASONS,
  type RevocationReason,
  revokeCertificate,
} from '../../transport/index.js';
import { FlagParser } from '../flags.js';
import type { CommandResult } from '../output.js';

const NOTE =
  'development CA: for tests and pilots only; bring your own PKI in production (docs/federated.md)';

const CONTEXT = 'command-line flags';

/**
 * Runs the CA function `fn`, reporting its refusals under the flags its parameters came from (`caDir` is
 * `--ca`), and a file-system error while writing under `writes` (the directory it creates).
 */
async function withFlags<T>(
  fn: string,
  flags: Readonly<Record<string, string>>,
  writes: { readonly flag: string; readonly value: string },
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof InvalidParameterError) {
      const d = err.details as unknown as InvalidParameterDetails;
      const flag = flags[d.param];
      if (d.fn === fn && flag)
        throw new ConfigError([{ path: flag, value: d.value, allowed: d.allowed }], CONTEXT);
    }
    if (err instanceof ConfigError) {
      const flagOf = (path: string) =>
        path.startsWith(`${fn}.`) ? flags[path.slice(fn.length + 1)] : undefined;
      if (err.issues.some((i) => flagOf(i.path)))
        throw new ConfigError(
          err.issues.map((i) => ({ ...i, path: flagOf(i.path) ?? i.path })),
          CONTEXT,
        );
    }
    const code = (err as { code?: unknown }).code;
    if (err instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code))
      throw new ConfigError(
        [{ path: writes.flag, value: writes.value, allowed: `a directory Veil can write (${err.message})` }],
        CONTEXT,
      );
    throw err;
  }
}

/** A directory flag's value: refused when it names an existing file. */
function notAFile(flag: string, dir: string, allowed: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new ConfigError([{ path: flag, value: dir, allowed: `${allowed} (it is a file)` }], CONTEXT);
}

function required(flag: string, value: string | undefined, allowed: string): string {
  if (value === undefined || value === '') {
    throw new ConfigError([{ path: flag, value: undefined, allowed }], CONTEXT);
  }
  return value;
}

/** `veil certs init --dir DIR [--name NAME] [--days N]`. */
export async function certsInit(flags: {
  dir?: string;
  name?: string;
  days?: string;
}): Promise<CommandResult> {
  const dir = required('--dir', flags.dir, 'the directory for the new CA (must not hold one)');
  const p = new FlagParser();
  const days = p.optionalNumber('days', flags.days, { kind: 'integer', min: 1, max: 36500 });
  p.done();
  notAFile('--dir', dir, 'a directory for the new CA');
  const ca = await withFlags(
    'initCa',
    { dir: '--dir', name: '--name', validDays: '--days' },
    { flag: '--dir', value: dir },
    () => initCa({ dir, name: flags.name ?? 'veil-dev-ca', ...(days ? { validDays: days } : {}) }),
  );
  return {
    summary: { ok: true, ca: { ...ca, notAfter: ca.notAfter.toISOString() }, note: NOTE },
    text: [
      `created CA "${ca.name}" in ${dir}`,
      `  certificate ${ca.certPath}`,
      `  key         ${ca.keyPath} (mode 0600: keep it secret)`,
      `  CRL         ${ca.crlPath}`,
      `  fingerprint ${ca.fingerprint}`,
      NOTE,
    ],
  };
}

/** `veil certs issue --ca DIR --name NAME --role node|coordinator [--hosts h1,h2] [--out DIR] [--days N]`. */
export async function certsIssue(flags: {
  ca?: string;
  name?: string;
  role?: string;
  hosts?: string;
  out?: string;
  days?: string;
}): Promise<CommandResult> {
  const caDir = required('--ca', flags.ca, 'the CA directory made by `veil certs init`');
  const name = required('--name', flags.name, "the certificate's subject (the node's id in the federation)");
  const p = new FlagParser();
  const role = p.choice('role', flags.role, ['node', 'coordinator'] as const, 'node') as CertificateRole;
  const days = p.optionalNumber('days', flags.days, { kind: 'integer', min: 1, max: 3650 });
  p.done();
  const hosts = flags.hosts
    ?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const outDir = flags.out ?? name;
  notAFile('--out', outDir, 'a directory for the certificate');
  const cert = await withFlags(
    'issueCertificate',
    { caDir: '--ca', outDir: '--out', name: '--name', role: '--role', validDays: '--days', hosts: '--hosts' },
    { flag: '--out', value: outDir },
    () =>
      issueCertificate({
        caDir,
        name,
        role,
        outDir,
        ...(hosts?.length ? { hosts } : {}),
        ...(days ? { validDays: days } : {}),
      }),
  );
  return {
    summary: {
      ok: true,
      certificate: {
        ...cert,
        notBefore: cert.notBefore.toISOString(),
        notAfter: cert.notAfter.toISOString(),
      },
      note: NOTE,
    },
    text: [
      `issued ${role} certificate "${name}" (serial ${cert.serial})`,
      `  certificate ${cert.certPath}`,
      `  key         ${cert.keyPath} (mode 0600)`,
      `  CA          ${cert.caCertPath}`,
      ...(role === 'coordinator' ? [`  hosts       ${cert.hosts.join(', ')}`] : []),
      `  valid until ${cert.notAfter.toISOString()}`,
    ],
  };
}

/** `veil certs revoke --ca DIR (--name NAME | --serial HEX) [--reason R]`. */
export async function certsRevoke(flags: {
  ca?: string;
  name?: string;
  serial?: string;
  reason?: string;
}): Promise<CommandResult> {
  const caDir = required('--ca', flags.ca, 'the CA directory made by `veil certs init`');
  const p = new FlagParser();
  const reason = p.choice(
    'reason',
    flags.reason,
    REVOCATION_REASONS,
    'privilegeWithdrawn',
  ) as RevocationReason;
  p.done();
  if ((flags.name === undefined) === (flags.serial === undefined)) {
    throw new ConfigError(
      [
        {
          path: '--name/--serial',
          value: flags.name ?? flags.serial,
          allowed: 'exactly one of --name NAME or --serial HEX',
        },
      ],
      CONTEXT,
    );
  }
  const result = await withFlags(
    'revokeCertificate',
    { caDir: '--ca', name: '--name', serial: '--serial', reason: '--reason' },
    { flag: '--ca', value: caDir },
    () =>
      revokeCertificate(
        flags.name !== undefined
          ? { caDir, name: flags.name, reason }
          : { caDir, serial: flags.serial!, reason },
      ),
  );
  return {
    summary: { ok: true, revoked: result.serials, crl: result.crlPath },
    text: [
      `revoked ${result.serials.length} certificate(s): ${result.serials.join(', ')}`,
      `  CRL rewritten: ${result.crlPath}`,
      '  a coordinator whose tls.crl is this file re-reads it within a second (or on SIGHUP); copy it there otherwise',
    ],
  };
}

/** `veil certs list --ca DIR`. */
export async function certsList(flags: { ca?: string }): Promise<CommandResult> {
  const caDir = required('--ca', flags.ca, 'the CA directory made by `veil certs init`');
  const list = await withFlags('listCertificates', { caDir: '--ca' }, { flag: '--ca', value: caDir }, () =>
    listCertificates({ caDir }),
  );
  return {
    summary: {
      ok: true,
      certificates: list.map((c) => ({
        ...c,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        ...(c.revokedAt ? { revokedAt: c.revokedAt.toISOString() } : {}),
      })),
    },
    text: list.length
      ? list.map(
          (c) =>
            `${c.name.padEnd(24)} ${c.role.padEnd(11)} serial ${c.serial}  until ${c.notAfter.toISOString().slice(0, 10)}${c.revoked ? '  REVOKED' : ''}${c.expired ? '  EXPIRED' : ''}`,
        )
      : ['no certificates issued yet'],
  };
}
