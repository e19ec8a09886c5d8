/**
 * A node's DP synthetic samples for the coordinator (node config `synth:`, docs/federated.md §5.4).
 *
 * Order, so that no privacy is spent for nothing:
 * 1. ask the coordinator's terms (does it collect samples, how many rows, which columns): a refusal ends the job
 *    before anything is charged;
 * 2. samples generated before (a restart, another coordinator) are sent as they are, at no new cost:
 *    `<stateDir>/synthetic/` holds the CSV and a note of what it is and which coordinators have it (the ledger's
 *    record of the CSV, by its hash, when the note was never written);
 * 3. otherwise the `veil synth` job fits the method on the node's records (`data.rows`, or every data row),
 *    charged to the node's ledger account (its local-DP account: synthesis and training share one budget) after
 *    every check, and writes the CSV;
 * 4. the CSV goes to the coordinator once; the note says so.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, IntegrityError } from '../../core/index.js';
import { type SamplesClient, sampleTerms, sendSamples, termsProblem } from '../../fl/index.js';
import { readCsvTable } from '../../ml/index.js';
import type { JobContext } from '../context.js';
import { parseSpec } from '../spec.js';
import { findSynthRelease } from '../synth/provenance.js';
import { runSynthJob } from '../synth/run.js';
import { SynthSpecSchema } from '../synth/spec.js';
import type { NodeFile } from './config.js';

/** What a node did with its synthetic samples. */
export interface SharedSamples {
  readonly file: string;
  readonly rows: number;
  readonly method: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly sha256: string;
  /** The ledger spend that paid for them (null: found again after a restart without a new spend). */
  readonly spend: { readonly id: number; readonly account: string } | null;
  /** `sent` now, or `already sent` by an earlier run. */
  readonly status: 'sent' | 'already sent';
  /** What the coordinator answered. */
  readonly reply: string;
}

/** The note kept beside the CSV: what it is and whether the coordinator has it. */
interface SamplesNote {
  readonly sha256: string;
  readonly method: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly rows: number;
  readonly spend: { readonly id: number; readonly account: string } | null;
  /** The coordinators (URLs) that have them. */
  readonly sentTo: readonly string[];
}

/**
 * Generates (or finds again) this node's synthetic samples and sends them to the coordinator.
 * @throws {ConfigError} at `synth` when the coordinator's terms refuse them (nothing charged), or for the synth
 *   job's own refusals (bad domain, cells outside it; nothing charged)
 * @throws {IntegrityError} when the coordinator refuses samples already paid for (they are kept for a retry)
 */
export async function shareSamples(
  file: NodeFile & { readonly synth: NonNullable<NodeFile['synth']> },
  client: SamplesClient,
  account: string,
  ctx: JobContext & { readonly log: (line: string) => void },
): Promise<SharedSamples> {
  const s = file.synth;
  if (file.data.kind !== 'csv')
    throw new ConfigError(
      [{ path: 'synth', value: file.data.kind, allowed: 'used with CSV data' }],
      'node configuration',
    );
  const header = readCsvTable({ path: file.data.path }, 'veil node').header;
  const terms = await sampleTerms(client);
  const problem = termsProblem(terms, { header, rows: s.rows });
  if (problem)
    throw new ConfigError(
      [{ path: 'synth', value: { rows: s.rows }, allowed: `samples the coordinator takes: ${problem}` }],
      'node configuration',
    );

  const dir = join(file.stateDir, 'synthetic');
  const csvPath = join(dir, 'samples.csv');
  const notePath = join(dir, 'samples.json');
  mkdirSync(dir, { recursive: true });
  let note = await earlierSamples(csvPath, notePath, file, ctx);
  if (note?.sentTo.includes(file.coordinator)) {
    ctx.log(`synthetic samples already sent to ${file.coordinator} (${note.rows} rows, ${csvPath})`);
    return summary(note, csvPath, 'already sent', 'sent by an earlier run');
  }
  if (!note) {
    ctx.log(`fitting ${s.method} at epsilon ${s.epsilon}, delta ${s.delta} on this node's records`);
    const spec = parseSpec(
      SynthSpecSchema,
      {
        data: file.data.path,
        domain: s.domain,
        method: s.method,
        epsilon: s.epsilon,
        delta: s.delta,
        rows: s.rows,
        out: csvPath,
        force: true,
        ...(file.data.rows ? { records: file.data.rows } : {}),
        ledger: { account, purpose: `synthetic samples for the federation at ${file.coordinator}` },
      },
      'node configuration synth',
    );
    const { ledger } = await runSynthJob(spec, ctx);
    note = {
      sha256: sha256(readFileSync(csvPath)),
      method: s.method,
      epsilon: s.epsilon,
      delta: s.delta,
      rows: s.rows,
      spend: ledger?.spend ?? null,
      sentTo: [],
    };
    writeNote(notePath, note);
  }
  const reply = await sendSamples(client, {
    csv: readFileSync(csvPath),
    method: note.method,
    epsilon: note.epsilon,
    delta: note.delta,
    rows: note.rows,
  });
  if (!reply.accepted)
    throw new IntegrityError(
      `the coordinator refused this node's synthetic samples (${reply.reason}); they stay in ${csvPath}, and a restart sends them again at no new privacy cost`,
    );
  writeNote(notePath, { ...note, sentTo: [...note.sentTo, file.coordinator] });
  ctx.log(`synthetic samples sent: ${note.rows} rows (${reply.reason})`);
  return summary(note, csvPath, 'sent', reply.reason);
}

/** Samples an earlier run generated (its note, or the ledger's record of the CSV when the note was never written). */
async function earlierSamples(
  csvPath: string,
  notePath: string,
  file: NodeFile & { readonly synth: NonNullable<NodeFile['synth']> },
  ctx: JobContext,
): Promise<SamplesNote | null> {
  if (!existsSync(csvPath)) return null;
  const hash = sha256(readFileSync(csvPath));
  if (existsSync(notePath)) {
    const note = JSON.parse(readFileSync(notePath, 'utf8')) as SamplesNote;
    if (note.sha256 === hash) return note;
    throw new IntegrityError(
      `${csvPath} is not the file ${notePath} describes (SHA-256 differs): it was changed after it was generated; move both away to generate new samples (a new privacy cost)`,
    );
  }
  const release = await ctx.ledger.use((ledger) => findSynthRelease(ledger, `sha256:${hash}`));
  if (!release) return null;
  const s = file.synth;
  const rows = readCsvTable({ path: csvPath }, 'veil node').rows.length;
  const note: SamplesNote = {
    sha256: hash,
    method: release.method ?? s.method,
    epsilon: s.epsilon,
    delta: s.delta,
    rows,
    spend: release.spend,
    sentTo: [],
  };
  writeNote(notePath, note);
  return note;
}

function summary(
  note: SamplesNote,
  file: string,
  status: SharedSamples['status'],
  reply: string,
): SharedSamples {
  return {
    file,
    rows: note.rows,
    method: note.method,
    epsilon: note.epsilon,
    delta: note.delta,
    sha256: note.sha256,
    spend: note.spend,
    status,
    reply,
  };
}

function writeNote(path: string, note: SamplesNote): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(note, null, 2)}\n`);
  renameSync(tmp, path);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
