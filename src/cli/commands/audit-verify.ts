/**
 * `veil audit verify`: verifies entries, hash chain, signed tree heads and a witness's head of the ledger's log or
 * of an export (docs/ledger.md), and exits 6 when anything fails. The flags become the job's spec
 * (src/jobs/ledger); this file renders the result.
 */
import { readFileSync } from 'node:fs';
import type { ConfigIssue } from '../../core/index.js';
import { AuditVerifySpecSchema, runAuditVerify } from '../../jobs/index.js';
import type { AuditVerification, LedgerVerification } from '../../ledger/index.js';
import { EXIT } from '../exit-codes.js';
import type { CommandResult } from '../output.js';
import { parseFlags, readJsonFlag } from '../parse-flags.js';
import { ledgerOf } from './budget.js';

function verificationText(r: AuditVerification | LedgerVerification, what: string): string[] {
  const budget = 'budget' in r ? r.budget : null;
  const logText =
    r.problems.length === 0
      ? [
          `${what} verified: ${r.size} entries, hash chain and every signed tree head check out`,
          r.head
            ? `newest signed head: size ${r.head.size}, root ${r.head.root}, key ${r.head.keyId}, at ${r.head.at}`
            : '',
        ]
      : [
          `${what} FAILED verification: ${r.firstBad ? `first bad entry ${r.firstBad.seq}: ${r.firstBad.reason}` : 'see below'}`,
          ...r.problems.map((x) => `  - ${x}`),
        ];
  const budgetText =
    budget === null
      ? []
      : budget.ok
        ? [
            `budget state verified: the tables match the log's ${budget.accounts} account(s) and ${budget.spends} spend(s)`,
          ]
        : [
            `budget state FAILED verification: ${budget.firstBad ? (budget.firstBad.account === '' ? budget.firstBad.reason : `account "${budget.firstBad.account}": ${budget.firstBad.reason}`) : 'see below'}`,
            ...budget.problems.map((x) => `  - ${x}`),
          ];
  return [...logText, ...budgetText].filter((x) => x !== '');
}

/** A public key given as hex or as a file holding hex (or a Veil key/export JSON with `publicKey`); else as given. */
function publicKeyArg(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const asHex = (s: string) => (/^[0-9a-f]{64}$/i.test(s.trim()) ? s.trim() : undefined);
  const direct = asHex(value);
  if (direct) return direct;
  try {
    const text = readFileSync(value, 'utf8');
    const fromText = asHex(text);
    if (fromText) return fromText;
    const json = JSON.parse(text) as { publicKey?: unknown };
    const fromJson = typeof json.publicKey === 'string' ? asHex(json.publicKey) : undefined;
    if (fromJson) return fromJson;
  } catch {
    // not a file holding a key: the spec refuses the text as given
  }
  return value;
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
  const issues: ConfigIssue[] = [];
  const bundle = readJsonFlag('--bundle', flags.bundle, 'a readable export from veil audit export', issues);
  if (flags.witness !== undefined && flags.bundle === undefined)
    issues.push({ path: '--witness', value: flags.witness, allowed: 'only with --bundle' });
  const witness = readJsonFlag('--witness', flags.witness, 'a signed tree head JSON file', issues);
  const fromExport = flags.bundle !== undefined;
  const { spec } = parseFlags(
    AuditVerifySpecSchema,
    [
      {
        flag: '--public-key',
        path: 'trustedPublicKey',
        raw: flags.publicKey,
        kind: 'text',
        renameOnly: true,
        allowed: "64 hex digits, or a file holding them (or JSON with 'publicKey')",
      },
      { flag: '--bundle', path: 'source.bundle', raw: flags.bundle, kind: 'text', renameOnly: true },
      { flag: '--witness', path: 'source.witness', raw: flags.witness, kind: 'text', renameOnly: true },
    ],
    {
      values: {
        trustedPublicKey: publicKeyArg(flags.publicKey),
        ...(fromExport ? { source: { kind: 'export', bundle, witness } } : {}),
      },
      issues,
    },
  );
  const result = await runAuditVerify(spec, ledgerOf(flags.db));
  const notes =
    fromExport && spec.trustedPublicKey === undefined
      ? [
          "note: checked against the export's own public key, which shows it is consistent, not who signed it; pass --public-key",
        ]
      : [];
  return {
    summary: { ok: result.ok, verification: result },
    text: [...verificationText(result, fromExport ? 'exported audit log' : 'audit log'), ...notes],
    ...(result.ok ? {} : { exitCode: EXIT.integrity }),
  };
}
