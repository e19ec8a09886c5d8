/**
 * The job kinds the service queues, each the jobs layer's own function and spec schema (no logic only the server
 * has): how the service turns a request's spec into the spec the job runs (paths resolved inside the
 * organisation's data directory, account and dataset names checked against the organisation), and how the job's
 * result is kept. A kind that spends must name a budget account: the service reserves the job's charge at
 * submission.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import {
  parseSpec,
  runSynthJob,
  runTrainJob,
  SynthSpecSchema,
  type TrainSpec,
  TrainSpecSchema,
} from '../../jobs/index.js';
import { fingerprintFile } from '../../ledger/index.js';
import { HttpError } from '../../transport/index.js';
import { coordinator, simulate } from './federation-kinds.js';
import {
  hidingPaths,
  insideOrgDir,
  type JobKind,
  obj,
  orgAccount,
  pathHider,
  type Raw,
  scopedDataset,
  withoutPaths,
} from './kind-support.js';

export {
  insideOrgDir,
  type JobKind,
  orgAccount,
  type ResolveContext,
  scopedDataset,
} from './kind-support.js';

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
    // the job says which files it reads and writes: by name only, as the result does
    const paths = [
      parsed.data,
      parsed.domain,
      parsed.out,
      ...(parsed.save === undefined ? [] : [parsed.save]),
    ];
    const hide = pathHider([...paths, ...paths.map((p) => dirname(p))]);
    const { summary, ledger } = await runSynthJob(parsed, hidingPaths(ctx, hide)).catch((err: unknown) => {
      // a failure's message goes to the caller: the service's paths stay in the service
      if (err instanceof Error) err.message = hide(err.message);
      throw err;
    });
    const files = [];
    for (const f of [parsed.out, parsed.save])
      if (f !== undefined && existsSync(f))
        files.push({ name: basename(f), fingerprint: await fingerprintFile(f) });
    return { summary: withoutPaths(summary), ledger, files };
  },
};

/** The kinds the service runs, by name. */
export const JOB_KINDS: Readonly<Record<string, JobKind>> = Object.freeze({
  train,
  synth,
  simulate,
  coordinator,
});

/** A kind by name. @throws {HttpError} 400 unknown_kind */
export function jobKind(name: string): JobKind {
  const k = Object.hasOwn(JOB_KINDS, name) ? JOB_KINDS[name] : undefined;
  if (!k) throw new HttpError(400, 'unknown_kind', `kind: one of ${Object.keys(JOB_KINDS).join(', ')}`);
  return k;
}
