/**
 * The federation-node job: an organisation's node dials the coordinator over mutual TLS 1.3 with its own
 * certificate, trains on its local data and sends only model updates (and metrics when nothing claims DP).
 * Under local DP every round is charged to the node's ledger account before the round touches the data.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, csprng, seededRng } from '../../core/index.js';
import {
  FederatedNode,
  hospitalDataset,
  type LocalPrivacySpec,
  loadParams,
  type NodeEvent,
  type NodeSummary,
  type PersonalizationSpec,
  type PrivacyBudget,
} from '../../fl/index.js';
import {
  type Dataset,
  DEMO_HOSPITALS,
  generateHospital,
  loadCsvDataset,
  saveModel,
  subset,
  trainTestSplit,
} from '../../ml/index.js';
import {
  createCoordinatorClient,
  createServiceClient,
  SyntheticSamplesService,
  type TrafficCounter,
} from '../../transport/index.js';
import type { JobContext } from '../context.js';
import { type ParamField, underFields, withoutPrefix } from '../input-errors.js';
import { ledgerBudget } from './budget.js';
import type { NodeFile } from './config.js';
import { type SharedSamples, shareSamples } from './node-synth.js';

/** The account a node's local-DP spends go to when its config names none. */
export const DEFAULT_NODE_ACCOUNT = 'local-dp';

/** The ledger of a node: `ledger.db`, else its own SQLite file in the state directory. */
export function nodeLedgerUrl(file: Pick<NodeFile, 'ledger' | 'stateDir'>): string {
  return file.ledger.db ?? `sqlite:${join(file.stateDir, 'ledger.db')}`;
}

/** The loader's parameters that hold a node config's `data` keys. */
const NODE_DATA_FIELDS: readonly ParamField[] = [
  { fn: 'loadCsvDataset', param: 'path', path: 'data.path' },
  { fn: 'loadCsvDataset', param: 'label', path: 'data.label' },
  { fn: 'loadDomainFile', param: 'path', path: 'data.domain' },
];

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The node's training and test data, from its config. */
export function loadNodeData(
  data: NodeFile['data'],
  seed: number,
): { train: Dataset; test: Dataset; source: string } {
  if (data.kind === 'hospital') {
    const profile = DEMO_HOSPITALS.find((h) => h.name === data.name);
    if (!profile) {
      throw new ConfigError(
        [{ path: 'data.name', value: data.name, allowed: DEMO_HOSPITALS.map((h) => h.name).join(', ') }],
        'node configuration',
      );
    }
    const ds = hospitalDataset(generateHospital(profile, seededRng(`${data.seed}/${data.name}`)));
    const { train, test } = trainTestSplit(ds, { testFraction: 0.2, rng: seededRng(seed) });
    return { train, test, source: `embedded hospital ${data.name}` };
  }
  const loaded = underFields(NODE_DATA_FIELDS, 'node configuration', () =>
    loadCsvDataset({
      path: data.path,
      label: data.label,
      domain: data.domain,
      requireDeclaredBounds: true,
      ...(data.numericScaling ? { numericScaling: data.numericScaling } : {}),
    }),
  );
  const ds = loaded.dataset;
  const check = (key: 'rows' | 'testRows', r: readonly [number, number] | undefined) => {
    if (r && r[1] > ds.numExamples) {
      throw new ConfigError(
        [{ path: `data.${key}`, value: r, allowed: `a range within the ${ds.numExamples} data rows` }],
        'node configuration',
      );
    }
  };
  check('rows', data.rows);
  check('testRows', data.testRows);
  const mine = data.rows ? subset(ds, range(data.rows[0], data.rows[1])) : ds;
  if (data.testRows)
    return { train: mine, test: subset(ds, range(data.testRows[0], data.testRows[1])), source: data.path };
  const { train, test } = trainTestSplit(mine, { testFraction: 0.2, rng: seededRng(seed), stratify: true });
  return { train, test, source: data.path };
}

/** What a node job did. */
export interface NodeJobResult {
  readonly summary: NodeSummary;
  /** Where the personal model was saved (null: not saved). */
  readonly personalModel: string | null;
  /** The ledger and account local DP was charged to (null without local DP). */
  readonly ledger: { readonly url: string; readonly account: string } | null;
  readonly private: boolean;
  /** The DP synthetic samples sent to the coordinator (null: the config has no `synth`). */
  readonly samples: SharedSamples | null;
}

/**
 * Runs a node until the federation finishes, its budget is spent, the coordinator is gone, or `ctx.signal`
 * aborts. Local DP is charged to `ctx.ledger`: a face opens the one the config names ({@link nodeLedgerUrl}).
 * @throws {ConfigError} for bad data, or a ledger account whose limits are not the config's
 */
export async function runNodeJob(
  file: NodeFile,
  ctx: JobContext & { readonly onEvent?: (e: NodeEvent) => void; readonly log: (line: string) => void },
): Promise<NodeJobResult> {
  const { train, test, source } = loadNodeData(file.data, ctx.seed ?? 0);
  const privacy = file.privacy as LocalPrivacySpec;
  const name = basename(file.tls.cert).replace(/\.(crt|pem)$/, '');
  const url = ctx.ledger.url;
  const account = file.ledger.account ?? DEFAULT_NODE_ACCOUNT;
  const body = async (budget: PrivacyBudget | null): Promise<NodeJobResult> => {
    const samples = await synthesise(file, account, ctx, budget !== null);
    const traffic: TrafficCounter = { sent: 0, received: 0 };
    const client = await createCoordinatorClient({
      url: file.coordinator,
      tls: { cert: { path: file.tls.cert }, key: { path: file.tls.key }, ca: { path: file.tls.ca } },
      traffic,
    }).catch((err: unknown) => {
      throw withoutPrefix(err, 'createCoordinatorClient', 'node configuration');
    });
    ctx.log(
      `${train.numExamples} training and ${test.numExamples} test examples from ${source}; dialling ${file.coordinator}`,
    );
    const seeded = ctx.seed !== undefined;
    const shared = csprng();
    try {
      const node = new FederatedNode({
        client,
        name,
        train,
        test,
        privacy,
        personalization: file.personalization as PersonalizationSpec,
        ...(file.releaseMetrics !== undefined ? { releaseMetrics: file.releaseMetrics } : {}),
        ...(budget ? { budget } : {}),
        // seeded streams differ per node (its certificate name), so two seeded nodes never share keys or masks
        rng: seeded ? (purpose) => seededRng(`${ctx.seed}/node/${name}/${purpose}`) : () => shared,
        traffic,
        reconnectForMs: file.reconnectForMs,
        ...(file.requireSecureAggregation ? { requireSecureAggregation: file.requireSecureAggregation } : {}),
        // the node's certificate binds its secure-aggregation key; peers' keys are checked against the CA
        identity: {
          certificatePem: readFileSync(file.tls.cert, 'utf8'),
          privateKeyPem: readFileSync(file.tls.key, 'utf8'),
          caPem: readFileSync(file.tls.ca, 'utf8'),
        },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(file.expectedModelSha256 ? { expectedModelSha256: file.expectedModelSha256 } : {}),
        ...(ctx.onEvent ? { onEvent: ctx.onEvent } : {}),
      });
      const s = await node.run();
      let personalSaved: string | null = null;
      if (s.personalModel && file.personalModel && node.currentModel) {
        loadParams(node.currentModel.params, s.personalModel);
        saveModel(node.currentModel, file.personalModel, {
          overwrite: false,
          privacy: {
            federated: true,
            personalized: s.personalized?.method ?? null,
            localEpsilon: s.localPrivacy?.epsilonSpent ?? null,
            localDelta: s.localPrivacy?.delta ?? null,
            private: !seeded && privacy.kind === 'dp',
          },
        });
        personalSaved = file.personalModel;
      }
      return {
        summary: s,
        personalModel: personalSaved,
        ledger: budget ? { url, account } : null,
        private: !seeded && privacy.kind === 'dp',
        samples,
      };
    } finally {
      await client.close();
    }
  };
  if (privacy.kind !== 'dp') return body(null);
  return ctx.ledger.use(async (ledger) => {
    const { budget, notes } = await ledgerBudget(ledger, {
      account,
      epsilon: privacy.epsilon,
      delta: privacy.delta,
      accountant: privacy.accountant ?? 'rdp',
      purpose: (label) => `federated training as ${name}: ${label}`,
      legacySpendFile: join(file.stateDir, 'privacy-spends.json'),
    });
    for (const n of notes) ctx.log(n);
    return body(budget);
  });
}

/**
 * The node's synthetic samples (config `synth:`), before it joins the federation: synthesis on the node's records
 * is charged to its ledger account, the local-DP one when there is local DP (one budget for both). A node without
 * local DP gets an account with the synthesis's own limits (zCDP) on first use.
 */
async function synthesise(
  file: NodeFile,
  account: string,
  ctx: JobContext & { readonly log: (line: string) => void },
  accountOpen: boolean,
): Promise<SharedSamples | null> {
  const synth = file.synth;
  if (synth === undefined) return null;
  if (!accountOpen)
    await ctx.ledger.use(async (ledger) => {
      if ((await ledger.accounts()).some((a) => a.path === account)) return;
      await ledger.createAccount({
        path: account,
        epsilon: synth.epsilon,
        delta: synth.delta,
        accountant: 'zcdp',
      });
      ctx.log(
        `ledger ${ledger.location.location}: created account ${account} (epsilon ${synth.epsilon}, delta ${synth.delta}, zcdp) for the synthetic samples`,
      );
    });
  const client = await createServiceClient(SyntheticSamplesService, {
    url: file.coordinator,
    tls: { cert: { path: file.tls.cert }, key: { path: file.tls.key }, ca: { path: file.tls.ca } },
    label: 'coordinator',
  }).catch((err: unknown) => {
    throw withoutPrefix(err, 'createServiceClient', 'node configuration');
  });
  try {
    return await shareSamples({ ...file, synth }, client, account, ctx);
  } finally {
    await client.close();
  }
}
