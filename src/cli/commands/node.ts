/**
 * `veil node --config FILE`: an organisation's node — dials the coordinator over mutual TLS 1.3 with its own
 * certificate, trains on its local data (local DP under its own budget, spends persisted in its state
 * directory), and sends only model updates and evaluation metrics.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, csprng, seededRng } from '../../core/index.js';
import {
  FederatedNode,
  fileSpendStore,
  hospitalDataset,
  type LocalPrivacySpec,
  loadParams,
  type PersonalizationSpec,
} from '../../fl/index.js';
import { type NodeFile, parseNodeFile, readSpecFile } from '../../jobs/index.js';
import {
  type Dataset,
  DEMO_HOSPITALS,
  generateHospital,
  loadCsvDataset,
  saveModel,
  subset,
  trainTestSplit,
} from '../../ml/index.js';
import { createCoordinatorClient, type TrafficCounter } from '../../transport/index.js';
import { EXIT } from '../exit-codes.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function loadNodeData(
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
  const loaded = loadCsvDataset({
    path: data.path,
    label: data.label,
    domain: data.domain,
    requireDeclaredBounds: true,
    ...(data.numericScaling ? { numericScaling: data.numericScaling } : {}),
  });
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

/** Runs a node until the federation finishes, its budget is spent, or the coordinator is gone. */
export async function nodeCommand(
  flags: { config?: string },
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  if (!flags.config) {
    throw new ConfigError(
      [{ path: '--config', value: undefined, allowed: 'a node configuration file (YAML or JSON)' }],
      'command-line flags',
    );
  }
  const file = parseNodeFile(readSpecFile(flags.config), flags.config);
  const { train, test, source } = loadNodeData(file.data, global.seed ?? 0);
  const traffic: TrafficCounter = { sent: 0, received: 0 };
  const client = await createCoordinatorClient({
    url: file.coordinator,
    tls: { cert: { path: file.tls.cert }, key: { path: file.tls.key }, ca: { path: file.tls.ca } },
    traffic,
  });
  const log = (line: string) => io.stderr(`veil node: ${line}\n`);
  log(
    `${train.numExamples} training and ${test.numExamples} test examples from ${source}; dialling ${file.coordinator}`,
  );
  const seeded = global.seed !== undefined;
  const shared = csprng();
  const privacy = file.privacy as LocalPrivacySpec;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const name = basename(file.tls.cert).replace(/\.(crt|pem)$/, '');
  try {
    const node = new FederatedNode({
      client,
      name,
      train,
      test,
      privacy,
      personalization: file.personalization as PersonalizationSpec,
      ...(file.releaseMetrics !== undefined ? { releaseMetrics: file.releaseMetrics } : {}),
      spendStore: fileSpendStore(join(file.stateDir, 'privacy-spends.json')),
      // seeded streams differ per node (its certificate name), so two seeded nodes never share keys or masks
      rng: seeded ? (purpose) => seededRng(`${global.seed}/node/${name}/${purpose}`) : () => shared,
      traffic,
      reconnectForMs: file.reconnectForMs,
      ...(file.requireSecureAggregation ? { requireSecureAggregation: file.requireSecureAggregation } : {}),
      // the node's certificate binds its secure-aggregation key; peers' keys are checked against the CA
      identity: {
        certificatePem: readFileSync(file.tls.cert, 'utf8'),
        privateKeyPem: readFileSync(file.tls.key, 'utf8'),
        caPem: readFileSync(file.tls.ca, 'utf8'),
      },
      signal: abort.signal,
      ...(file.expectedModelSha256 ? { expectedModelSha256: file.expectedModelSha256 } : {}),
      onEvent: (e) => {
        if (e.kind === 'registered')
          log(`registered: ${e.rounds} rounds planned, model of ${e.parameters} parameters`);
        if (e.kind === 'trained') {
          log(
            `round ${e.round}: trained (loss ${e.loss.toFixed(4)}${e.epsilon !== null ? `, local epsilon ${e.epsilon.toFixed(3)}` : ''}), update ${e.accepted ? 'accepted' : `refused: ${e.reason}`}; sent ${e.uploadBytes} B, received ${e.downloadBytes} B`,
          );
        }
        if (e.kind === 'evaluated')
          log(
            `round ${e.round}: evaluated the global model: accuracy ${(e.accuracy * 100).toFixed(2)}%${e.released ? (e.accepted ? '' : ' (the coordinator refused the result)') : ' (kept here: metrics are not released under local DP)'}`,
          );
        if (e.kind === 'left') log(`leaving: ${e.reason}`);
        if (e.kind === 'personalized')
          log(
            `personal model (${e.method}): accuracy ${(e.accuracy * 100).toFixed(2)}% on the local test data${e.epsilon !== null ? `, local epsilon ${e.epsilon.toFixed(3)}` : ''}`,
          );
        if (e.kind === 'retrying')
          log(`coordinator unreachable (${e.error}); retrying (attempt ${e.attempt})`);
        if (e.kind === 'secagg-refused') log(`round ${e.round}: left the secure aggregation: ${e.reason}`);
        if (e.kind === 'secagg-stage' && (e.stage === 'unmask' || !e.accepted))
          log(
            `round ${e.round}: secure aggregation ${e.stage} ${e.accepted ? 'sent (the round is complete for this node)' : `refused: ${e.reason}`}`,
          );
      },
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
    const summary = {
      ok: s.status === 'finished',
      status: s.status,
      reason: s.reason,
      roundsTrained: s.roundsTrained,
      updatesAccepted: s.updatesAccepted,
      localPrivacy: s.localPrivacy
        ? {
            epsilonSpent: s.localPrivacy.epsilonSpent,
            epsilonBudget: s.localPrivacy.epsilonBudget,
            delta: s.localPrivacy.delta,
            noiseMultiplier: s.localPrivacy.noiseMultiplier,
            rounds: s.localPrivacy.events.length,
          }
        : null,
      lastEvaluation: s.lastEvaluation,
      personalized: s.personalized,
      personalizationSkipped: s.personalizationSkipped,
      personalModel: personalSaved,
      bytesPerRound: s.traffic,
      private: !seeded && privacy.kind === 'dp',
    };
    return {
      summary,
      text: [
        `node ${s.status}: ${s.reason}`,
        `  rounds trained ${s.roundsTrained}, updates accepted ${s.updatesAccepted}`,
        ...(s.localPrivacy
          ? [
              `  local DP: epsilon ${s.localPrivacy.epsilonSpent.toFixed(3)} of ${s.localPrivacy.epsilonBudget} at delta ${s.localPrivacy.delta}`,
            ]
          : ['  local DP: none']),
        ...(s.lastEvaluation
          ? [
              `  last evaluation (round ${s.lastEvaluation.round}): accuracy ${(s.lastEvaluation.accuracy * 100).toFixed(2)}%`,
            ]
          : []),
        ...(s.personalized
          ? [
              `  personal model (${s.personalized.method}): accuracy ${(s.personalized.accuracy * 100).toFixed(2)}% vs the global model's ${(s.personalized.globalAccuracy * 100).toFixed(2)}% on the local test data${personalSaved ? `, saved to ${personalSaved}` : ''}`,
            ]
          : []),
        ...(s.personalizationSkipped ? [`  personal model: ${s.personalizationSkipped}`] : []),
      ],
      ...(s.status === 'finished' ? {} : { exitCode: s.status === 'left' ? EXIT.budget : EXIT.protocol }),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.close();
  }
}
