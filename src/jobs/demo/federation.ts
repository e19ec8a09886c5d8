/**
 * The federation behind the demo job: the organisations, their data, the federation's settings, and the
 * in-process run (the deployment's coordinator and node code over the in-memory transport). `processes.ts` runs
 * the same federation as real processes over mutual TLS on loopback and returns the same {@link DemoRun}.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import { type Rng, seededRng } from '../../core/index.js';
import {
  type FederatedData,
  type FederationConfig,
  type PrivacyBudget,
  parseFederation,
  simulate,
} from '../../fl/index.js';
import {
  createDataset,
  type Dataset,
  generateHospital,
  type HospitalProfile,
  trainTestSplit,
} from '../../ml/index.js';

/** What the demo federation is asked to do. */
export interface DemoSettings {
  readonly rounds: number;
  /** Each organisation's record-level budget: its node runs DP-SGD within it (local DP). */
  readonly localEpsilon: number;
  readonly delta: number;
  readonly secureAggregation: 'secagg' | 'secagg+';
  readonly localEpochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** DP-SGD clipping norm at each node. */
  readonly maxGradNorm: number;
}

export const DEMO_SETTINGS: DemoSettings = {
  rounds: 20,
  localEpsilon: 3,
  delta: 1e-5,
  secureAggregation: 'secagg',
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.5,
  maxGradNorm: 1,
};

/** Seed of the embedded data (generating data is not a privacy mechanism; the noise comes from the CSPRNG). */
export const DEMO_DATA_SEED = 2026;

/**
 * The demo's hospitals: different patient mixes (a young city population, a cardiology centre, an old-age clinic,
 * …) and sizes, so that each one alone sees a slanted sample of the population the model must serve.
 */
export const DEMO_ORGANISATIONS: readonly HospitalProfile[] = Object.freeze([
  { name: 'student-health', records: 250, ageMean: 24, ageSd: 4, bmiMean: 24, smokerRate: 0.3 },
  { name: 'family-practice', records: 225, ageMean: 40, ageSd: 6, bmiMean: 27, smokerRate: 0.22 },
  { name: 'bariatric-clinic', records: 150, ageMean: 52, ageSd: 5, bmiMean: 37, smokerRate: 0.2 },
  { name: 'cardiology-centre', records: 200, ageMean: 66, ageSd: 6, bmiMean: 29.5, smokerRate: 0.3 },
  { name: 'geriatric-clinic', records: 150, ageMean: 82, ageSd: 5, bmiMean: 26.5, smokerRate: 0.08 },
]);

/**
 * The demo's task and its ground truth: 30-day readmission, whose risk is U-shaped in age (young adults and the
 * old are readmitted more often than the middle-aged) and rises with BMI, blood pressure and smoking. Features on
 * fixed, public scales, with age² among them (public feature engineering), so a logistic regression can represent
 * the truth exactly; a hospital that sees one age band cannot tell the curve from a slope, the federation can.
 */
export const READMISSION_MODEL = Object.freeze({
  intercept: -2.2,
  ageSquared: 2.2, // per ((age - 45) / 18)^2
  age: -0.8, // per (age - 45) / 18: the young side of the U is steeper
  bmi: 0.6, // per (bmi - 28) / 6
  systolicBp: 0.3, // per (bp - 130) / 20
  smoker: 0.7,
});

const FEATURES = ['age', 'age^2', 'sex', 'bmi', 'systolicBp', 'smoker'] as const;

function readmissionDataset(profile: HospitalProfile, rng: Rng): Dataset {
  const rows = generateHospital(profile, rng);
  const d = FEATURES.length;
  const features = new Float32Array(rows.length * d);
  const labels = new Int32Array(rows.length);
  const m = READMISSION_MODEL;
  rows.forEach((r, i) => {
    const a = (r.age - 45) / 18;
    const bmi = (r.bmi - 28) / 6;
    const bp = (r.systolicBp - 130) / 20;
    features.set([a, a * a, r.sex, bmi, bp, r.smoker], i * d);
    const logit =
      m.intercept + m.age * a + m.ageSquared * a * a + m.bmi * bmi + m.systolicBp * bp + m.smoker * r.smoker;
    labels[i] = rng.bernoulli(1 / (1 + Math.exp(-logit))) ? 1 : 0;
  });
  return createDataset({
    features,
    labels,
    featureShape: [d],
    numClasses: 2,
    featureNames: [...FEATURES],
    classNames: ['not readmitted', 'readmitted'],
  });
}

/**
 * The organisations' data (80% to train, 20% each keeps to evaluate) and a held-out test set drawn from every
 * organisation's population in proportion to its size: the population the shared model is for.
 */
export function demoData(rng: Rng = seededRng(DEMO_DATA_SEED)): FederatedData {
  const nodes = DEMO_ORGANISATIONS.map((profile) => {
    const { train, test } = trainTestSplit(readmissionDataset(profile, rng), { testFraction: 0.2, rng });
    return { name: profile.name, train, test };
  });
  const parts = DEMO_ORGANISATIONS.map((p) => readmissionDataset({ ...p, records: p.records * 2 }, rng));
  return {
    nodes,
    test: concatDatasets(parts),
    description: `${nodes.length} hospitals with different patient mixes (embedded, synthetic)`,
  };
}

/** Rows of several datasets with the same features, one after the other. */
export function concatDatasets(parts: readonly Dataset[]): Dataset {
  const first = parts[0]!;
  const d = first.features.length / first.numExamples;
  const n = parts.reduce((t, p) => t + p.numExamples, 0);
  const features = new Float32Array(n * d);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    features.set(p.features, at * d);
    labels.set(p.labels, at);
    at += p.numExamples;
  }
  return createDataset({
    features,
    labels,
    featureShape: [...first.featureShape],
    numClasses: first.numClasses,
    ...(first.featureNames ? { featureNames: [...first.featureNames] } : {}),
    ...(first.classNames ? { classNames: [...first.classNames] } : {}),
  });
}

/** The federation's configuration (FedAvg over logistic regression, secure aggregation). */
export function demoFederation(s: DemoSettings, organisations: number): FederationConfig {
  return parseFederation({
    model: 'logreg',
    rounds: s.rounds,
    minNodes: organisations,
    population: organisations,
    selection: { kind: 'fraction', fraction: 1 },
    train: { localEpochs: s.localEpochs, batchSize: s.batchSize, learningRate: s.learningRate },
    strategy: { kind: 'fedavg', aggregator: { kind: 'mean' } },
    evaluateEvery: 1,
    secureAggregation: s.secureAggregation,
    // clip above the DP-SGD updates' norms: the clip bounds the fixed-point encoding, not privacy
    secagg: { clipNorm: 10, stageTimeoutMs: 5_000 },
  });
}

/** One round, as the progress display shows it. */
export interface DemoRound {
  readonly round: number;
  readonly rounds: number;
  readonly participants: number;
  /** The global model's accuracy on the held-out test set after the round (null where no one holds one). */
  readonly accuracy: number | null;
}

/** What a federated run produced, in either mode. */
export interface DemoRun {
  /** The final global model's parameters. */
  readonly global: Float32Array;
  readonly roundsCompleted: number;
  /** Each organisation's record-level privacy events, as its node spent them. */
  readonly eventsByOrganisation: Readonly<Record<string, readonly PrivacyEvent[]>>;
  /** Each organisation's epsilon at the demo's delta, by its node's accountant. */
  readonly epsilonByOrganisation: Readonly<Record<string, number>>;
  /** Bytes every node sent and received in all (protobuf messages). */
  readonly bytes: { readonly sent: number; readonly received: number };
  /** e.g. 'in-memory (simulation)' or 'gRPC over mutual TLS 1.3 (loopback)'. */
  readonly transport: string;
  /** Whether the randomness was the CSPRNG (false with --seed). */
  readonly private: boolean;
  readonly seconds: number;
}

/**
 * Runs the federation in this process. `nodeBudget` gives each organisation's node its budget (default: one in
 * memory); the demo job passes the plan its ledger was charged for.
 */
export async function runInProcess(
  data: FederatedData,
  s: DemoSettings,
  options: {
    seed?: number;
    onRound?: (r: DemoRound) => void;
    nodeBudget?: (organisation: string) => PrivacyBudget;
  } = {},
): Promise<DemoRun> {
  const federation = demoFederation(s, data.nodes.length);
  const r = await simulate({
    federation,
    data,
    localPrivacy: { kind: 'dp', epsilon: s.localEpsilon, delta: s.delta, maxGradNorm: s.maxGradNorm },
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.nodeBudget ? { nodeBudget: options.nodeBudget } : {}),
    onCoordinatorEvent: (e) => {
      if (e.kind === 'round-finished') {
        options.onRound?.({
          round: e.record.round,
          rounds: s.rounds,
          participants: e.record.used.length,
          accuracy: e.record.serverEvaluation?.accuracy ?? null,
        });
      }
    },
  });
  if (r.coordinator.status !== 'finished') {
    throw new Error(`the federation did not finish: ${r.coordinator.failure ?? 'unknown reason'}`);
  }
  const events: Record<string, readonly PrivacyEvent[]> = {};
  const epsilon: Record<string, number> = {};
  for (const n of r.nodes) {
    events[n.name] = n.localPrivacy?.events ?? [];
    epsilon[n.name] = n.localPrivacy?.epsilonSpent ?? 0;
  }
  return {
    global: r.coordinator.global,
    roundsCompleted: r.coordinator.roundsCompleted,
    eventsByOrganisation: events,
    epsilonByOrganisation: epsilon,
    bytes: {
      sent: r.bytes.reduce((t, b) => t + b.sent, 0),
      received: r.bytes.reduce((t, b) => t + b.received, 0),
    },
    transport: 'in process: the deployment code, protobuf-encoded messages',
    private: r.private,
    seconds: r.seconds,
  };
}
