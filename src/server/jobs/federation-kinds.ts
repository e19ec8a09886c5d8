/**
 * The federation's job kinds: a simulated federation (`simulate`) and a federation coordinator run
 * (`coordinator`), each with central DP paid in advance as one reservation (src/jobs/federation/prepaid.ts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  coordinatorJson,
  coordinatorLine,
  modelFitError,
  parseCoordinatorJobSpec,
  parseSimulateJobSpec,
  runCoordinatorJob,
  runSimulationJob,
  simulationPlanFrom,
} from '../../jobs/index.js';
import { fingerprintFile } from '../../ledger/index.js';
import { FASHION_MNIST_DIR, MODEL_FILE, WEIGHTS_FILE } from '../../ml/index.js';
import { HttpError } from '../../transport/index.js';
import {
  insideOrgDir,
  type JobKind,
  obj,
  orgAccount,
  pathHider,
  type Raw,
  withoutPaths,
} from './kind-support.js';

/**
 * A simulated federation (`veil simulate`, its options as the flags name them) on the built-in data, with
 * central DP-FedAvg: the aggregate's events of every planned round are one charge on `ledger.account`, reserved
 * at submission and paid before the federation starts (src/jobs/federation/prepaid.ts). What one reservation on
 * one account cannot cover exactly is refused: each node's local DP (an account per node, spent as far as each
 * node gets) and distributed DP (its event depends on the nodes that survive each round); a simulation without
 * DP would spend nothing, and every job the service runs is charged.
 */
export const simulate: JobKind = {
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

/** Fields of a coordinator configuration the service owns, and why each is refused. */
const COORDINATOR_REFUSED: Readonly<Record<string, string>> = {
  checkpoint:
    "the service chooses where a job's outputs go (the checkpoint is kept in the job's result directory)",
  output: "the service chooses where a job's outputs go (the final model is one of the job's files)",
  out: "the service chooses where a job's outputs go",
  budget:
    'the service charges the central DP of every planned round to ledger.account, reserved at submission (a budget section would charge another ledger round by round)',
  synth:
    "not served: the nodes' synthetic samples would be kept in the service, outside the job's files; collect them with veil coordinator",
};

/**
 * A federation's coordinator (`veil coordinator`), its configuration given inline as JSON: the server listens
 * where `listen` says (a port in 1..65535: nodes must know where to dial) and real nodes dial in over mutual TLS.
 * Its TLS files (`tls.cert`, `tls.key`, `tls.ca`, `tls.crl`) are files of the organisation's data directory; its
 * checkpoint and final model are the service's (the job's result directory: `model.json` and `weights.bin` are the
 * job's files). Central DP is required: the aggregate's event of every planned round is one charge on
 * `ledger.account`, reserved at submission and paid before the server listens (src/jobs/federation/prepaid.ts),
 * so planning the job binds nothing. Distributed DP is refused (its event depends on the nodes that survive each
 * round), and a federation without central DP would spend nothing, while every job the service runs is charged.
 */
export const coordinator: JobKind = {
  name: 'coordinator',
  resolve(raw, r) {
    const ports = r.coordinatorPorts ?? null;
    if (ports === null)
      throw new HttpError(
        403,
        'kind_not_enabled',
        "kind: coordinator jobs listen on a port of the service's machine and are off until the operator allows ports (veil serve --coordinator-ports FROM-TO)",
      );
    const input = structuredClone(raw) as Raw;
    for (const [field, why] of Object.entries(COORDINATOR_REFUSED))
      if (input[field] !== undefined) throw new HttpError(400, 'invalid_field', `${field}: ${why}`);
    const { file, federation, ledger } = parseCoordinatorJobSpec(input);
    if (ledger?.account === undefined)
      throw new HttpError(
        400,
        'budget_required',
        'ledger.account: a coordinator run by the service charges its central DP to an account of the organisation, reserved at submission',
      );
    const account = orgAccount(r.org, ledger.account, 'ledger.account');
    if (federation.secureAggregation !== 'none' && federation.secagg.distributedDp)
      throw new HttpError(
        400,
        'invalid_field',
        "federation.secagg.distributedDp: not served: distributed DP's charge depends on how many nodes survive each round, so it cannot be reserved exactly at submission; use federation.centralDp without secure aggregation",
      );
    if (!federation.centralDp)
      throw new HttpError(
        400,
        'budget_required',
        "federation.centralDp: a coordinator run by the service is differentially private (central DP-FedAvg), its charge reserved at submission; local DP at the nodes is the nodes' own and charges nothing here",
      );
    const [from, to] = ports;
    if (file.listen.port === 0 || obj(input['listen'])?.['port'] === undefined)
      throw new HttpError(
        400,
        'invalid_field',
        `listen.port: the port the coordinator listens on, an integer in ${from}..${to} (the ports this service allows; nodes must know where to dial: no default, no port 0)`,
      );
    if (file.listen.port < from || file.listen.port > to)
      throw new HttpError(
        400,
        'invalid_field',
        `listen.port: ${file.listen.port} is not among the ports this service allows coordinators (${from}..${to})`,
      );
    const tls = obj(input['tls']) as Raw;
    for (const field of ['cert', 'key', 'ca', 'crl'] as const)
      if (tls[field] !== undefined) tls[field] = insideOrgDir(r.orgDir, tls[field], `tls.${field}`);
    input['checkpoint'] = join(r.resultDir, 'checkpoint.json');
    input['output'] = r.resultDir;
    // where the job's files are served from (GET /v1/jobs/:id/files/:name); not a field of the configuration
    input['out'] = { dir: r.resultDir };
    (input['ledger'] as Raw)['account'] = account;
    mkdirSync(r.resultDir, { recursive: true, mode: 0o700 });
    return input;
  },
  async run(spec, ctx) {
    const { out, ...config } = spec as Raw;
    const { file, ledger } = parseCoordinatorJobSpec(config);
    if (ledger?.account === undefined)
      throw new HttpError(400, 'budget_required', 'ledger.account: the account the federation is charged to');
    const resultDir = (obj(out)?.['dir'] as string | undefined) ?? file.output ?? '';
    const hide = pathHider([
      file.tls.cert,
      file.tls.key,
      file.tls.ca,
      ...(file.tls.crl ? [file.tls.crl] : []),
      resultDir,
    ]);
    const note = (line: string) => ctx.progress({ kind: 'note', message: hide(line) });
    const job = await runCoordinatorJob(
      file,
      {
        prepaid: {
          account: ledger.account,
          ...(ledger.purpose === undefined ? {} : { purpose: ledger.purpose }),
        },
      },
      {
        ...ctx,
        log: note,
        onEvent: (e, rounds) => {
          const line = coordinatorLine(e, rounds);
          if (line) note(line);
        },
      },
    ).catch((err: unknown) => {
      // a failure's message goes to the caller: the service's paths stay in the service
      if (err instanceof Error) err.message = hide(err.message);
      throw err;
    });
    const files = [];
    for (const name of job.savedModel ? [MODEL_FILE, WEIGHTS_FILE] : []) {
      const f = join(job.savedModel!, name);
      if (existsSync(f)) files.push({ name, fingerprint: await fingerprintFile(f) });
    }
    const summary = {
      ok: job.summary.status === 'finished',
      ...coordinatorJson(job.summary),
      modelSha256: job.modelSha256,
      seeded: job.seeded,
    };
    return { summary: withoutPaths(summary), ledger: job.paid, files };
  },
};
