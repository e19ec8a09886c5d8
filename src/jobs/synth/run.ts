/**
 * The `veil synth` job: consent → read and encode (every check) → charge → fit → sample → write → lineage.
 *
 * Why one zCDP event of rho, charged before the fit: every method's budget is fixed by (epsilon, delta) alone
 * (rho = rhoFor(epsilon, delta)), and the events it records compose to at most rho; so the job charges
 * `{ kind: 'zcdp', rho, mechanism: <method> }` once, after every check that can fail and before the method reads
 * a count of the data. A refused charge means nothing was computed; the charge covers the run whatever its path
 * (an adaptive method such as AIM only knows its events once it has run). After the fit the method's own events
 * are composed and checked against the charge (fail closed: nothing is written when they exceed it).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { type PrivacyEvent, ZcdpAccountant } from '../../accounting/index.js';
import { ConfigError, type ConfigIssue, IntegrityError, UnsupportedError } from '../../core/index.js';
import { fingerprintFile, type Ledger } from '../../ledger/index.js';
import { type Domain, loadDomainFile, readCsvTable } from '../../ml/index.js';
import { encodeTable, rhoFor, type SynthData } from '../../synth/index.js';
import { checkCancelled, type JobContext, jobRng } from '../context.js';
import { type ParamField, underFields } from '../input-errors.js';
import { checkOutFile } from '../ledger/out-file.js';
import { METHODS } from './methods.js';
import { domainJson, SYNTH_MODEL_FILE_FORMAT, type SynthModelFile, sampleCsv, writeWhole } from './sample.js';
import type { SynthSpec } from './spec.js';

const CONTEXT = 'synth spec';

/** What the ledger recorded for a synth job (null parts: not used). */
export interface SynthLedgerRecord {
  readonly spend: { readonly id: number; readonly account: string } | null;
  readonly lineage: { readonly auditEntry: number };
  readonly dataset: string | null;
}

/** The outcome of a synth job. */
export interface SynthJobResult {
  /** The JSON summary (`veil synth --json` prints it). */
  readonly summary: Record<string, unknown>;
  /** The privacy events the method recorded (their zCDP composition is at most `summary.rho`). */
  readonly events: readonly PrivacyEvent[];
  readonly ledger: SynthLedgerRecord | null;
}

const INPUT_FIELDS: readonly ParamField[] = [
  { fn: 'veil synth', param: 'path', path: 'data' },
  { fn: 'loadDomainFile', param: 'path', path: 'domain' },
];

/**
 * Runs `veil synth`.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for input, domain or output problems (before any charge)
 * @throws {ConsentError} VEIL_CONSENT_REFUSED when the dataset's terms do not allow the purpose (nothing read)
 * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the account cannot pay rho (nothing fitted)
 */
export async function runSynthJob(spec: SynthSpec, ctx: JobContext): Promise<SynthJobResult> {
  const started = performance.now();
  checkOutputs(spec);
  const l = spec.ledger;
  const usesLedger = l !== undefined && (l.account !== undefined || l.dataset !== undefined);
  return usesLedger
    ? ctx.ledger.use((ledger) => run(spec, ctx, ledger, started))
    : run(spec, ctx, null, started);
}

async function run(
  spec: SynthSpec,
  ctx: JobContext,
  ledger: Ledger | null,
  started: number,
): Promise<SynthJobResult> {
  const purpose = spec.ledger?.purpose ?? '';
  const dataset = spec.ledger?.dataset;
  const account = spec.ledger?.account;
  const step = (stage: string, done: number, message: string) =>
    ctx.progress({ kind: 'progress', stage, done, total: 4, message });
  // Consent first: the file is not read (only fingerprinted, once the terms allow the purpose) otherwise.
  let fingerprint: string | null = null;
  const fingerprintData = async () => {
    fingerprint ??= await fingerprintFile(spec.data);
    return fingerprint;
  };
  if (ledger && dataset !== undefined)
    await ledger.authorize(dataset, purpose, { fingerprint: fingerprintData });
  checkCancelled(ctx);
  step('reading', 0, `reading ${spec.data} over the domain ${spec.domain}`);
  const { data, header } = readData(spec);
  const rho = rhoFor(spec.epsilon, spec.delta);
  if (ledger) await fingerprintData();
  checkCancelled(ctx);

  let spend: SynthLedgerRecord['spend'] = null;
  if (ledger && account !== undefined) {
    const receipt = await ledger.spend(account, [{ kind: 'zcdp', rho, mechanism: spec.method }], {
      purpose,
      ...(dataset !== undefined ? { dataset } : {}),
    });
    spend = { id: receipt.id, account: receipt.account };
    ctx.progress({
      kind: 'ledger',
      message: `spend ${receipt.id} granted on ${receipt.account} for "${receipt.purpose}" (rho ${rho})`,
    });
  }
  if (ctx.seed !== undefined)
    ctx.progress({ kind: 'note', message: 'seeded run: reproducible, and NOT private' });

  let stage = 'fit';
  try {
    step('fitting', 1, `measuring and fitting (${spec.method}, rho ${rho.toPrecision(4)})`);
    const { model, events } = METHODS[spec.method].fit(data, rho, jobRng(ctx, 0));
    const composed = new ZcdpAccountant().compose({ kind: 'composed', events }).rho;
    if (!(composed <= rho))
      throw new IntegrityError(
        `veil synth: ${spec.method} spent rho ${composed}, more than the ${rho} charged`,
        {
          method: spec.method,
        },
      );
    checkCancelled(ctx);
    stage = 'sample';
    step('sampling', 2, `sampling ${spec.rows} rows`);
    const csv = sampleCsv({ model, categories: data.categories, header }, spec.rows, jobRng(ctx, 1));
    stage = 'write';
    step('writing', 3, `writing ${spec.out}${spec.save ? ` and ${spec.save}` : ''}`);
    let modelHash: string | undefined;
    if (spec.save !== undefined) {
      const file: SynthModelFile = {
        format: SYNTH_MODEL_FILE_FORMAT,
        version: 1,
        method: spec.method,
        epsilon: spec.epsilon,
        delta: spec.delta,
        rho,
        domain: domainJson(data.domain.attrs, data.categories),
        header,
        model: model.toJson(),
      };
      const text = `${JSON.stringify(file)}\n`;
      writeWhole(spec.save, text, 'save', CONTEXT);
      modelHash = sha256(text);
    }
    writeWhole(spec.out, csv, 'out', CONTEXT);
    step('writing', 4, `wrote ${spec.out}`);

    const summary: Record<string, unknown> = {
      method: spec.method,
      epsilon: spec.epsilon,
      delta: spec.delta,
      rho,
      rows: spec.rows,
      out: spec.out,
      ...(spec.save !== undefined ? { saved: spec.save } : {}),
      private: ctx.seed === undefined,
      seconds: Math.round(performance.now() - started) / 1000,
    };
    let record: SynthLedgerRecord | null = null;
    if (ledger) {
      stage = 'record';
      const entry = await ledger.recordJob({
        job: `veil synth ${new Date().toISOString()}`,
        ...(account !== undefined ? { account } : {}),
        datasets: dataset !== undefined ? [dataset] : [],
        purpose,
        ...(modelHash ? { modelHash } : {}),
        spendIds: spend ? [spend.id] : [],
        detail: {
          method: spec.method,
          rho,
          events: events.length,
          data: { file: resolve(spec.data), fingerprint },
          out: { file: resolve(spec.out), rows: spec.rows, hash: sha256(csv) },
          ...(spec.save !== undefined ? { saved: resolve(spec.save) } : {}),
        },
      });
      record = { spend, lineage: { auditEntry: entry.seq }, dataset: dataset ?? null };
    }
    return { summary: record ? { ...summary, ledger: record } : summary, events, ledger: record };
  } catch (err) {
    // Charged, and nothing (or not all) came out: the log says what was spent and why (the spend stays).
    if (ledger && spend && stage !== 'record') {
      const reason = err instanceof Error ? err.message : String(err);
      await ledger.recordJob({
        job: `veil synth ${new Date().toISOString()}`,
        account: spend.account,
        datasets: dataset !== undefined ? [dataset] : [],
        purpose,
        spendIds: [spend.id],
        failure: { stage, reason },
        detail: { data: { file: resolve(spec.data), fingerprint }, out: resolve(spec.out) },
      });
    }
    throw err;
  }
}

/** The output files are checked before anything is read or charged. */
function checkOutputs(spec: SynthSpec): void {
  checkOutFile(spec.out, spec.force, CONTEXT);
  if (spec.save === undefined) return;
  try {
    checkOutFile(spec.save, spec.force, CONTEXT);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(
      err.issues.map((i) => (i.path === 'out' ? { ...i, path: 'save' } : i)),
      CONTEXT,
    );
  }
}

/**
 * Reads the CSV and the domain and encodes every cell (each check of `encodeTable`), reporting problems under
 * the spec's `data` and `domain` fields.
 * @throws {ConfigError} at `data` or `domain`
 */
function readData(spec: SynthSpec): { data: SynthData; header: readonly string[] } {
  const { table, domain } = underFields(INPUT_FIELDS, CONTEXT, () => ({
    table: readCsvTable({ path: spec.data }, 'veil synth'),
    domain: readDomain(spec.domain),
  }));
  let data: SynthData;
  try {
    data = encodeTable(domain, table);
  } catch (err) {
    throw encodeError(err, spec);
  }
  if (data.domain.attrs.length < 2)
    throw new ConfigError(
      [
        {
          path: 'domain',
          value: spec.domain,
          allowed: 'a domain of at least 2 columns (the model is over pairs)',
        },
      ],
      CONTEXT,
    );
  return { data, header: table.header };
}

function readDomain(path: string): Domain {
  try {
    return loadDomainFile(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // the file is not JSON (`domain`), or an entry is bad (`domain.age.max`): both are the --domain file's
    const at = err.issues.map((i) => `${i.path}: ${i.allowed}`).join('; ');
    throw new ConfigError([{ path: 'domain', value: path, allowed: `a valid domain file (${at})` }], CONTEXT);
  }
}

/** encodeTable's refusals under the spec field the user gave: the CSV (`data`) or the domain (`domain`). */
function encodeError(err: unknown, spec: SynthSpec): unknown {
  if (err instanceof UnsupportedError) {
    const column = String((err.details as { column?: unknown }).column ?? '');
    return new ConfigError(
      [
        {
          path: 'domain',
          value: spec.domain,
          allowed: `categorical columns only: ${JSON.stringify(column)} is numeric, and numeric columns need declared bins, which are not supported yet (declare it categorical with codes or values)`,
        },
      ],
      CONTEXT,
    );
  }
  if (!(err instanceof ConfigError)) return err;
  const more = /\(first (\d+) of (\d+) cells outside the domain\)/.exec(err.message);
  const names = (prefix: string) =>
    err.issues
      .filter((i) => i.path.startsWith(prefix))
      .map((i) => JSON.stringify(i.path.slice(prefix.length)));
  const missing = names('header.');
  const extra = names('domain.');
  const issues: ConfigIssue[] = [];
  if (missing.length > 0)
    issues.push({
      path: 'data',
      value: spec.data,
      allowed: `a CSV with a column for every domain entry (no column ${missing.join(', ')})`,
    });
  if (extra.length > 0)
    issues.push({
      path: 'domain',
      value: spec.domain,
      allowed: `a domain with an entry for every CSV column (none for ${extra.join(', ')})`,
    });
  err.issues.forEach((i, k) => {
    if (i.path.startsWith('header.') || i.path.startsWith('domain.')) return;
    if (i.path === 'domain') {
      issues.push({ path: 'domain', value: spec.domain, allowed: i.allowed });
      return;
    }
    const got = i.value === undefined ? '' : `, got ${JSON.stringify(i.value)}`;
    const rest =
      more && k === err.issues.length - 1
        ? `; ${Number(more[2]) - Number(more[1])} more cells outside it`
        : '';
    issues.push({
      path: 'data',
      value: spec.data,
      allowed: `cells inside the domain (${i.path}: ${i.allowed}${got}${rest})`,
    });
  });
  return new ConfigError(issues, CONTEXT);
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
