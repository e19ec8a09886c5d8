/**
 * `veil demo` (what `npm start` runs): what Veil can truly do today, on embedded synthetic data.
 *
 * Three simulated hospitals each release differentially private statistics of their own patients (count, mean
 * age, diabetes prevalence, an age histogram, the median blood pressure) with exact discrete samplers; each
 * hospital's privacy bill is composed under the RDP and PLD accountants and by plain summation; the released
 * statistics are combined across hospitals (post-processing: no raw record leaves a hospital) and compared
 * with the truth the generator knows. It ends with an accountant walk-through for a planned DP-SGD schedule.
 * The federated training demo arrives with the federated engine; nothing here pretends to do it.
 */
import {
  calibrateNoiseMultiplier,
  dpSgdEvent,
  PldAccountant,
  type PrivacyEvent,
  RdpAccountant,
} from '../../accounting/index.js';
import { csprng, type Rng, seededRng } from '../../core/index.js';
import { privateBoundedMean, privateCount, privateHistogram, privateQuantile } from '../../dp/index.js';
import { DEMO_HOSPITALS, generateHospital, type PatientRecord } from '../../ml/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

/** delta at which per-hospital epsilons are reported. */
const DELTA = 1e-6;
/** Seed of the synthetic data (the data are not a privacy mechanism; the noise is). */
const DATA_SEED = 2026;

interface StatisticRow {
  readonly statistic: string;
  readonly truth: number;
  readonly released: number;
  readonly mechanism: string;
  readonly epsilon: number;
}

interface HospitalResult {
  readonly name: string;
  readonly records: number;
  readonly statistics: readonly StatisticRow[];
  readonly ageHistogram: {
    readonly bins: readonly string[];
    readonly truth: number[];
    readonly released: number[];
  };
  readonly epsilon: { readonly rdp: number; readonly pld: number; readonly basicComposition: number };
  /** The same releases repeated daily for a year: where composition by an accountant pays off. */
  readonly epsilonDailyForAYear: {
    readonly rdp: number;
    readonly pld: number;
    readonly basicComposition: number;
  };
}

const DAYS = 365;

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** One hospital's releases: every statistic with its own epsilon; events composed afterwards. */
function releaseHospital(name: string, rows: readonly PatientRecord[], rng: Rng): HospitalResult {
  const ages = rows.map((r) => r.age);
  const diabetes = rows.map((r) => r.diabetes);
  const bp = rows.map((r) => r.systolicBp);
  const count = privateCount({ noise: { kind: 'laplace', epsilon: 0.1 } });
  const meanAge = privateBoundedMean({ lower: 18, upper: 95, noise: { kind: 'laplace', epsilon: 0.2 } });
  const prevalence = privateBoundedMean({ lower: 0, upper: 1, noise: { kind: 'laplace', epsilon: 0.2 } });
  const histogram = privateHistogram({
    binning: { kind: 'uniform', lower: 18, upper: 98, bins: 8 },
    noise: { kind: 'laplace', epsilon: 0.2 },
  });
  const medianBp = privateQuantile({ lower: 80, upper: 220, quantile: 0.5, epsilon: 0.2 });

  const statistics: StatisticRow[] = [
    {
      statistic: 'patients',
      truth: rows.length,
      released: count.release(rows, rng).value,
      mechanism: 'discrete Laplace',
      epsilon: 0.1,
    },
    {
      statistic: 'mean age',
      truth: mean(ages),
      released: meanAge.release(ages, rng).value,
      mechanism: 'noisy sum / noisy count',
      epsilon: 0.2,
    },
    {
      statistic: 'diabetes prevalence',
      truth: mean(diabetes),
      released: prevalence.release(diabetes, rng).value,
      mechanism: 'noisy sum / noisy count',
      epsilon: 0.2,
    },
    {
      statistic: 'median systolic BP',
      truth: median(bp),
      released: medianBp.release(bp, rng).value,
      mechanism: 'exponential (Smith 2011)',
      epsilon: 0.2,
    },
  ];
  const truthHistogram = new Array<number>(histogram.bins).fill(0);
  for (const a of ages) truthHistogram[histogram.binOf(a)]! += 1;
  const released = Array.from(histogram.release(ages, rng).value);

  // The mechanisms' nominal events: with a seeded rng the releases themselves carry a non-private event, and
  // the whole run is marked not private; the bill below is what the same run costs with the CSPRNG.
  const events: PrivacyEvent[] = [
    count.event,
    meanAge.event,
    prevalence.event,
    histogram.event,
    medianBp.event,
  ];
  const rdp = new RdpAccountant();
  const pld = new PldAccountant();
  for (const e of events) {
    rdp.compose(e);
    pld.compose(e);
  }
  const basic = 0.1 + 4 * 0.2;
  return {
    name,
    records: rows.length,
    statistics,
    ageHistogram: {
      bins: Array.from({ length: 8 }, (_, i) => `${18 + 10 * i}-${27 + 10 * i}`),
      truth: truthHistogram,
      released,
    },
    epsilon: {
      rdp: rdp.epsilon({ delta: DELTA }),
      pld: pld.epsilon({ delta: DELTA }),
      basicComposition: basic,
    },
    epsilonDailyForAYear: yearlyBill(events, DAYS * basic),
  };
}

const yearlyBills = new Map<string, HospitalResult['epsilonDailyForAYear']>();

/**
 * The bill of repeating `events` daily for a year. Hospitals running the same mechanisms share it (computed
 * once). The PLD uses a 1e-3 grid here: coarser is still an upper bound, and ten times faster.
 */
function yearlyBill(
  events: readonly PrivacyEvent[],
  basicComposition: number,
): HospitalResult['epsilonDailyForAYear'] {
  const key = JSON.stringify(events);
  const known = yearlyBills.get(key);
  if (known) return known;
  const rdp = new RdpAccountant();
  const pld = new PldAccountant({ valueDiscretizationInterval: 1e-3 });
  for (const e of events) {
    rdp.compose(e, { times: DAYS });
    pld.compose(e, { times: DAYS });
  }
  const bill = { rdp: rdp.epsilon({ delta: DELTA }), pld: pld.epsilon({ delta: DELTA }), basicComposition };
  yearlyBills.set(key, bill);
  return bill;
}

/** Runs the demo. */
export function demo(global: GlobalOptions, io: Io): CommandResult {
  const progress = (line: string) => io.stderr(`${line}\n`);
  const rng = global.seed === undefined ? csprng() : seededRng(global.seed);
  const dataRng = seededRng(DATA_SEED);
  const hospitals: HospitalResult[] = [];
  const allRows: PatientRecord[][] = [];
  DEMO_HOSPITALS.forEach((profile, i) => {
    progress(
      `[${i + 1}/${DEMO_HOSPITALS.length}] ${profile.name}: generating ${profile.records} synthetic patients, releasing DP statistics`,
    );
    const rows = generateHospital(profile, dataRng);
    allRows.push(rows);
    hospitals.push(releaseHospital(profile.name, rows, rng));
  });

  // Combining the hospitals' releases is post-processing: no extra privacy cost, no raw record shared.
  const pooled = allRows.flat();
  const noisyCounts = hospitals.map((h) => Math.max(1, h.statistics[0]!.released));
  const totalNoisy = noisyCounts.reduce((s, c) => s + c, 0);
  const combine = (k: number) =>
    hospitals.reduce((s, h, i) => s + h.statistics[k]!.released * noisyCounts[i]!, 0) / totalNoisy;
  const combined = {
    patients: { truth: pooled.length, released: totalNoisy },
    meanAge: { truth: mean(pooled.map((r) => r.age)), released: combine(1) },
    diabetesPrevalence: { truth: mean(pooled.map((r) => r.diabetes)), released: combine(2) },
  };

  progress('accountant walk-through: a planned DP-SGD schedule for the largest hospital');
  const plan = planDpSgd();

  const summary = {
    private: rng.isPrivate,
    ...(global.seed === undefined
      ? {}
      : { seed: global.seed, note: 'seeded noise: reproducible and NOT private' }),
    delta: DELTA,
    hospitals,
    combined,
    dpSgdPlan: plan,
    notes: [
      'data are synthetic (embedded generator with a known ground truth); noise comes from exact discrete samplers',
      'neighbouring relation: add/remove one patient record',
      'this demo does not run federated training or secure aggregation (see veil simulate) and the ledger is not built yet',
    ],
  };
  return { summary, text: renderText(summary.private, hospitals, combined, plan) };
}

interface DpSgdPlan {
  readonly records: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly sampleRate: number;
  readonly steps: number;
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly noiseMultiplierRdp: number;
  readonly noiseMultiplierPld: number;
  readonly epsilonAtRdpNoise: { readonly rdp: number; readonly pld: number };
}

function planDpSgd(): DpSgdPlan {
  const records = DEMO_HOSPITALS[0]!.records;
  const batchSize = 64;
  const epochs = 20;
  const sampleRate = batchSize / records;
  const steps = Math.ceil((epochs * records) / batchSize);
  const targetEpsilon = 2;
  const rdp = calibrateNoiseMultiplier({
    targetEpsilon,
    delta: DELTA,
    sampleRate,
    steps,
    accountant: 'rdp',
    tolerance: 1e-3,
  });
  const pld = calibrateNoiseMultiplier({
    targetEpsilon,
    delta: DELTA,
    sampleRate,
    steps,
    accountant: 'pld',
    tolerance: 1e-3,
  });
  const event = dpSgdEvent({ sampleRate, noiseMultiplier: rdp.noiseMultiplier, steps });
  return {
    records,
    batchSize,
    epochs,
    sampleRate,
    steps,
    targetEpsilon,
    delta: DELTA,
    noiseMultiplierRdp: rdp.noiseMultiplier,
    noiseMultiplierPld: pld.noiseMultiplier,
    epsilonAtRdpNoise: {
      rdp: rdp.epsilon,
      pld: new PldAccountant().compose(event).epsilon({ delta: DELTA }),
    },
  };
}

const f = (x: number, digits = 3) => (Number.isInteger(x) ? String(x) : x.toFixed(digits));
/** An epsilon, truncated (never rounded up to look like the target, never down to look smaller than it is). */
const fe = (x: number) => (Math.floor(x * 1000) / 1000).toFixed(3);

function renderText(
  isPrivate: boolean,
  hospitals: readonly HospitalResult[],
  combined: Record<string, { truth: number; released: number }>,
  plan: DpSgdPlan,
): string[] {
  const lines: string[] = [];
  lines.push('Veil demo: differentially private statistics of three hospitals, and their privacy bill');
  if (!isPrivate) lines.push('!! seeded run: the noise is reproducible and the results are NOT private');
  for (const h of hospitals) {
    lines.push('', `${h.name} (${h.records} synthetic patients)`);
    lines.push(
      `  ${'statistic'.padEnd(22)}${'truth'.padStart(10)}${'released'.padStart(11)}   epsilon  mechanism`,
    );
    for (const s of h.statistics) {
      lines.push(
        `  ${s.statistic.padEnd(22)}${f(s.truth).padStart(10)}${f(s.released).padStart(11)}   ${f(s.epsilon, 2).padStart(7)}  ${s.mechanism}`,
      );
    }
    lines.push(`  ${'age histogram'.padEnd(22)}truth    ${h.ageHistogram.truth.join(' ')}`);
    lines.push(
      `  ${''.padEnd(22)}released ${h.ageHistogram.released.join(' ')}   (epsilon 0.20, discrete Laplace)`,
    );
    lines.push(
      `  privacy bill at delta = ${DELTA}: sum of epsilons ${f(h.epsilon.basicComposition, 2)}, RDP ${f(h.epsilon.rdp, 4)}, PLD ${f(h.epsilon.pld, 4)}`,
    );
    const y = h.epsilonDailyForAYear;
    lines.push(
      `  the same releases daily for a year: sum ${f(y.basicComposition, 1)}, RDP ${f(y.rdp, 2)}, PLD ${f(y.pld, 2)}`,
    );
  }
  lines.push('', 'combined across hospitals (post-processing of the releases; no raw record shared)');
  for (const [k, v] of Object.entries(combined))
    lines.push(`  ${k.padEnd(22)}truth ${f(v.truth)}   released ${f(v.released)}`);
  lines.push(
    '',
    `planned DP-SGD for ${plan.records} records: batch ${plan.batchSize}, ${plan.epochs} epochs = ${plan.steps} steps (q = ${f(plan.sampleRate, 4)})`,
  );
  lines.push(
    `  noise multiplier for epsilon ${plan.targetEpsilon} at delta ${plan.delta}: ${f(plan.noiseMultiplierRdp, 3)} (RDP), ${f(plan.noiseMultiplierPld, 3)} (PLD)`,
  );
  lines.push(
    `  at noise ${f(plan.noiseMultiplierRdp, 3)}: epsilon ${fe(plan.epsilonAtRdpNoise.rdp)} (RDP) vs ${fe(plan.epsilonAtRdpNoise.pld)} (PLD): the PLD accountant is tighter`,
  );
  lines.push('', 'Try: ./bin/veil privacy epsilon --help    (docs/privacy.md explains the accountants)');
  return lines;
}
