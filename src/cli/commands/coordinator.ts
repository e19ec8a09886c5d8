/**
 * `veil coordinator --config FILE [--resume]`: the federation's coordinator as a service — gRPC over mutual
 * TLS 1.3 (nodes dial in), a checkpoint after every round, the final model saved at the end.
 *
 * An existing checkpoint is never overwritten silently: without --resume the command refuses to start; with
 * it, the federation continues after the last completed round and no round is charged twice.
 */
import { existsSync, readFileSync, type Stats, unwatchFile, watchFile } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, csprng, seededRng } from '../../core/index.js';
import {
  buildStrategy,
  Coordinator,
  centralDelta,
  configHash,
  federationModel,
  fileCheckpointStore,
  flattenParams,
  loadParams,
  localTraining,
  type PrivacyBudget,
  parseFederation,
  type SelectionSpec,
  secureAggregationSpec,
} from '../../fl/index.js';
import { ledgerBudget, parseCoordinatorFile, readSpecFile } from '../../jobs/index.js';
import { Ledger } from '../../ledger/index.js';
import { SequentialModel, saveModel } from '../../ml/index.js';
import { startCoordinatorServer } from '../../transport/index.js';
import { EXIT } from '../exit-codes.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { coordinatorJson, coordinatorLine, modelPrivacy, neighbouringOf } from './fl-summary.js';

/** Runs the coordinator until the federation finishes or fails. */
export async function coordinatorCommand(
  flags: { config?: string; resume?: boolean; secureAggregation?: string },
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  if (!flags.config) {
    throw new ConfigError(
      [{ path: '--config', value: undefined, allowed: 'a coordinator configuration file (YAML or JSON)' }],
      'command-line flags',
    );
  }
  const file = parseCoordinatorFile(readSpecFile(flags.config), flags.config);
  if (
    flags.secureAggregation !== undefined &&
    !['none', 'secagg', 'secagg+'].includes(flags.secureAggregation)
  ) {
    throw new ConfigError(
      [{ path: '--secure-aggregation', value: flags.secureAggregation, allowed: 'none, secagg or secagg+' }],
      'command-line flags',
    );
  }
  const federation = parseFederation(
    flags.secureAggregation !== undefined
      ? { ...(file.federation as object), secureAggregation: flags.secureAggregation }
      : file.federation,
  );
  const { model, spec } = federationModel(federation, file.task.inputShape, file.task.numClasses);
  if (existsSync(file.checkpoint) && flags.resume !== true) {
    throw new ConfigError(
      [
        {
          path: 'checkpoint',
          value: file.checkpoint,
          allowed:
            'a path with no checkpoint yet: add --resume to continue the federation saved there, or move the file away to start a new one',
        },
      ],
      `coordinator configuration ${flags.config}`,
    );
  }
  if (file.output && existsSync(join(file.output, 'model.json'))) {
    // refused now, not after the last round
    throw new ConfigError(
      [
        {
          path: 'output',
          value: file.output,
          allowed: 'a directory without a saved model (the final model is never written over one)',
        },
      ],
      `coordinator configuration ${flags.config}`,
    );
  }
  const seeded = global.seed !== undefined;
  const rng = seeded
    ? (purpose: string) => seededRng(`${global.seed}/coordinator/${purpose}`)
    : (() => {
        const r = csprng();
        return () => r;
      })();
  const reference = new SequentialModel(spec, model.inputShape, model.numClasses, rng('init'));
  const log = (line: string) => io.stderr(`veil coordinator: ${line}\n`);
  // Central or distributed DP is charged to a ledger account, round by round, before a round is released.
  const budgetUrl = file.budget
    ? (file.budget.db ?? `sqlite:${join(dirname(file.checkpoint), 'ledger.db')}`)
    : null;
  if (!file.budget && (federation.centralDp || federation.secagg?.distributedDp))
    log(
      'note: the DP events of the aggregate are reported but charged to no budget (add a budget section to charge a ledger account)',
    );
  const ledger = budgetUrl ? await Ledger.open(budgetUrl) : null;
  let budget: PrivacyBudget | null = null;
  try {
    if (ledger && file.budget) {
      const opened = await ledgerBudget(ledger, {
        account: file.budget.account,
        epsilon: file.budget.epsilon,
        delta: file.budget.delta,
        accountant: file.budget.accountant,
        purpose: (label) => `federation ${model.specSha256.slice(0, 12)}: ${label}`,
      });
      for (const n of opened.notes) log(n);
      budget = opened.budget;
    }
  } catch (err) {
    await ledger?.close();
    throw err;
  }
  const coordinator = new Coordinator({
    model,
    initialGlobal: flattenParams(reference.params),
    rounds: federation.rounds,
    minNodes: federation.minNodes,
    ...(federation.startAfterNodes ? { startAfterNodes: federation.startAfterNodes } : {}),
    selection: federation.selection as SelectionSpec,
    train: localTraining(federation),
    strategy: buildStrategy(federation),
    roundTimeoutMs: federation.roundTimeoutMs,
    maxRoundAttempts: federation.maxRoundAttempts,
    evaluateEvery: federation.evaluateEvery,
    evaluateFraction: federation.evaluateFraction,
    centralDelta: centralDelta(federation),
    ...(secureAggregationSpec(federation)
      ? {
          secureAggregation: secureAggregationSpec(federation)!,
          // each node's secagg key must be bound to its certificate under its name: checked at registration,
          // so a node with a bad binding never reaches a roster (where every honest peer would leave)
          keyBindingCaPem: readFileSync(file.tls.ca, 'utf8'),
        }
      : {}),
    ...(file.allowedNodes ? { allowedNodes: file.allowedNodes } : {}),
    configSha256: configHash({ federation, task: file.task, seed: global.seed ?? null }),
    checkpoint: fileCheckpointStore(file.checkpoint),
    ...(budget ? { budget } : {}),
    resume: flags.resume === true,
    rng,
    onEvent: (e) => {
      const line = coordinatorLine(e, federation.rounds);
      if (line) log(line);
    },
  });
  const server = await startCoordinatorServer({
    handler: coordinator,
    host: file.listen.host,
    port: file.listen.port,
    tls: {
      cert: { path: file.tls.cert },
      key: { path: file.tls.key },
      ca: { path: file.tls.ca },
      ...(file.tls.crl ? { crl: { path: file.tls.crl } } : {}),
      ...(file.tls.revokedSerials ? { revokedSerials: file.tls.revokedSerials } : {}),
    },
    onInternalError: (error, context) =>
      log(
        `internal error in ${context.rpc} from ${context.peer.id}: ${(error as Error)?.message ?? String(error)}`,
      ),
  });
  log(`listening on https://${file.listen.host}:${server.port} (${federation.rounds} rounds)`);
  log(`model spec SHA-256 ${model.specSha256} (nodes may pin it as expectedModelSha256)`);
  // A revocation takes effect without a restart: the CRL file is re-read when it changes (or on SIGHUP), and
  // the server applies it to open connections too. A CRL that fails to load is reported and the old one kept.
  const crlPath = file.tls.crl;
  const reloadCrl = async (why: string) => {
    if (!crlPath) return;
    try {
      const cut = await server.updateRevocations({
        crl: { path: crlPath },
        ...(file.tls.revokedSerials ? { revokedSerials: file.tls.revokedSerials } : {}),
      });
      log(`CRL reloaded (${why}): ${crlPath}`);
      for (const id of cut) {
        if (coordinator.expel(id, 'its certificate was revoked'))
          log(`node ${id} expelled: certificate revoked`);
      }
    } catch (err) {
      log(
        `CRL ${crlPath} could not be reloaded (${why}), keeping the previous one: ${(err as Error).message}`,
      );
    }
  };
  const onCrlChange = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) void reloadCrl('file changed');
  };
  const onHup = () => void reloadCrl('SIGHUP');
  if (crlPath) watchFile(crlPath, { interval: 1000 }, onCrlChange);
  process.on('SIGHUP', onHup);
  const stop = (signal: string) => {
    log(`${signal}: stopping (the checkpoint of the last completed round is kept; continue with --resume)`);
    coordinator.stop(`interrupted by ${signal}`);
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  let summary: Awaited<typeof coordinator.finished>;
  try {
    summary = await coordinator.finished;
    if (summary.status === 'finished') {
      const until = Date.now() + file.finishGraceMs;
      while (!coordinator.allNodesHaveFinalModel() && Date.now() < until)
        await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHup);
    if (crlPath) unwatchFile(crlPath, onCrlChange);
    await server.close();
    await ledger?.close();
  }
  let saved: string | null = null;
  if (summary.status === 'finished' && file.output) {
    loadParams(reference.params, summary.global);
    const privacy = modelPrivacy(summary, seeded);
    saveModel(reference, file.output, {
      overwrite: false,
      privacy: {
        federated: true,
        rounds: summary.roundsCompleted,
        strategy: summary.strategy,
        central: summary.central
          ? {
              epsilon: summary.central.epsilonRdp,
              epsilonPld: summary.central.epsilonPld,
              delta: summary.central.delta,
            }
          : null,
        localEpsilonByNode: Object.fromEntries(summary.nodes.map((n) => [n.id, n.localEpsilon])),
        weakestLocalEpsilon: privacy.weakestLocalEpsilon,
        private: privacy.private,
        privateReason: privacy.reason,
      },
    });
    saved = file.output;
  }
  const json = {
    ok: summary.status === 'finished',
    ...coordinatorJson(summary),
    modelSha256: model.specSha256,
    savedModel: saved,
    seeded,
  };
  const last = summary.finalEvaluation;
  return {
    summary: json,
    text: [
      summary.status === 'finished'
        ? `federation finished: ${summary.roundsCompleted} rounds, strategy ${summary.strategy}${summary.failure ? ` (${summary.failure})` : ''}`
        : `federation stopped after ${summary.roundsCompleted} rounds: ${summary.failure}`,
      ...(budget && file.budget ? [`budget: ledger account ${file.budget.account} in ${budgetUrl}`] : []),
      ...(last
        ? [
            `federated evaluation: accuracy ${(last.accuracy * 100).toFixed(2)}% on ${last.nodes} nodes (${last.examples} examples; unnoised metrics the nodes chose to release: NOT covered by any epsilon)`,
          ]
        : []),
      summary.central
        ? `${summary.secureAggregation === 'none' ? 'central' : 'distributed'} DP: epsilon ${summary.central.epsilonRdp.toFixed(3)} (RDP)${summary.central.epsilonPld === null ? '' : `, ${summary.central.epsilonPld.toFixed(3)} (PLD)`} at delta ${summary.central.delta} (${neighbouringOf(summary.secureAggregation)})`
        : 'central DP: none (each node accounts for its own local DP)',
      ...(saved ? [`model saved to ${saved}`] : []),
      ...(seeded ? ['seeded run: reproducible and NOT private'] : []),
    ],
    ...(summary.status === 'finished' ? {} : { exitCode: EXIT.protocol }),
  };
}
