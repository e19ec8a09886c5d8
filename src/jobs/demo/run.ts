/**
 * The demo job (`veil demo`, what `npm start` runs): the main job, end to end, on embedded data.
 *
 * Five hospitals with different patient mixes train one readmission-risk model together. Each keeps its records:
 * its node trains locally with DP-SGD within its own record-level budget (local DP), and the coordinator learns
 * only the securely aggregated sum of the updates (SecAgg). Every organisation's dataset is registered with its
 * consent terms and checked before training; each hospital's whole training plan is charged to its account in a
 * SQLite ledger with a tamper-evident audit log before the federation starts (charges.ts); the run ends with the
 * lineage of the model (every hospital's dataset, every spend), the audit log verified and an HTML report
 * (privacy, utility, compliance evidence). A failure after the charges is recorded as `job.failed`. The federated model is compared, on a held-out test set drawn from all the patient mixes, with a
 * non-private model trained on the pooled data (what sharing the data would give) and with each hospital training
 * alone under the same budget. The numbers are measured and reported, never asserted here.
 *
 * In process by default (the deployment's coordinator and node code over an in-memory transport); with
 * `processes`, a coordinator and one node process per hospital over mutual TLS on loopback.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildReport, gatherEvidence, renderHtml } from '../../compliance/index.js';
import { ConfigError, csprng, ensureDirectory, seededRng } from '../../core/index.js';
import type { FederatedData, PrivacyBudget } from '../../fl/index.js';
import { Ledger } from '../../ledger/index.js';
import { checkCancelled, type JobContext } from '../context.js';
import { globalAccuracy, trainAlone } from './baselines.js';
import { checkWithinPlan, type HospitalPlan, planHospitals, prepaidBudget } from './charges.js';
import {
  concatDatasets,
  DEMO_SETTINGS,
  type DemoRound,
  type DemoRun,
  type DemoSettings,
  demoData,
  runInProcess,
} from './federation.js';
import { runInProcesses } from './processes.js';
import { type DemoSpec, demoDirIssue, demoSeedIssue } from './spec.js';

const PURPOSE = 'readmission risk model';
const MODEL_ACCOUNT = 'readmission-risk';

/** What the demo job reports while it runs, for a progress display: never a record. */
export type DemoEvent =
  | {
      readonly kind: 'started';
      readonly organisations: readonly { readonly name: string; readonly patients: number }[];
      /** The run's own directory (absolute): its ledger, audit log, report and (with processes) federation. */
      readonly runDir: string;
    }
  /** A stage of the job begins, in words. */
  | { readonly kind: 'step'; readonly message: string }
  /** A notable line from one of the federation's processes (with processes), after the process's name. */
  | { readonly kind: 'log'; readonly message: string }
  | ({ readonly kind: 'round' } & DemoRound);

/**
 * The context of the demo job. The demo keeps its own ledger, a new SQLite file in each run's directory, opened as
 * `principal` (so it takes no ledger access), and reports {@link DemoEvent}s.
 */
export type DemoJobContext = Omit<JobContext, 'ledger' | 'progress'> & {
  readonly progress: (event: DemoEvent) => void;
};

/** The demo's JSON summary (`veil demo --json` prints it; keys in this order). */
export type DemoSummary = {
  readonly ok: true;
  /** The federated model's accuracy on the held-out test set. */
  readonly accuracy: number;
  /** The pooled, non-private model's. */
  readonly baselineAccuracy: number;
  /** Always guessing the commoner outcome. */
  readonly majorityAccuracy: number;
  /** Each hospital alone, under the same budget. */
  readonly aloneAccuracy: Readonly<Record<string, number>>;
  /** Each hospital's epsilon spent, from its ledger account. */
  readonly epsilon: Readonly<Record<string, number>>;
  readonly delta: number;
  readonly epsilonBudget: number;
  readonly secureAggregation: string;
  readonly auditVerified: boolean;
  readonly auditEntries: number;
  readonly reportPath: string;
  readonly ledger: string;
  readonly rounds: number;
  readonly bytes: { readonly sent: number; readonly received: number };
  readonly transport: string;
  readonly private: boolean;
  readonly seed?: number;
  readonly seconds: number;
};

/** What a demo job did. */
export interface DemoJobResult {
  readonly summary: DemoSummary;
  /** The hospitals, in the demo's order. */
  readonly organisations: readonly string[];
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** 'sha256:<hex>' of the bytes of typed arrays (a dataset's fingerprint: the ledger never sees the records). */
function sha256Of(...views: readonly NodeJS.ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const v of views) h.update(v);
  return `sha256:${h.digest('hex')}`;
}

/**
 * Runs the demo: a new run directory under `spec.dir`, its ledger, the hospitals' datasets and consent checked,
 * every hospital's training plan charged, the federation, the baselines, the lineage, the audit and the report.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a seed with processes, or a `dir` that is no directory Veil can
 *   create or write in (both before anything is created)
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when a process of the federation fails (with processes)
 */
export async function runDemoJob(spec: DemoSpec, ctx: DemoJobContext): Promise<DemoJobResult> {
  const issues = [demoSeedIssue(spec.processes, ctx.seed), demoDirIssue(spec.dir)].filter((i) => i !== null);
  if (issues.length > 0) throw new ConfigError(issues, 'demo spec');
  const settings: DemoSettings = { ...DEMO_SETTINGS, rounds: spec.rounds, localEpsilon: spec.epsilon };
  const started = performance.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(resolve(spec.dir), `run-${stamp}`);
  if (existsSync(dir)) {
    throw new ConfigError(
      [{ path: 'dir', value: dir, allowed: 'a directory without a run of this second' }],
      'demo',
    );
  }
  try {
    ensureDirectory(dir);
  } catch (err) {
    // a place the checks above cannot see through (a read-only or pseudo file system such as /proc)
    throw new ConfigError(
      [
        {
          path: 'dir',
          value: spec.dir,
          allowed: `a directory Veil can create or write in (${errorMessage(err)})`,
        },
      ],
      'demo spec',
    );
  }
  const data = demoData();
  const orgs = data.nodes.map((n) => n.name);
  ctx.progress({
    kind: 'started',
    organisations: data.nodes.map((n) => ({ name: n.name, patients: n.train.numExamples })),
    runDir: dir,
  });
  const ledger = await Ledger.open(`sqlite:${join(dir, 'veil.db')}`, { actor: ctx.principal });
  const job = `veil demo ${stamp}`;
  const datasets = orgs.map((o) => `${o}-patients`);
  try {
    // every check that can fail first: the accounts, each dataset's consent for the purpose, each plan
    await registerHospitals(ledger, data, settings);
    const plans = planHospitals(data, settings);
    checkCancelled(ctx);
    const spendIds: number[] = [];
    let stage = 'charge';
    try {
      // then the charge: each hospital's whole plan, before any of its records is touched
      for (const plan of plans) spendIds.push(await chargeHospital(ledger, plan));
      ctx.progress({
        kind: 'step',
        message:
          `ledger: ${orgs.length} budget accounts (epsilon ${settings.localEpsilon} each), datasets registered, ` +
          `purpose "${PURPOSE}" allowed, every hospital's ${settings.rounds} rounds charged before training`,
      });
      stage = 'federated training';
      const byOrg = new Map(plans.map((p) => [p.organisation, p]));
      const run = await federate(spec, ctx, data, settings, dir, (org) =>
        prepaidBudget(byOrg.get(org)!, settings),
      );
      for (const plan of plans) checkWithinPlan(plan, run.eventsByOrganisation[plan.organisation] ?? []);
      checkCancelled(ctx);
      stage = 'baselines, lineage and report';
      return await finish({ spec, ctx, ledger, data, settings, dir, run, spendIds, job, datasets, started });
    } catch (err) {
      // charged (some or all), and nothing came out: the log says what was spent, where it stopped and why
      if (spendIds.length > 0)
        await ledger.recordJob({
          job,
          datasets,
          purpose: PURPOSE,
          spendIds,
          failure: { stage, reason: errorMessage(err) },
        });
      throw err;
    }
  } finally {
    await ledger.close();
  }
}

/** After the federation: the baselines, the lineage, the audit and the report. */
async function finish(c: {
  readonly spec: DemoSpec;
  readonly ctx: DemoJobContext;
  readonly ledger: Ledger;
  readonly data: FederatedData;
  readonly settings: DemoSettings;
  readonly dir: string;
  readonly run: DemoRun;
  readonly spendIds: readonly number[];
  readonly job: string;
  readonly datasets: readonly string[];
  readonly started: number;
}): Promise<DemoJobResult> {
  const { spec, ctx, ledger, data, settings, dir, run, spendIds } = c;
  const orgs = data.nodes.map((n) => n.name);
  const accuracy = globalAccuracy(data, settings, run.global);
  const epsilonByOrg: Record<string, number> = {};
  for (const org of orgs) epsilonByOrg[org] = (await ledger.status(`${org}/${MODEL_ACCOUNT}`)).epsilonSpent;

  ctx.progress({
    kind: 'step',
    message:
      'baselines: a non-private model on the pooled data, and each hospital alone under the same budget',
  });
  const rng = ctx.seed === undefined ? csprng() : seededRng(`${ctx.seed}/baselines`);
  const pooled = concatDatasets(data.nodes.map((n) => n.train));
  const baselineAccuracy = trainAlone(data, settings, pooled, 'non-private', rng);
  const aloneAccuracy: Record<string, number> = {};
  for (const node of data.nodes) aloneAccuracy[node.name] = trainAlone(data, settings, node.train, 'dp', rng);

  // --- lineage (every hospital's dataset, every spend), audit, report
  await ledger.recordJob({
    job: c.job,
    datasets: c.datasets,
    purpose: PURPOSE,
    modelHash: sha256Of(run.global),
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
      transport: spec.processes ? 'mutual TLS 1.3' : 'in-memory (simulation)',
      organisations: orgs,
      utility: { metric: 'accuracy', private: accuracy, baseline: baselineAccuracy, alone: aloneAccuracy },
      ...(run.private ? {} : { seeded: true }),
    },
  });
  const reportPath = join(dir, 'report.html');
  writeFileSync(reportPath, renderHtml(buildReport(evidence, 'gdpr')));
  const seconds = (performance.now() - c.started) / 1000;
  const positives = data.test.labels.reduce((t, y) => t + y, 0) / data.test.numExamples;
  const summary: DemoSummary = {
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
    ...(ctx.seed !== undefined ? { seed: ctx.seed } : {}),
    seconds,
  };
  return { summary, organisations: orgs };
}

/** One account per hospital, its dataset and consent terms, checked before any training. */
async function registerHospitals(ledger: Ledger, data: FederatedData, settings: DemoSettings): Promise<void> {
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
}

/**
 * The federated training, in this process (each node spending from `budget`, the plan its ledger account was
 * charged for) or as processes (under the run's `federation` directory; each node charges its own ledger).
 */
async function federate(
  spec: DemoSpec,
  ctx: DemoJobContext,
  data: FederatedData,
  settings: DemoSettings,
  dir: string,
  budget: (organisation: string) => PrivacyBudget,
): Promise<DemoRun> {
  ctx.progress({
    kind: 'step',
    message:
      `federated training: ${settings.rounds} rounds of FedAvg, local DP-SGD within epsilon ${settings.localEpsilon} ` +
      `at each hospital, ${settings.secureAggregation.toUpperCase()} so the coordinator sees only the sum` +
      (spec.processes ? ', as separate processes over mutual TLS' : ''),
  });
  const onRound = (r: DemoRound) => ctx.progress({ kind: 'round', ...r });
  if (spec.processes) {
    return runInProcesses(data, settings, {
      dir: join(dir, 'federation'),
      onRound,
      onLog: (message) => ctx.progress({ kind: 'log', message }),
    });
  }
  return runInProcess(data, settings, {
    ...(ctx.seed !== undefined ? { seed: ctx.seed } : {}),
    onRound,
    nodeBudget: budget,
  });
}

/** Charges a hospital's whole plan to its ledger account (for its dataset and the purpose): the spend's id. */
async function chargeHospital(ledger: Ledger, plan: HospitalPlan): Promise<number> {
  const receipt = await ledger.spend(`${plan.organisation}/${MODEL_ACCOUNT}`, plan.events, {
    purpose: PURPOSE,
    dataset: `${plan.organisation}-patients`,
  });
  return receipt.id;
}
