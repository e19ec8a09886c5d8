/**
 * Data for simulated federations: the embedded hospitals (non-IID by construction), a synthetic task of any
 * size (for scale runs), or a real dataset (CSV with a declared domain, Fashion-MNIST) cut into parts IID or
 * with Dirichlet(alpha) label skew. Each part is one node; each part keeps a fifth of its examples as the
 * node's local test set, and a global test set is kept aside for the simulation's server-side evaluation.
 */
import { z } from 'zod';
import { ConfigError, type Rng } from '../../core/index.js';
import {
  createDataset,
  type Dataset,
  DEMO_HOSPITALS,
  FASHION_MNIST_DIR,
  generateHospital,
  loadCsvDataset,
  loadFashionMnist,
  partitionDirichlet,
  partitionIid,
  splitAt,
  trainTestSplit,
} from '../../ml/index.js';
import { configIssues } from '../config/index.js';

const PartitionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('iid') }).strict(),
  z.object({ kind: z.literal('dirichlet'), alpha: z.number().gt(0) }).strict(),
]);

/** Where a simulation's data comes from. */
export const SimulationDataSchema = z.discriminatedUnion('kind', [
  /** The embedded hospitals (3 by default; more repeat the profiles with different draws). */
  z.object({ kind: z.literal('hospitals') }).strict(),
  /** A logistic task with `features` standard-normal features: scale runs with any number of nodes. */
  z
    .object({
      kind: z.literal('synthetic'),
      examplesPerNode: z.number().int().gte(5).default(50),
      features: z.number().int().gte(1).default(10),
      partition: PartitionSchema.default({ kind: 'iid' }),
    })
    .strict(),
  /** A CSV whose every column is declared in `domain`, so all nodes encode it identically. */
  z
    .object({
      kind: z.literal('csv'),
      path: z.string().min(1),
      label: z.string().min(1),
      domain: z.string().min(1),
      /** The first testFromRow data rows train, the rest are the global test set (as `veil train --test-from-row`); default: a stratified 20% split. */
      testFromRow: z.number().int().gte(1).optional(),
      partition: PartitionSchema.default({ kind: 'iid' }),
    })
    .strict(),
  z
    .object({
      kind: z.literal('fashion-mnist'),
      dir: z.string().default(FASHION_MNIST_DIR),
      partition: PartitionSchema.default({ kind: 'iid' }),
      /** Use only this many training examples (default all 60,000). */
      trainExamples: z.number().int().gte(10).optional(),
    })
    .strict(),
]);

/** A parsed data section. */
export type SimulationData = z.infer<typeof SimulationDataSchema>;

/** One simulated node's data. */
export interface NodeData {
  readonly name: string;
  readonly train: Dataset;
  readonly test: Dataset;
}

/** The data of a simulation. */
export interface FederatedData {
  readonly nodes: readonly NodeData[];
  /** Held out from every node: the simulation's server-side evaluation. */
  readonly test: Dataset;
  readonly description: string;
}

/** Parses a data section. @throws {ConfigError} VEIL_CONFIG_INVALID */
export function parseSimulationData(raw: unknown, prefix = 'data'): SimulationData {
  const parsed = SimulationDataSchema.safeParse(raw ?? { kind: 'hospitals' });
  if (!parsed.success) throw new ConfigError(configIssues(parsed.error, raw, prefix), 'simulation data');
  return parsed.data;
}

const HOSPITAL_FEATURES = ['age', 'sex', 'bmi', 'systolicBp', 'smoker'] as const;

/** Patient records of the embedded hospitals as a dataset (features on fixed, public scales). */
export function hospitalDataset(rows: ReturnType<typeof generateHospital>): Dataset {
  const features = new Float32Array(rows.length * HOSPITAL_FEATURES.length);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    // Public, declared scalings (no statistic of the data): ranges of the generator.
    features.set([(r.age - 55) / 20, r.sex, (r.bmi - 28) / 6, (r.systolicBp - 130) / 20, r.smoker], i * 5);
    labels[i] = r.diabetes;
  });
  return createDataset({
    features,
    labels,
    featureShape: [HOSPITAL_FEATURES.length],
    numClasses: 2,
    featureNames: [...HOSPITAL_FEATURES],
    classNames: ['no diabetes', 'diabetes'],
  });
}

function splitLocal(name: string, ds: Dataset, rng: Rng): NodeData {
  if (ds.numExamples < 5) return { name, train: ds, test: ds };
  const { train, test } = trainTestSplit(ds, { testFraction: 0.2, rng });
  return { name, train, test };
}

function partition(
  ds: Dataset,
  nodes: number,
  spec: SimulationData & { partition: unknown },
  rng: Rng,
): Dataset[] {
  const p = (spec as { partition: z.infer<typeof PartitionSchema> }).partition;
  const parts =
    p.kind === 'iid'
      ? partitionIid(ds, { parts: nodes, rng })
      : partitionDirichlet(ds, { parts: nodes, alpha: p.alpha, rng, minPartSize: 5 });
  return [...parts.parts];
}

const nodeName = (i: number, n: number) => `node-${String(i + 1).padStart(String(n).length, '0')}`;

/**
 * Builds the nodes' data. Data generation and partitioning are not privacy mechanisms: `rng` is seeded.
 * @param onProgress called after each node's shard is built (`built` of `nodes`), for a progress display
 * @throws {ConfigError} for a data source that cannot serve `nodes` nodes
 */
export function loadFederatedData(
  spec: SimulationData,
  nodes: number,
  rng: Rng,
  onProgress?: (built: number, total: number) => void,
): FederatedData {
  const shards = (parts: readonly Dataset[]) =>
    parts.map((p, i) => {
      const node = splitLocal(nodeName(i, nodes), p, rng);
      onProgress?.(i + 1, nodes);
      return node;
    });
  switch (spec.kind) {
    case 'hospitals': {
      const out: NodeData[] = [];
      for (let i = 0; i < nodes; i++) {
        const profile = DEMO_HOSPITALS[i % DEMO_HOSPITALS.length]!;
        const name = nodes === DEMO_HOSPITALS.length ? profile.name : `${profile.name}-${i + 1}`;
        out.push(splitLocal(name, hospitalDataset(generateHospital(profile, rng)), rng));
        onProgress?.(i + 1, nodes);
      }
      const test = hospitalDataset(
        DEMO_HOSPITALS.flatMap((p) => generateHospital({ ...p, records: Math.ceil(p.records / 3) }, rng)),
      );
      return { nodes: out, test, description: `${nodes} simulated hospitals (embedded, non-IID case mixes)` };
    }
    case 'synthetic': {
      const d = spec.features;
      const w = Array.from({ length: d }, () => rng.normal());
      const make = (n: number) => {
        const features = new Float32Array(n * d);
        const labels = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          let logit = 0.5;
          for (let j = 0; j < d; j++) {
            const x = rng.normal();
            features[i * d + j] = x;
            logit += ((w[j]! * x) / Math.sqrt(d)) * 3;
          }
          labels[i] = rng.bernoulli(1 / (1 + Math.exp(-logit))) ? 1 : 0;
        }
        return createDataset({ features, labels, featureShape: [d], numClasses: 2 });
      };
      const all = make(spec.examplesPerNode * nodes);
      const parts = partition(all, nodes, spec, rng);
      return {
        nodes: shards(parts),
        test: make(Math.min(20_000, Math.max(1000, spec.examplesPerNode * 10))),
        description: `synthetic logistic task, ${d} features, ${spec.examplesPerNode} examples per node, ${spec.partition.kind}`,
      };
    }
    case 'csv': {
      const loaded = loadCsvDataset({
        path: spec.path,
        label: spec.label,
        domain: spec.domain,
        requireDeclaredBounds: true,
      });
      const { train, test } =
        spec.testFromRow !== undefined
          ? splitAt(loaded.dataset, spec.testFromRow)
          : trainTestSplit(loaded.dataset, { testFraction: 0.2, rng, stratify: true });
      const parts = partition(train, nodes, spec, rng);
      return {
        nodes: shards(parts),
        test,
        description: `${spec.path} (${train.numExamples} training rows) in ${nodes} ${spec.partition.kind} parts`,
      };
    }
    case 'fashion-mnist': {
      const { train: full, test } = loadFashionMnist({ dir: spec.dir });
      const train = spec.trainExamples ? splitAt(full, spec.trainExamples).train : full;
      const parts = partition(train, nodes, spec, rng);
      return {
        nodes: shards(parts),
        test,
        description: `Fashion-MNIST (${train.numExamples} training images) in ${nodes} ${spec.partition.kind} parts`,
      };
    }
  }
}
