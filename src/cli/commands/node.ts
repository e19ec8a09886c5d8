/**
 * `veil node --config FILE`: an organisation's node — dials the coordinator over mutual TLS 1.3 with its own
 * certificate, trains on its local data (local DP under its own budget, spends persisted in its state
 * directory), and sends only model updates and evaluation metrics.
 */
import { ConfigError } from '../../core/index.js';
import { ledgerAt, nodeLedgerUrl, parseNodeFile, readSpecFile, runNodeJob } from '../../jobs/index.js';
import { EXIT } from '../exit-codes.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

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
  const log = (line: string) => io.stderr(`veil node: ${line}\n`);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const job = await runNodeJob(file, {
      ledger: ledgerAt(nodeLedgerUrl(file), { name: 'ledger.db' }),
      principal: process.env['USER'] || 'cli',
      ...(global.seed === undefined ? {} : { seed: global.seed }),
      progress: () => {},
      signal: abort.signal,
      log,
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
            `round ${e.round}: evaluated the global model: accuracy ${(e.accuracy * 100).toFixed(2)}%${e.released ? (e.accepted ? '' : ` (the coordinator refused the result: ${e.reason})`) : ' (kept here: metrics are not released under local DP)'}`,
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
    const s = job.summary;
    const personalSaved = job.personalModel;
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
      ledger: job.ledger,
      private: job.private,
      samples: job.samples,
    };
    return {
      summary,
      text: [
        `node ${s.status}: ${s.reason}`,
        `  rounds trained ${s.roundsTrained}, updates accepted ${s.updatesAccepted}`,
        ...(s.localPrivacy
          ? [
              `  local DP: epsilon ${s.localPrivacy.epsilonSpent.toFixed(3)} of ${s.localPrivacy.epsilonBudget} at delta ${s.localPrivacy.delta}${job.ledger ? ` (ledger account ${job.ledger.account} in ${job.ledger.url})` : ''}`,
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
        ...(job.samples
          ? [
              `  synthetic samples: ${job.samples.rows} rows (${job.samples.method}, epsilon ${job.samples.epsilon}, delta ${job.samples.delta}) ${job.samples.status} to the coordinator${job.samples.spend ? `, ledger spend ${job.samples.spend.id} on ${job.samples.spend.account}` : ''}`,
            ]
          : []),
      ],
      ...(s.status === 'finished' ? {} : { exitCode: s.status === 'left' ? EXIT.budget : EXIT.protocol }),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
