/**
 * `veil audit show|export` (and `verify`, in audit-verify.ts): the ledger's tamper-evident audit log from the
 * command line (docs/ledger.md). The flags become the job's spec (src/jobs/ledger); this file renders the result.
 */
import { ConfigError } from '../../core/index.js';
import {
  AuditExportSpecSchema,
  AuditShowSpecSchema,
  runAuditExport,
  runAuditShow,
} from '../../jobs/index.js';
import type { AuditEntry } from '../../ledger/index.js';
import type { CommandResult } from '../output.js';
import { numberFlag as n, parseFlags, textFlag as t } from '../parse-flags.js';
import { ledgerOf } from './budget.js';

const line = (e: AuditEntry): string =>
  [
    `#${e.seq}`,
    e.at,
    e.actor,
    e.action,
    e.outcome,
    e.account ? `account=${e.account}` : '',
    e.dataset
      ? `dataset=${e.dataset
          .split(', ')
          .map((d) => d.split('@')[0])
          .join(',')}`
      : '',
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
  const { spec } = parseFlags(AuditShowSpecSchema, [
    n('--from', 'from', flags.from),
    n('--limit', 'limit', flags.limit),
    t('--account', 'account', flags.account),
    t('--dataset', 'dataset', flags.dataset),
    n('--entry', 'entry', flags.entry),
    {
      flag: '--proof',
      path: 'proof',
      raw: flags.proof,
      kind: 'boolean',
      allowed: '--entry N (the entry to prove)',
    },
  ]);
  const r = await runAuditShow(spec, ledgerOf(flags.db));
  if (r.kind === 'entry') {
    const { entry: e, proof } = r;
    if (!e)
      throw new ConfigError(
        [{ path: '--entry', value: spec.entry, allowed: 'the number of an entry in the log' }],
        'audit show',
      );
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
  const { entries, head } = r;
  return {
    summary: { ok: true, entries, head },
    text: [
      ...entries.map(line),
      head
        ? `${entries.length} shown; the log has ${head.size} entries (signed head ${head.root.slice(0, 16)}… at ${head.at})`
        : 'the audit log is empty',
    ],
  };
}

/** `veil audit export --out FILE [--force] [--db URL]`: entries, signed heads and the public key, for auditors. */
export async function auditExport(flags: {
  out?: string;
  force?: string | boolean;
  db?: string;
}): Promise<CommandResult> {
  const { spec, renamed } = parseFlags(AuditExportSpecSchema, [
    t('--out', 'out', flags.out),
    { flag: '--force', path: 'force', raw: flags.force, kind: 'boolean' },
  ]);
  const bundle = await runAuditExport(spec, ledgerOf(flags.db)).catch((err: unknown) => {
    throw renamed(err);
  });
  return {
    summary: {
      ok: true,
      out: spec.out,
      entries: bundle.entries.length,
      publicKey: bundle.publicKey,
      head: bundle.heads.at(-1),
    },
    text: [
      `exported ${bundle.entries.length} entries and ${bundle.heads.length} signed heads to ${spec.out}`,
      `public key ${bundle.publicKey} (key id ${bundle.keyId}): give it to the auditor through another channel`,
    ],
  };
}
