/**
 * `veil audit show|verify|export` and `veil dataset register|list|check`: the ledger's tamper-evident audit log
 * and the datasets' consent terms from the command line (docs/ledger.md). `veil audit verify` exits 6 when
 * anything fails to verify.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../../core/index.js';
import { withLedger } from '../../jobs/index.js';
import {
  type AuditEntry,
  type AuditExport,
  type AuditVerification,
  fingerprintFile,
  type SignedTreeHead,
  verifyAuditExport,
} from '../../ledger/index.js';
import { EXIT } from '../exit-codes.js';
import { FlagParser } from '../flags.js';
import type { CommandResult } from '../output.js';

const line = (e: AuditEntry): string =>
  [
    `#${e.seq}`,
    e.at,
    e.actor,
    e.action,
    e.outcome,
    e.account ? `account=${e.account}` : '',
    e.dataset ? `dataset=${e.dataset.split('@')[0]}` : '',
    e.purpose ? `purpose="${e.purpose}"` : '',
    e.events ? `events=${e.events.map((x) => x.kind).join('+')}` : '',
    typeof e.detail.reason === 'string' ? `reason=${e.detail.reason}` : '',
  ]
    .filter((x) => x !== '')
    .join(' ');

/** `veil audit show [--from N] [--limit N] [--account A] [--dataset D] [--entry N [--proof]] [--db URL]`. */
export async function auditShow(flags: {
  from?: string;
  limit?: string;
  account?: string;
  dataset?: string;
  entry?: string;
  proof?: string | boolean;
  db?: string;
}): Promise<CommandResult> {
  const p = new FlagParser();
  const from = p.optionalNumber('from', flags.from, { kind: 'integer', min: 0 }, 0);
  const limit = p.optionalNumber('limit', flags.limit, { kind: 'integer', min: 1 }, 50);
  const entry =
    flags.entry === undefined ? undefined : p.number('entry', flags.entry, { kind: 'integer', min: 0 });
  if (flags.proof && entry === undefined) p.problem('--proof', true, '--entry N (the entry to prove)');
  p.done();
  return withLedger(flags.db, async (l) => {
    if (entry !== undefined) {
      const [e] = await l.auditEntries({ from: entry, limit: 1 });
      if (e?.seq !== entry) {
        throw new ConfigError(
          [{ path: '--entry', value: entry, allowed: 'the number of an entry in the log' }],
          'audit show',
        );
      }
      const proof = flags.proof ? await l.inclusionProof(entry) : null;
      return {
        summary: { ok: true, entry: e, ...(proof ? { proof } : {}) },
        text: [
          line(e),
          `  detail ${JSON.stringify(e.detail)}`,
          `  leaf ${e.leafHash}`,
          ...(proof
            ? [
                `  included in the signed tree head of size ${proof.head.size} (root ${proof.head.root}), audit path:`,
                ...proof.proof.map((h) => `    ${h}`),
              ]
            : []),
        ],
      };
    }
    const entries = await l.auditEntries({
      from,
      limit,
      ...(flags.account !== undefined ? { account: flags.account } : {}),
      ...(flags.dataset !== undefined ? { dataset: flags.dataset } : {}),
    });
    const head = await l.auditHead();
    return {
      summary: { ok: true, entries, head },
      text: [
        ...entries.map(line),
        head
          ? `${entries.length} shown; the log has ${head.size} entries (signed head ${head.root.slice(0, 16)}… at ${head.at})`
          : 'the audit log is empty',
      ],
    };
  });
}

function verificationText(r: AuditVerification, what: string): string[] {
  if (r.ok) {
    return [
      `${what} verified: ${r.size} entries, hash chain and every signed tree head check out`,
      r.head
        ? `newest signed head: size ${r.head.size}, root ${r.head.root}, key ${r.head.keyId}, at ${r.head.at}`
        : '',
    ].filter((x) => x !== '');
  }
  return [
    `${what} FAILED verification: ${r.firstBad ? `first bad entry ${r.firstBad.seq}: ${r.firstBad.reason}` : 'see below'}`,
    ...r.problems.map((x) => `  - ${x}`),
  ];
}

/** Reads a public key given as hex or as a file holding hex (or a Veil key/export JSON with `publicKey`). */
function publicKeyArg(p: FlagParser, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const asHex = (s: string) => (/^[0-9a-f]{64}$/i.test(s.trim()) ? s.trim().toLowerCase() : undefined);
  const direct = asHex(value);
  if (direct) return direct;
  try {
    const text = readFileSync(value, 'utf8');
    const fromText = asHex(text);
    if (fromText) return fromText;
    const json = JSON.parse(text) as { publicKey?: unknown };
    if (typeof json.publicKey === 'string' && asHex(json.publicKey)) return asHex(json.publicKey);
  } catch {
    // fall through to the problem below
  }
  p.problem('--public-key', value, "64 hex digits, or a file holding them (or JSON with 'publicKey')");
  return undefined;
}

/**
 * `veil audit verify [--public-key HEX|FILE] [--bundle FILE [--witness FILE]] [--db URL]`: verifies the ledger's
 * log (or an export), exiting 6 when anything fails.
 */
export async function auditVerify(flags: {
  publicKey?: string;
  bundle?: string;
  witness?: string;
  db?: string;
}): Promise<CommandResult> {
  const p = new FlagParser();
  const trustedPublicKey = publicKeyArg(p, flags.publicKey);
  let bundle: AuditExport | undefined;
  let witness: SignedTreeHead | null = null;
  if (flags.bundle !== undefined) {
    try {
      bundle = JSON.parse(readFileSync(flags.bundle, 'utf8')) as AuditExport;
    } catch (err) {
      p.problem(
        '--bundle',
        flags.bundle,
        `a readable export from veil audit export (${(err as Error).message})`,
      );
    }
  }
  if (flags.witness !== undefined) {
    if (flags.bundle === undefined) p.problem('--witness', flags.witness, 'only with --bundle');
    try {
      witness = JSON.parse(readFileSync(flags.witness, 'utf8')) as SignedTreeHead;
    } catch (err) {
      p.problem('--witness', flags.witness, `a signed tree head JSON file (${(err as Error).message})`);
    }
  }
  p.done();
  let result: AuditVerification;
  const notes: string[] = [];
  if (bundle) {
    result = await verifyAuditExport(bundle, { ...(trustedPublicKey ? { trustedPublicKey } : {}), witness });
    if (!trustedPublicKey) {
      notes.push(
        "note: checked against the export's own public key, which shows it is consistent, not who signed it; pass --public-key",
      );
    }
  } else {
    result = await withLedger(flags.db, (l) => l.verifyAudit(trustedPublicKey ? { trustedPublicKey } : {}));
  }
  return {
    summary: { ok: result.ok, verification: result },
    text: [...verificationText(result, bundle ? 'exported audit log' : 'audit log'), ...notes],
    ...(result.ok ? {} : { exitCode: EXIT.integrity }),
  };
}

/** `veil audit export --out FILE [--force] [--db URL]`: entries, signed heads and the public key, for auditors. */
export async function auditExport(flags: {
  out?: string;
  force?: string | boolean;
  db?: string;
}): Promise<CommandResult> {
  const p = new FlagParser();
  if (!flags.out) p.problem('--out', flags.out, 'the file to write the export to');
  else if (existsSync(flags.out) && !flags.force)
    p.problem('--out', flags.out, 'a new file (or --force to replace it)');
  p.done();
  const bundle = await withLedger(flags.db, (l) => l.exportAudit());
  mkdirSync(dirname(flags.out!), { recursive: true });
  writeFileSync(flags.out!, `${JSON.stringify(bundle)}\n`);
  const head = bundle.heads.at(-1);
  return {
    summary: { ok: true, out: flags.out, entries: bundle.entries.length, publicKey: bundle.publicKey, head },
    text: [
      `exported ${bundle.entries.length} entries and ${bundle.heads.length} signed heads to ${flags.out}`,
      `public key ${bundle.publicKey} (key id ${bundle.keyId}): give it to the auditor through another channel`,
    ],
  };
}

/**
 * `veil dataset register NAME --file PATH --purpose P [--purpose P…] [--retain-until DATE] [--constraint C…]
 * [--description TEXT] [--db URL]`: fingerprints the file (SHA-256 of its bytes) and records its consent terms.
 */
export async function datasetRegister(
  name: string | undefined,
  flags: {
    file?: string;
    purpose?: string[];
    retainUntil?: string;
    constraint?: string[];
    description?: string;
    db?: string;
  },
): Promise<CommandResult> {
  const p = new FlagParser();
  if (!name) p.problem('NAME', name, "the dataset's name, e.g. 'adult-2024'");
  if (!flags.file) p.problem('--file', flags.file, 'the data file to fingerprint');
  if (!flags.purpose || flags.purpose.length === 0) {
    p.problem('--purpose', undefined, 'at least one allowed purpose (repeat --purpose for more)');
  }
  p.done();
  const fingerprint = await fingerprintFile(flags.file!);
  const d = await withLedger(flags.db, (l) =>
    l.registerDataset({
      name: name!,
      fingerprint,
      purposes: flags.purpose!,
      retainUntil: flags.retainUntil ?? null,
      constraints: flags.constraint ?? [],
      description: flags.description ?? '',
    }),
  );
  return {
    summary: { ok: true, dataset: d },
    text: [
      `dataset ${d.name} (${d.fingerprint}) may be used for: ${d.purposes.map((x) => `"${x}"`).join(', ')}` +
        (d.retainUntil ? `, until ${d.retainUntil}` : ''),
      ...(d.constraints.length ? [`constraints: ${d.constraints.join('; ')}`] : []),
    ],
  };
}

/** `veil dataset list [--db URL]`. */
export async function datasetList(flags: { db?: string }): Promise<CommandResult> {
  const datasets = await withLedger(flags.db, (l) => l.datasets());
  return {
    summary: { ok: true, datasets },
    text: datasets.length
      ? datasets.map(
          (d) =>
            `${d.name} ${d.fingerprint.slice(0, 19)}… purposes: ${d.purposes.join('; ')}${d.retainUntil ? `; until ${d.retainUntil}` : ''}`,
        )
      : ['no datasets registered (veil dataset register NAME --file PATH --purpose P)'],
  };
}

/**
 * `veil dataset check NAME --purpose P [--file PATH] [--db URL]`: whether the terms allow the use now (and, with
 * --file, whether the file is the registered data). Audited either way; exits 7 (consent) or 6 (fingerprint).
 */
export async function datasetCheck(
  name: string | undefined,
  flags: { purpose?: string; file?: string; db?: string },
): Promise<CommandResult> {
  const p = new FlagParser();
  if (!name) p.problem('NAME', name, 'a registered dataset');
  if (!flags.purpose) p.problem('--purpose', flags.purpose, 'the purpose of the intended use');
  p.done();
  const d = await withLedger(flags.db, (l) =>
    l.authorize(name!, flags.purpose!, flags.file ? { fingerprint: () => fingerprintFile(flags.file!) } : {}),
  );
  return {
    summary: { ok: true, dataset: d, purpose: flags.purpose, fingerprintChecked: flags.file !== undefined },
    text: [
      `allowed: dataset ${d.name} may be used for "${flags.purpose}"${flags.file ? ' and the file is the registered data' : ''} (recorded in the audit log)`,
    ],
  };
}
