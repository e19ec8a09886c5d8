/**
 * The job kinds the service queues, each the jobs layer's own function and spec schema (no logic only the server
 * has): how the service turns a request's spec into the spec the job runs (paths resolved inside the
 * organisation's data directory, account and dataset names checked against the organisation), and how the job's
 * result is kept. A kind that spends must name a budget account: the service reserves the job's charge at
 * submission.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, normalize } from 'node:path';
import {
  type JobContext,
  modelFitError,
  parseSimulateJobSpec,
  parseSpec,
  runSimulationJob,
  runSynthJob,
  runTrainJob,
  SynthSpecSchema,
  simulationPlanFrom,
  type TrainSpec,
  TrainSpecSchema,
} from '../../jobs/index.js';
import { fingerprintFile } from '../../ledger/index.js';
import { FASHION_MNIST_DIR } from '../../ml/index.js';
import { HttpError } from '../../transport/index.js';

/** What the service knows when it resolves a spec. */
export interface ResolveContext {
  readonly org: string;
  /** The organisation's data directory (uploaded datasets live here). */
  readonly orgDir: string;
  /** Where this job's outputs go. */
  readonly resultDir: string;
}

export interface JobKind {
  readonly name: string;
  /** The request's spec (already shape-checked by the route) → the spec the job runs, JSON-safe. */
  resolve(raw: unknown, r: ResolveContext): unknown;
  /** Runs the job (in a worker thread) and returns its JSON result. */
  run(spec: unknown, ctx: JobContext): Promise<unknown>;
}

/**
 * A file name the caller gives: relative, inside the organisation's directory, no `..`, no hidden parts.
 * @throws {HttpError} 400 invalid_path
 */
export function insideOrgDir(orgDir: string, name: unknown, field: string): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 200 ||
    isAbsolute(name) ||
    name.includes('\0')
  )
    throw new HttpError(
      400,
      'invalid_path',
      `${field}: a file name relative to the organisation's data directory`,
    );
  const parts = normalize(name).split(/[\\/]/);
  if (parts.some((p) => p === '..' || p.startsWith('.')))
    throw new HttpError(
      400,
      'invalid_path',
      `${field}: no '..' or hidden parts: files are read only inside the organisation's data directory`,
    );
  return join(orgDir, ...parts);
}

/** An account of the organisation: its root or below. @throws {HttpError} 403 foreign_account */
export function orgAccount(org: string, account: string, field: string): string {
  if (account !== org && !account.startsWith(`${org}/`))
    throw new HttpError(
      403,
      'foreign_account',
      `${field}: the organisation's accounts are ${org} and ${org}/…`,
    );
  return account;
}

/** The ledger's name of an organisation's dataset: `org.name` (dataset names have no '/'). */
export function scopedDataset(org: string, name: string): string {
  return `${org}.${name}`;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;

const train: JobKind = {
  name: 'train',
  resolve(raw, r) {
    // validated as the CLI validates it; the job later parses the resolved input again (same schema)
    const spec = parseSpec(TrainSpecSchema, raw, 'training spec') as TrainSpec;
    if (spec.privacy.mode !== 'dp' || spec.ledger?.account === undefined)
      throw new HttpError(
        400,
        'budget_required',
        'a training job run by the service is differentially private and names ledger.account: its charge is reserved at submission',
      );
    if (spec.out !== undefined)
      throw new HttpError(400, 'invalid_field', "out: the service chooses where a job's model goes");
    const input = structuredClone(raw) as Raw;
    const data = obj(input['data']);
    if (data && spec.data.kind === 'csv') {
      data['path'] = insideOrgDir(r.orgDir, data['path'], 'data.path');
      const test = obj(data['test']);
      if (test?.['kind'] === 'file') test['path'] = insideOrgDir(r.orgDir, test['path'], 'data.test.path');
    }
    const synthetic = obj(input['synthetic']);
    if (synthetic) synthetic['path'] = insideOrgDir(r.orgDir, synthetic['path'], 'synthetic.path');
    const ledger = obj(input['ledger']) as Raw;
    ledger['account'] = orgAccount(r.org, spec.ledger.account, 'ledger.account');
    if (spec.ledger.dataset !== undefined) ledger['dataset'] = scopedDataset(r.org, spec.ledger.dataset);
    input['out'] = { dir: r.resultDir };
    return input;
  },
  async run(spec, ctx) {
    const parsed = parseSpec(TrainSpecSchema, spec, 'training spec');
    const { summary, ledger } = await runTrainJob(parsed, ctx);
    // the service's paths stay in the service: the result names the files and their fingerprints
    const saved = summary['out'] as { files: string[] } | null;
    const files = [];
    for (const f of saved?.files ?? [])
      files.push({ name: basename(f), fingerprint: await fingerprintFile(f) });
    const { out: _out, ...shown } = summary;
    const data = shown['data'] as { source?: unknown } | undefined;
    if (data && typeof data.source === 'string' && isAbsolute(data.source))
      shown['data'] = { ...data, source: basename(data.source) };
    return { summary: shown, ledger, files };
  },
};

/** The service's paths stay in the service: a summary's absolute paths become file names. */
function withoutPaths(value: unknown): unknown {
  if (typeof value === 'string') return isAbsolute(value) ? basename(value) : value;
  if (Array.isArray(value)) return value.map(withoutPaths);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutPaths(v)]));
  return value;
}

const synth: JobKind = {
  name: 'synth',
  resolve(raw, r) {
    const input = structuredClone(raw) as Raw;
    // the domain comes inline (an object, as in a domain file): the service writes it beside the job's outputs
    const domain = input['domain'];
    if (domain === null || typeof domain !== 'object' || Array.isArray(domain))
      throw new HttpError(
        400,
        'invalid_field',
        'domain: the domain object inline (as in a domain JSON file), not a file name',
      );
    for (const f of ['out', 'save', 'force'] as const)
      if (input[f] !== undefined)
        throw new HttpError(400, 'invalid_field', `${f}: the service chooses where a job's outputs go`);
    input['data'] = insideOrgDir(r.orgDir, input['data'], 'data');
    input['domain'] = join(r.resultDir, 'domain.json');
    input['out'] = join(r.resultDir, 'synthetic.csv');
    input['save'] = join(r.resultDir, 'synth-model.json');
    const spec = parseSpec(SynthSpecSchema, input, 'synthesis spec');
    if (spec.ledger?.account === undefined)
      throw new HttpError(
        400,
        'budget_required',
        'a synthesis job run by the service names ledger.account: its charge is reserved at submission',
      );
    const ledger = obj(input['ledger']) as Raw;
    ledger['account'] = orgAccount(r.org, spec.ledger.account, 'ledger.account');
    if (spec.ledger.dataset !== undefined) ledger['dataset'] = scopedDataset(r.org, spec.ledger.dataset);
    mkdirSync(r.resultDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(r.resultDir, 'domain.json'), JSON.stringify(domain), { mode: 0o600 });
    return input;
  },
  async run(spec, ctx) {
    const parsed = parseSpec(SynthSpecSchema, spec, 'synthesis spec');
    const { summary, ledger } = await runSynthJob(parsed, ctx);
    const files = [];
    for (const f of [parsed.out, parsed.save])
      if (f !== undefined && existsSync(f))
        files.push({ name: basename(f), fingerprint: await fingerprintFile(f) });
    return { summary: withoutPaths(summary), ledger, files };
  },
};

/**
 * A simulated federation (`veil simulate`, its options as the flags name them) on the built-in data, with
 * central DP-FedAvg: the aggregate's events of every planned round are one charge on `ledger.account`, reserved
 * at submission and paid before the federation starts (src/jobs/federation/prepaid.ts). What one reservation on
 * one account cannot cover exactly is refused: each node's local DP (an account per node, spent as far as each
 * node gets) and distributed DP (its event depends on the nodes that survive each round); a simulation without
 * DP would spend nothing, and every job the service runs is charged.
 */
const simulate: JobKind = {
  name: 'simulate',
  resolve(raw, r) {
    const { options, ledger } = parseSimulateJobSpec(raw);
    if (ledger?.account === undefined)
      throw new HttpError(
        400,
        'budget_required',
        'ledger.account: a simulation run by the service charges its central DP to an account of the organisation, reserved at submission',
      );
    const account = orgAccount(r.org, ledger.account, 'ledger.account');
    if (options.localEpsilon !== undefined)
      throw new HttpError(
        400,
        'invalid_field',
        "localEpsilon: not served: each node's local DP charges the node's own account as far as the node gets, which the one reservation made at submission cannot cover; use centralNoise (central DP, charged to ledger.account)",
      );
    if (options.distributedNoise !== undefined)
      throw new HttpError(
        400,
        'invalid_field',
        "distributedNoise: not served: distributed DP's charge depends on how many nodes survive each round, so it cannot be reserved exactly at submission; use centralNoise without secure aggregation",
      );
    if (options.centralNoise === undefined)
      throw new HttpError(
        400,
        'budget_required',
        'centralNoise: a simulation run by the service is differentially private (central DP-FedAvg with this noise multiplier), its charge reserved at submission',
      );
    if (options.data === 'fashion-mnist' && !existsSync(FASHION_MNIST_DIR))
      throw new HttpError(
        400,
        'data_unavailable',
        'data: Fashion-MNIST is not installed on this service (it is read from a local copy, never downloaded); use hospitals or synthetic',
      );
    const input = structuredClone(raw) as Raw;
    (input['ledger'] as Raw)['account'] = account;
    return input;
  },
  async run(spec, ctx) {
    const { options, ledger } = parseSimulateJobSpec(spec);
    if (ledger?.account === undefined)
      throw new HttpError(400, 'budget_required', 'ledger.account: the account the simulation is charged to');
    const plan = simulationPlanFrom(options);
    const { summary } = await runSimulationJob(plan, {
      ...ctx,
      charge: {
        account: ledger.account,
        ...(ledger.purpose === undefined ? {} : { purpose: ledger.purpose }),
      },
      log: (message) => ctx.progress({ kind: 'note', message }),
    }).catch((err: unknown) => {
      throw modelFitError(err, undefined, 'model', options.model, 'simulation spec');
    });
    // the simulation writes no file: its result is the summary (the global model stays in the service)
    return { summary: withoutPaths(summary), ledger: summary['ledger'] ?? null, files: [] };
  },
};

/** The kinds the service runs, by name. */
export const JOB_KINDS: Readonly<Record<string, JobKind>> = Object.freeze({ train, synth, simulate });

/** A kind by name. @throws {HttpError} 400 unknown_kind */
export function jobKind(name: string): JobKind {
  const k = Object.hasOwn(JOB_KINDS, name) ? JOB_KINDS[name] : undefined;
  if (!k) throw new HttpError(400, 'unknown_kind', `kind: one of ${Object.keys(JOB_KINDS).join(', ')}`);
  return k;
}
