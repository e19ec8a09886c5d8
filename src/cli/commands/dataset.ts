/**
 * `veil dataset register|list|check`: datasets and their consent terms from the command line (docs/ledger.md).
 * The flags become the job's spec (src/jobs/ledger); this file renders the result.
 */
import {
  DatasetCheckSpecSchema,
  DatasetRegisterSpecSchema,
  runDatasetCheck,
  runDatasetList,
  runDatasetRegister,
} from '../../jobs/index.js';
import type { CommandResult } from '../output.js';
import { parseFlags, textFlag as t } from '../parse-flags.js';
import { ledgerOf } from './budget.js';

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
  const { spec, renamed } = parseFlags(DatasetRegisterSpecSchema, [
    t('NAME', 'name', name),
    t('--file', 'file', flags.file),
    {
      flag: '--purpose',
      path: 'purposes',
      raw: flags.purpose,
      kind: 'text',
      allowed: 'at least one allowed purpose (repeat --purpose for more)',
    },
    t('--retain-until', 'retainUntil', flags.retainUntil),
    t('--constraint', 'constraints', flags.constraint),
    t('--description', 'description', flags.description),
  ]);
  const d = await runDatasetRegister(spec, ledgerOf(flags.db)).catch((err: unknown) => {
    throw renamed(err);
  });
  // Registered as asked (the owner may be recording expired terms on purpose), but said: no use will be allowed.
  const expired = d.retainUntil !== null && Date.parse(d.retainUntil) < Date.now();
  const warnings = expired
    ? [
        `the retention date ${d.retainUntil} is in the past: every use of ${d.name} will be refused until its owner registers new terms`,
      ]
    : [];
  return {
    summary: { ok: true, dataset: d, ...(warnings.length ? { warnings } : {}) },
    text: [
      `dataset ${d.name} (${d.fingerprint}) may be used for: ${d.purposes.map((x) => `"${x}"`).join(', ')}` +
        (d.retainUntil ? `, until ${d.retainUntil}` : ''),
      ...(d.constraints.length ? [`constraints: ${d.constraints.join('; ')}`] : []),
      ...warnings.map((w) => `warning: ${w}`),
    ],
  };
}

/** `veil dataset list [--db URL]`. */
export async function datasetList(flags: { db?: string }): Promise<CommandResult> {
  const datasets = await runDatasetList(ledgerOf(flags.db));
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
  const { spec, renamed } = parseFlags(DatasetCheckSpecSchema, [
    t('NAME', 'name', name),
    t('--purpose', 'purpose', flags.purpose),
    t('--file', 'file', flags.file),
  ]);
  const d = await runDatasetCheck(spec, ledgerOf(flags.db)).catch((err: unknown) => {
    throw renamed(err);
  });
  return {
    summary: { ok: true, dataset: d, purpose: spec.purpose, fingerprintChecked: spec.file !== undefined },
    text: [
      `allowed: dataset ${d.name} may be used for "${spec.purpose}"${spec.file ? ' and the file is the registered data' : ''} (recorded in the audit log)`,
    ],
  };
}
