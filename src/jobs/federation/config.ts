/**
 * Configuration files of the federation's jobs (`veil coordinator`, `veil node`, `veil simulate`): YAML or JSON, validated with zod
 * (ARCHITECTURE decision 7). Every problem is reported at once with its path, the value and what is allowed;
 * relative paths inside a file are resolved against the file's directory.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  type ConfigIssue,
  checkSchema,
  DeltaSchema,
  EpsilonSchema,
  NoiseMultiplierSchema,
} from '../../core/index.js';
import { FederationSchema, parseSimulationData, SimulationDataSchema } from '../../fl/index.js';
import { NUMERIC_SCALINGS } from '../../ml/index.js';
import { accountPath } from '../fields.js';
import { METHOD_NAMES } from '../synth/methods.js';

/** A path from a config file, resolved against the file's directory. */
export function resolvePath(configPath: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dirname(configPath), p);
}

/** A section of the file that another module parses later (`federation`, `data`), checked with the rest. */
interface Section {
  readonly key: string;
  readonly schema: z.ZodType;
}

/**
 * Parses a config file with `schema`, and its `sections` with theirs, reporting every problem of the whole file
 * at once (a section's problems under its key: `federation.rounds`).
 * @throws {ConfigError} listing every problem
 */
function parse<T extends z.ZodType>(
  schema: T,
  raw: unknown,
  context: string,
  sections: readonly Section[] = [],
): z.infer<T> {
  const r = checkSchema(schema, raw ?? {});
  const issues: ConfigIssue[] = [...r.issues];
  const file = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  for (const { key, schema: section } of sections) {
    if (file[key] !== undefined) issues.push(...checkSchema(section, file[key], { prefix: key }).issues);
  }
  if ('data' in r && issues.length === 0) return r.data;
  throw new ConfigError(issues, context);
}

const Path = z.string().min(1);

const ServerTlsSchema = z
  .object({
    cert: Path,
    key: Path,
    ca: Path,
    crl: Path.optional(),
    revokedSerials: z.array(z.string()).optional(),
  })
  .strict();
const ClientTlsSchema = z.object({ cert: Path, key: Path, ca: Path }).strict();

/**
 * Where a federation job charges its privacy: a ledger account (created with these limits on first use; an
 * existing account must have the same limits). `db` defaults to a SQLite ledger in the job's own directory.
 */
export const LedgerBudgetSchema = z
  .object({
    db: z.string().min(1).optional(),
    account: accountPath().optional(),
  })
  .strict();

/** A coordinator's central- or distributed-DP budget (charged per round before anything of it is released). */
export const CentralBudgetSchema = z
  .object({
    epsilon: EpsilonSchema,
    delta: DeltaSchema,
    accountant: z.enum(['rdp', 'pld']).default('rdp'),
    account: accountPath().default('central-dp'),
    db: z.string().min(1).optional(),
  })
  .strict();

/**
 * The synthetic samples a coordinator collects from its nodes (docs/federated.md §5.4). Absent: it collects
 * none, and says so to a node that asks.
 */
export const CoordinatorSynthSchema = z
  .object({
    /** Where each node's CSV and provenance are kept (default `synthetic-samples` beside the checkpoint). */
    dir: Path.optional(),
    maxRows: z.number().int().gte(1).lte(10_000_000).default(100_000),
    /** At most 60 MiB: the transport carries messages of up to 64 MiB. */
    maxBytes: z
      .number()
      .int()
      .gte(1)
      .lte(60 * 1024 * 1024)
      .default(16 * 1024 * 1024),
    /** The columns every node's CSV must have, in order (absent: the first node's header, for everyone). */
    columns: z.array(z.string().min(1)).min(1).optional(),
    /** A domain file every cell must be inside (the nodes' synthesis domain). */
    domain: Path.optional(),
  })
  .strict();

/** `veil coordinator --config FILE`. */
export const CoordinatorFileSchema = z
  .object({
    listen: z
      .object({ host: z.string().default('0.0.0.0'), port: z.number().int().gte(0).lte(65535).default(7443) })
      .strict()
      .default({ host: '0.0.0.0', port: 7443 }),
    tls: ServerTlsSchema,
    /** The task: the shape of one example and the classes (the coordinator holds no data to infer them from). */
    task: z
      .object({ inputShape: z.array(z.number().int().gte(1)).min(1), numClasses: z.number().int().gte(2) })
      .strict(),
    /** Checkpoint file (written after every round). */
    checkpoint: Path.default('coordinator-checkpoint.json'),
    /** Where the final model is saved (TF.js LayersModel + Veil metadata). */
    output: Path.optional(),
    /** Certificate subjects allowed to join; absent: any certificate the CA issued. */
    allowedNodes: z.array(z.string().min(1)).optional(),
    /** How long to keep serving after the last round so every node can fetch the final model (ms). */
    finishGraceMs: z.number().int().gte(0).default(15_000),
    /**
     * The budget central or distributed DP is charged to, round by round, before anything of a round is released
     * (default ledger: `sqlite:<checkpoint's directory>/ledger.db`). Absent: the events are reported, not charged.
     */
    budget: CentralBudgetSchema.optional(),
    /** Collect nodes' DP synthetic samples (absent: none are collected). */
    synth: CoordinatorSynthSchema.optional(),
    federation: z.unknown().optional(),
  })
  .strict();
export type CoordinatorFile = z.infer<typeof CoordinatorFileSchema>;

/** Parses a coordinator config. @throws {ConfigError} */
export function parseCoordinatorFile(raw: unknown, path: string): CoordinatorFile {
  const c = parse(CoordinatorFileSchema, raw, `coordinator configuration ${path}`, [
    { key: 'federation', schema: FederationSchema },
  ]);
  const r = (p: string) => resolvePath(path, p);
  return {
    ...c,
    tls: {
      ...c.tls,
      cert: r(c.tls.cert),
      key: r(c.tls.key),
      ca: r(c.tls.ca),
      ...(c.tls.crl ? { crl: r(c.tls.crl) } : {}),
    },
    checkpoint: r(c.checkpoint),
    ...(c.output ? { output: r(c.output) } : {}),
    ...(c.synth
      ? {
          synth: {
            ...c.synth,
            dir: c.synth.dir ? r(c.synth.dir) : resolve(dirname(r(c.checkpoint)), 'synthetic-samples'),
            ...(c.synth.domain ? { domain: r(c.synth.domain) } : {}),
          },
        }
      : {}),
  };
}

const RowsSchema = z.tuple([z.number().int().gte(0), z.number().int().gte(1)]);

const LocalDpFields = {
  kind: z.literal('dp'),
  epsilon: EpsilonSchema,
  delta: DeltaSchema,
  noiseMultiplier: NoiseMultiplierSchema.optional(),
  plannedRounds: z.number().int().gte(1).optional(),
  maxGradNorm: z.number().gt(0).default(1),
  accountant: z.enum(['rdp', 'pld']).default('rdp'),
};

/**
 * Local privacy of a real node. Under DP, `publicSize` is the record count the node treats as public: DP-SGD's
 * sampling rate and steps derive from it and it is the count the coordinator sees, so the actual count stays
 * protected (docs/privacy.md, "Neighbouring relations").
 */
export const LocalPrivacySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('non-private') }).strict(),
  z
    .object({
      ...LocalDpFields,
      publicSize: z
        .number({
          error:
            'an integer >= 1: the record count this node treats as public (q and the steps derive from it; the coordinator sees it instead of the actual count)',
        })
        .int()
        .gte(1),
    })
    .strict(),
]);

/** Local privacy of every simulated node: each node's public size is its partition's size (set by the run). */
export const SimulationLocalPrivacySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('non-private') }).strict(),
  z.object(LocalDpFields).strict(),
]);

/** A node's own personalisation (docs/federated.md). */
export const PersonalizationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z
    .object({
      kind: z.literal('fine-tune'),
      epochs: z.number().int().gte(1).default(1),
      learningRate: z.number().gt(0).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('ditto'),
      lambda: z.number().gte(0).default(0.1),
      epochs: z.number().int().gte(1).optional(),
      learningRate: z.number().gt(0).optional(),
    })
    .strict(),
]);

/** A node's data. */
export const NodeDataSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('csv'),
      path: Path,
      label: z.string().min(1),
      /** Every column declared, so all nodes encode identically. */
      domain: Path,
      /** Data rows [from, to) (0-based, after the header) this node trains on; default all. */
      rows: RowsSchema.optional(),
      /** Data rows [from, to) held out for evaluation; default a 20% split of the training rows. */
      testRows: RowsSchema.optional(),
      /**
       * What numeric columns become after clipping to their declared bounds: 'unit' ([0, 1], the loader's
       * default), 'symmetric' ([-1, 1]) or 'none' (the value as it is, for features already on a public scale).
       */
      numericScaling: z.enum(NUMERIC_SCALINGS).optional(),
    })
    .strict(),
  /** One of the embedded demo hospitals (city-clinic, cardiology-centre, rural-hospital). */
  z.object({ kind: z.literal('hospital'), name: z.string(), seed: z.number().int().default(1) }).strict(),
]);

/**
 * A node's DP synthetic samples for the coordinator (docs/federated.md §5.4): fitted on the node's training rows
 * with `method`, charged to the node's ledger account before the data is read, sent once.
 */
export const NodeSynthSchema = z
  .object({
    /** The synthesis domain (every column of the CSV, categorical or numeric with declared bins). */
    domain: Path,
    method: z.enum(METHOD_NAMES),
    epsilon: EpsilonSchema,
    delta: DeltaSchema,
    rows: z.number().int().gte(1).lte(1_000_000),
  })
  .strict();

/** `veil node --config FILE`. */
export const NodeFileSchema = z
  .object({
    coordinator: z.string().url(),
    tls: ClientTlsSchema,
    data: NodeDataSchema,
    privacy: LocalPrivacySchema,
    /**
     * Send training loss and evaluation metrics on this node's data to the coordinator (they are not noised:
     * default true without local DP, false with it).
     */
    releaseMetrics: z.boolean().optional(),
    /** The node's personal model: none, fine-tune after the last round, or Ditto. */
    personalization: PersonalizationSchema.default({ kind: 'none' }),
    /** Where to save the personal model (a TensorFlow.js LayersModel directory); absent: not saved. */
    personalModel: Path.optional(),
    /** Directory for the node's durable state (its ledger, unless `ledger.db` names another). */
    stateDir: Path.default('node-state'),
    /**
     * The ledger the node's local-DP spends go to (default: account `local-dp` in `sqlite:<stateDir>/ledger.db`,
     * the node's own audited ledger; or a shared PostgreSQL ledger).
     */
    ledger: LedgerBudgetSchema.default({}),
    /** Refuse a federation training another model (hex SHA-256 of the spec, printed by the coordinator). */
    expectedModelSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** Give up when the coordinator cannot be reached for this long (ms). */
    reconnectForMs: z.number().int().gte(0).default(120_000),
    /** Take part only in securely aggregated rounds (with at least this threshold); refuse plain ones. */
    requireSecureAggregation: z
      .object({ minThreshold: z.number().int().gte(2).default(2) })
      .strict()
      .optional(),
    /** Fit a DP synthetic-data model on this node's records and send samples to the coordinator. */
    synth: NodeSynthSchema.optional(),
  })
  .strict();
export type NodeFile = z.infer<typeof NodeFileSchema>;

/** Parses a node config. @throws {ConfigError} */
export function parseNodeFile(raw: unknown, path: string): NodeFile {
  const c = parse(NodeFileSchema, raw, `node configuration ${path}`);
  const r = (p: string) => resolvePath(path, p);
  const data = c.data.kind === 'csv' ? { ...c.data, path: r(c.data.path), domain: r(c.data.domain) } : c.data;
  for (const key of ['rows', 'testRows'] as const) {
    const range = c.data.kind === 'csv' ? c.data[key] : undefined;
    if (range && range[1] <= range[0]) {
      throw new ConfigError(
        [{ path: `data.${key}`, value: range, allowed: '[from, to) with to > from' }],
        path,
      );
    }
  }
  if (c.synth && c.data.kind !== 'csv')
    throw new ConfigError(
      [{ path: 'synth', value: 'data.kind hospital', allowed: 'used with CSV data (data.kind csv)' }],
      path,
    );
  return {
    ...c,
    tls: { cert: r(c.tls.cert), key: r(c.tls.key), ca: r(c.tls.ca) },
    data,
    stateDir: r(c.stateDir),
    ...(c.personalModel ? { personalModel: r(c.personalModel) } : {}),
    ...(c.synth ? { synth: { ...c.synth, domain: r(c.synth.domain) } } : {}),
  };
}

/** `veil simulate --config FILE`. */
export const SimulateFileSchema = z
  .object({
    nodes: z.number().int().gte(1).default(3),
    data: z.unknown().optional(),
    localPrivacy: SimulationLocalPrivacySchema.default({ kind: 'non-private' }),
    personalization: PersonalizationSchema.default({ kind: 'none' }),
    byzantine: z
      .object({
        fraction: z.number().gte(0).lt(1),
        attack: z.enum(['sign-flip', 'random', 'nan']),
        scale: z.number().gt(0).optional(),
      })
      .strict()
      .optional(),
    federation: z.unknown().optional(),
    /** With `veil simulate --db`: the budget central or distributed DP is charged to (absent: only reported). */
    budget: CentralBudgetSchema.optional(),
  })
  .strict();
export type SimulateFile = z.infer<typeof SimulateFileSchema>;

/** Parses a simulation config (data section included). @throws {ConfigError} */
export function parseSimulateFile(
  raw: unknown,
  path: string,
): SimulateFile & { data: ReturnType<typeof parseSimulationData> } {
  const c = parse(SimulateFileSchema, raw, `simulation configuration ${path}`, [
    { key: 'federation', schema: FederationSchema },
    { key: 'data', schema: SimulationDataSchema },
  ]);
  const data = parseSimulationData(c.data ?? { kind: 'hospitals' });
  const fixed =
    data.kind === 'csv'
      ? { ...data, path: resolvePath(path, data.path), domain: resolvePath(path, data.domain) }
      : data.kind === 'fashion-mnist'
        ? { ...data, dir: resolvePath(path, data.dir) }
        : data;
  return { ...c, data: fixed };
}
