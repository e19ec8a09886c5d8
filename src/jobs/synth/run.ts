/**
 * The `veil synth` job: consent → read and encode (every check) → plan → charge → fit → check → sample → write →
 * lineage.
 *
 * What is charged, and when: every method's plan is fixed by (epsilon, delta) and the public domain alone
 * (methods.ts): mst/aim one zCDP event of rho = rhoFor(epsilon, delta), which covers the run whatever its path (an
 * adaptive method such as AIM only knows its events once it has run); dpgan its planned events (the 1-way
 * measurements and the discriminator's DP-SGD schedule). The job charges the plan's events once, after every
 * check that can fail (planning included) and before the method reads a count of the data: a refused charge
 * means nothing was computed. After the fit the method's own events are checked against the charge by the
 * method's rule (fail closed: nothing is written when they exceed it).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { PrivacyEvent } from '../../accounting/index.js';
import { ConfigError, NumericError } from '../../core/index.js';
import { fingerprintFile, type Ledger } from '../../ledger/index.js';
import { type Domain, loadDomainFile, readCsvTable } from '../../ml/index.js';
import { type EncodedTable, encodeTable } from '../../synth/index.js';
import { checkCancelled, defaultCharge, type JobContext, jobRng } from '../context.js';
import { type ParamField, underFields } from '../input-errors.js';
import { checkOutFile } from '../ledger/out-file.js';
import { encodeTableError } from './encode-error.js';
import { METHODS, type SynthPlan } from './methods.js';
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
  /** The privacy events the method recorded (within the charge, by the method's check: methods.ts). */
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
 * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the account cannot pay the method's charge (nothing fitted)
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
  warnClipped(data, ctx);
  const plan = planMethod(spec, data.domain.attrs.length);
  if (ledger) await fingerprintData();
  checkCancelled(ctx);

  let spend: SynthLedgerRecord['spend'] = null;
  if (ledger && account !== undefined) {
    const receipt = await (ctx.pay ?? defaultCharge)(ledger, {
      account,
      events: plan.charge,
      purpose,
      ...(dataset !== undefined ? { dataset } : {}),
    });
    spend = { id: receipt.id, account: receipt.account };
    ctx.progress({
      kind: 'ledger',
      message: `spend ${receipt.id} granted on ${receipt.account} for "${receipt.purpose}" (${privacyText(plan)})`,
    });
  }
  if (ctx.seed !== undefined)
    ctx.progress({ kind: 'note', message: 'seeded run: reproducible, and NOT private' });

  let stage = 'fit';
  try {
    step('fitting', 1, `measuring and fitting (${spec.method}, ${privacyText(plan, 4)})`);
    const { model, events } = plan.fit(data, jobRng(ctx, 0));
    plan.check(events);
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
        ...(typeof plan.privacy['rho'] === 'number'
          ? { rho: plan.privacy['rho'] }
          : { privacy: plan.privacy }),
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
      ...plan.privacy,
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
          ...plan.privacy,
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

/**
 * The method's plan for the spec's (epsilon, delta) over `attributes` attributes, before any charge. A target no
 * plan meets (an epsilon too small for the method's schedule) is the spec's `epsilon` that is refused.
 * @throws {ConfigError} at `epsilon`
 */
function planMethod(spec: SynthSpec, attributes: number): SynthPlan {
  try {
    return METHODS[spec.method].plan(spec.epsilon, spec.delta, attributes);
  } catch (err) {
    if (!(err instanceof NumericError)) throw err;
    throw new ConfigError(
      [
        {
          path: 'epsilon',
          value: spec.epsilon,
          allowed: `an epsilon the ${spec.method} method can meet at delta ${spec.delta} (${err.message})`,
        },
      ],
      CONTEXT,
    );
  }
}

/** The plan's privacy fields for progress messages: `rho 0.01497` or `accountant rdp, noiseMultiplier 1.785, …`. */
function privacyText(plan: SynthPlan, digits?: number): string {
  const number = (v: number | string) =>
    typeof v === 'number' && digits !== undefined && !Number.isInteger(v) ? v.toPrecision(digits) : String(v);
  return Object.entries(plan.privacy)
    .map(([k, v]) => `${k} ${number(v)}`)
    .join(', ');
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
function readData(spec: SynthSpec): { data: EncodedTable; header: readonly string[] } {
  const { table, domain } = underFields(INPUT_FIELDS, CONTEXT, () => ({
    table: records(readCsvTable({ path: spec.data }, 'veil synth'), spec),
    domain: readDomain(spec.domain),
  }));
  let data: EncodedTable;
  try {
    data = encodeTable(domain, table);
  } catch (err) {
    throw encodeTableError(err, {
      csv: { field: 'data', path: spec.data },
      domain: spec.domain,
      extraColumnsAt: 'domain',
      context: CONTEXT,
    });
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

/** The spec's data rows [from, to) of the table (all without `records`). @throws {ConfigError} at `records` */
function records<T extends { readonly rows: readonly unknown[] }>(table: T, spec: SynthSpec): T {
  const r = spec.records;
  if (r === undefined) return table;
  if (r[1] > table.rows.length)
    throw new ConfigError(
      [{ path: 'records', value: r, allowed: `a range within the ${table.rows.length} data rows` }],
      CONTEXT,
    );
  return { ...table, rows: table.rows.slice(r[0], r[1]) };
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

/**
 * Numeric cells outside the declared bounds were clipped to them (as `veil train` does): a warning with the
 * count per column, never the values. The counts are statistics of the private data: they go to the operator's
 * progress stream only, not to the summary, the outputs or the ledger.
 */
function warnClipped(data: EncodedTable, ctx: JobContext): void {
  data.clipped.forEach((count, j) => {
    if (count === 0) return;
    const name = data.domain.attrs[j]!;
    ctx.progress({
      kind: 'warning',
      message: `column ${JSON.stringify(name)}: ${count} cell${count === 1 ? ' was' : 's were'} outside the declared [min, max] and clipped to it (values not shown)`,
    });
  });
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
