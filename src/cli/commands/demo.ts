/**
 * `veil demo` (what `npm start` runs): the main job, end to end, on embedded data.
 *
 * Five hospitals with different patient mixes train one readmission-risk model together. Each keeps its records:
 * its node trains locally with DP-SGD within its own record-level budget (local DP), and the coordinator learns
 * only the securely aggregated sum of the updates (SecAgg). Every organisation's dataset is registered with its
 * consent terms and checked before training; every privacy spend goes into a SQLite ledger with a tamper-evident
 * audit log; the run ends with the audit log verified and an HTML report (privacy, utility, compliance
 * evidence). The federated model is compared, on a held-out test set drawn from all three patient mixes, with a
 * non-private model trained on the pooled data (what sharing the data would give) and with each hospital training
 * alone under the same budget. The numbers are measured and printed, never asserted here.
 *
 * In process by default (the deployment's coordinator and node code over an in-memory transport);
 * `--processes` runs a coordinator and one node process per hospital over mutual TLS on loopback.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { buildReport, gatherEvidence, renderHtml } from '../../compliance/index.js';
import { ConfigError, csprng, type Rng, seededRng } from '../../core/index.js';
import { type FederatedData, federationModel, loadParams } from '../../fl/index.js';
import { Ledger } from '../../ledger/index.js';
import { type Dataset, SequentialModel } from '../../ml/index.js';
import { evaluateModel, trainModel } from '../../train/index.js';
import { FlagParser } from '../flags.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import {
  concatDatasets,
  DEMO_SETTINGS,
  type DemoRound,
  type DemoRun,
  type DemoSettings,
  demoData,
  demoFederation,
  runInProcess,
} from './demo-federation.js';
import { runInProcesses } from './demo-processes.js';

/** Raw flags of `veil demo`. */
export interface DemoFlags {
  readonly processes?: boolean;
  readonly dir?: string;
  readonly rounds?: string;
  readonly epsilon?: string;
}

const PURPOSE = 'readmission risk model';
const MODEL_ACCOUNT = 'readmission-risk';

/** 'sha256:<hex>' of the bytes of typed arrays (a dataset's fingerprint: the ledger never sees the records). */
function sha256Of(...views: readonly NodeJS.ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const v of views) h.update(v);
  return `sha256:${h.digest('hex')}`;
}

/** Trains the demo's model centrally on `train` (a baseline) and returns its accuracy on `test`. */
export function trainAlone(
  data: FederatedData,
  s: DemoSettings,
  train: Dataset,
  privacy: 'dp' | 'non-private',
  rng: Rng,
): number {
  const { spec } = federationModel(
    demoFederation(s, data.nodes.length),
    train.featureShape,
    train.numClasses,
  );
  const model = new SequentialModel(spec, train.featureShape, train.numClasses, rng);
  const epochs = s.rounds * s.localEpochs; // the same passes over the data as the federation's nodes make
  trainModel({
    model,
    train,
    epochs,
    batchSize: Math.min(s.batchSize, train.numExamples),
    // the demo's hospital sizes are fixed by its settings, so public by construction
    publicSize: train.numExamples,
    optimizer: { kind: 'sgd', learningRate: s.learningRate, momentum: 0 },
    privacy:
      privacy === 'dp'
        ? { kind: 'dp', targetEpsilon: s.localEpsilon, delta: s.delta }
        : { kind: 'non-private' },
    ...(privacy === 'dp' ? { clipping: { kind: 'flat', maxGradNorm: s.maxGradNorm } } : {}),
    rng,
  });
  return evaluateModel(model, data.test).accuracy;
}

export function globalAccuracy(data: FederatedData, s: DemoSettings, global: Float32Array): number {
  const first = data.nodes[0]!.train;
  const { spec } = federationModel(
    demoFederation(s, data.nodes.length),
    first.featureShape,
    first.numClasses,
  );
  const model = new SequentialModel(spec, first.featureShape, first.numClasses, seededRng(0));
  loadParams(model.params, global);
  return evaluateModel(model, data.test).accuracy;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A progress line on stderr per round, overwritten in place on a terminal. */
function progress(io: Io, processes: boolean) {
  return {
    step(text: string) {
      io.stderr(`veil demo: ${text}\n`);
    },
    round(r: DemoRound) {
      const width = 20;
      const filled = Math.round((width * r.round) / r.rounds);
      const acc = r.accuracy === null ? '' : `, held-out accuracy ${pct(r.accuracy)}`;
      io.stderr(
        `veil demo: round ${String(r.round).padStart(2)}/${r.rounds} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
          `secure sum of ${r.participants} updates${acc}${processes ? '' : ''}\n`,
      );
    },
  };
}

/** Runs `veil demo`. */
export async function demo(flags: DemoFlags, global: GlobalOptions, io: Io): Promise<CommandResult> {
  const p = new FlagParser();
  const rounds = p.optionalNumber(
    'rounds',
    flags.rounds,
    { kind: 'integer', min: 1, max: 100 },
    DEMO_SETTINGS.rounds,
  );
  const epsilon = p.optionalNumber(
    'epsilon',
    flags.epsilon,
    { kind: 'positive' },
    DEMO_SETTINGS.localEpsilon,
  );
  if (epsilon > 50) p.problem('--epsilon', flags.epsilon, 'a budget in (0, 50]');
  if (flags.processes && global.seed !== undefined) {
    p.problem(
      '--seed',
      global.seed,
      'left out with --processes (separate processes draw their noise from the CSPRNG)',
    );
  }
  p.done();
  const settings: DemoSettings = { ...DEMO_SETTINGS, rounds, localEpsilon: epsilon };
  const started = performance.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = resolve(flags.dir ?? join('veil-data', 'demo'));
  const dir = join(base, `run-${stamp}`);
  if (existsSync(dir)) {
    throw new ConfigError(
      [{ path: '--dir', value: dir, allowed: 'a directory without a run of this second' }],
      'demo',
    );
  }
  mkdirSync(dir, { recursive: true });
  const show = progress(io, flags.processes === true);
  const data = demoData();
  const orgs = data.nodes.map((n) => n.name);
  show.step(
    `${orgs.length} hospitals (${data.nodes.map((n) => `${n.name}: ${n.train.numExamples} patients`).join(', ')}); ` +
      `records never leave them. Run directory: ${relative(process.cwd(), dir) || dir}`,
  );

  // --- the ledger: one account per hospital, its dataset and consent terms, checked before any training
  const ledger = await Ledger.open(`sqlite:${join(dir, 'veil.db')}`, { actor: 'veil-demo' });
  try {
    const retainUntil = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    for (const node of data.nodes) {
      await ledger.createAccount({
        path: node.name,
        epsilon: 4 * settings.localEpsilon,
        delta: settings.delta,
      });
      await ledger.createAccount({
        path: `${node.name}/${MODEL_ACCOUNT}`,
        epsilon: settings.localEpsilon,
        delta: settings.delta,
      });
      await ledger.registerDataset({
        name: `${node.name}-patients`,
        fingerprint: sha256Of(node.train.features, node.train.labels),
        purposes: [PURPOSE],
        retainUntil,
        constraints: [
          'no re-identification',
          'records stay on site; only DP, securely aggregated updates leave',
        ],
        description: `${node.name}: ${node.train.numExamples} training patients (synthetic, embedded)`,
      });
      await ledger.authorize(`${node.name}-patients`, PURPOSE, {
        fingerprint: async () => sha256Of(node.train.features, node.train.labels),
      });
    }
    show.step(
      `ledger: ${orgs.length} budget accounts (epsilon ${settings.localEpsilon} each), datasets registered, purpose "${PURPOSE}" allowed`,
    );

    // --- the federation
    show.step(
      `federated training: ${settings.rounds} rounds of FedAvg, local DP-SGD within epsilon ${settings.localEpsilon} ` +
        `at each hospital, ${settings.secureAggregation.toUpperCase()} so the coordinator sees only the sum` +
        (flags.processes ? ', as separate processes over mutual TLS' : ''),
    );
    let run: DemoRun;
    if (flags.processes) {
      run = await runInProcesses(data, settings, {
        dir: join(dir, 'federation'),
        onRound: (r) => show.round(r),
        onLog: (line) => show.step(line),
      });
    } else {
      run = await runInProcess(data, settings, {
        ...(global.seed !== undefined ? { seed: global.seed } : {}),
        onRound: (r) => show.round(r),
      });
    }
    const accuracy = globalAccuracy(data, settings, run.global);

    // --- every hospital's spend, in its ledger account (its node enforced the budget while training)
    const spendIds: number[] = [];
    for (const org of orgs) {
      const events = run.eventsByOrganisation[org] ?? [];
      if (events.length === 0) continue;
      const receipt = await ledger.spend(`${org}/${MODEL_ACCOUNT}`, events, {
        purpose: PURPOSE,
        dataset: `${org}-patients`,
      });
      spendIds.push(receipt.id);
    }
    const epsilonByOrg: Record<string, number> = {};
    for (const org of orgs) {
      epsilonByOrg[org] = (await ledger.status(`${org}/${MODEL_ACCOUNT}`)).epsilonSpent;
    }

    // --- the baselines, on the same held-out test set
    show.step(
      'baselines: a non-private model on the pooled data, and each hospital alone under the same budget',
    );
    const rng = global.seed === undefined ? csprng() : seededRng(`${global.seed}/baselines`);
    const baselineAccuracy = trainAlone(
      data,
      settings,
      concatDatasets(data.nodes.map((n) => n.train)),
      'non-private',
      rng,
    );
    const aloneAccuracy: Record<string, number> = {};
    for (const node of data.nodes)
      aloneAccuracy[node.name] = trainAlone(data, settings, node.train, 'dp', rng);

    // --- lineage, audit, report
    const modelHash = sha256Of(run.global);
    await ledger.recordJob({
      job: `veil demo ${stamp}`,
      datasets: orgs.map((o) => `${o}-patients`),
      purpose: PURPOSE,
      modelHash,
      spendIds,
      detail: {
        testAccuracy: accuracy,
        rounds: run.roundsCompleted,
        secureAggregation: settings.secureAggregation,
      },
    });
    const audit = await ledger.verifyAudit();
    const evidence = await gatherEvidence(ledger, {
      run: {
        mechanism: 'local-dp',
        epsilon: Math.max(...Object.values(epsilonByOrg)),
        delta: settings.delta,
        accountant: 'rdp',
        secureAggregation: settings.secureAggregation,
        transport: flags.processes ? 'mutual TLS 1.3' : 'in-memory (simulation)',
        organisations: orgs,
        utility: { metric: 'accuracy', private: accuracy, baseline: baselineAccuracy, alone: aloneAccuracy },
        ...(run.private ? {} : { seeded: true }),
      },
    });
    const reportPath = join(dir, 'report.html');
    writeFileSync(reportPath, renderHtml(buildReport(evidence, 'gdpr')));
    const seconds = (performance.now() - started) / 1000;
    const positives = data.test.labels.reduce((t, y) => t + y, 0) / data.test.numExamples;
    const summary = {
      ok: true,
      accuracy,
      baselineAccuracy,
      majorityAccuracy: Math.max(positives, 1 - positives),
      aloneAccuracy,
      epsilon: epsilonByOrg,
      delta: settings.delta,
      epsilonBudget: settings.localEpsilon,
      secureAggregation: settings.secureAggregation,
      auditVerified: audit.ok,
      auditEntries: audit.size,
      reportPath,
      ledger: join(dir, 'veil.db'),
      rounds: run.roundsCompleted,
      bytes: run.bytes,
      transport: run.transport,
      private: run.private,
      ...(global.seed !== undefined ? { seed: global.seed } : {}),
      seconds,
    };
    return { summary, text: renderText(summary, orgs) };
  } finally {
    await ledger.close();
  }
}

function renderText(
  s: {
    accuracy: number;
    baselineAccuracy: number;
    majorityAccuracy: number;
    aloneAccuracy: Record<string, number>;
    epsilon: Record<string, number>;
    delta: number;
    epsilonBudget: number;
    secureAggregation: string;
    auditVerified: boolean;
    auditEntries: number;
    reportPath: string;
    ledger: string;
    rounds: number;
    bytes: { sent: number; received: number };
    transport: string;
    private: boolean;
    seconds: number;
  },
  orgs: readonly string[],
): string[] {
  const rel = (p: string) => relative(process.cwd(), p) || p;
  const width = Math.max(...orgs.map((o) => o.length));
  return [
    '',
    `Veil demo: ${orgs.length} hospitals trained one readmission-risk model without pooling their records.`,
    '',
    `  test accuracy on held-out patients of all ${orgs.length} hospitals (always guessing the commoner outcome: ${pct(s.majorityAccuracy)})`,
    `    federated model, local DP + ${s.secureAggregation}   ${pct(s.accuracy)}`,
    `    pooled data, no privacy (baseline)   ${pct(s.baselineAccuracy)}   (federated: ${Math.abs(100 * (s.accuracy - s.baselineAccuracy)).toFixed(1)} points ${s.accuracy >= s.baselineAccuracy ? 'above' : 'below'})`,
    '    each hospital alone, same budget:',
    ...orgs.map((o) => `      ${o.padEnd(width)}  ${pct(s.aloneAccuracy[o]!)}`),
    '',
    `  privacy spent (add/remove one record, hospital sizes public; delta ${s.delta}; budget epsilon ${s.epsilonBudget} each, RDP accountant):`,
    ...orgs.map((o) => `    ${o.padEnd(width)}  epsilon ${s.epsilon[o]!.toFixed(3)}`),
    `  the coordinator saw only the secure sum of the updates in each of ${s.rounds} rounds`,
    `  traffic: ${(s.bytes.sent / 1024).toFixed(1)} KiB sent, ${(s.bytes.received / 1024).toFixed(1)} KiB received by the nodes (${s.transport})`,
    `  audit log: ${s.auditVerified ? `verified (${s.auditEntries} entries, hash chain and signed tree heads)` : 'FAILED verification'}`,
    `  ledger: ${rel(s.ledger)}   (try: veil audit show --db sqlite:${rel(s.ledger)})`,
    `  report: ${rel(s.reportPath)}   (privacy, utility, compliance evidence)`,
    ...(s.private ? [] : ['  NOTE: seeded run: reproducible, and NOT private']),
    `  ${s.seconds.toFixed(1)} s`,
  ];
}
