/**
 * `veil coordinator --config FILE [--resume]`: the federation's coordinator as a service — gRPC over mutual
 * TLS 1.3 (nodes dial in), a checkpoint after every round, the final model saved at the end. The job runs in
 * src/jobs/federation/coordinator.ts; this file checks the flags, binds the signals and renders the summary.
 *
 * An existing checkpoint is never overwritten silently: without --resume the command refuses to start; with
 * it, the federation continues after the last completed round and no round is charged twice.
 */
import { ConfigError } from '../../core/index.js';
import {
  coordinatorJson,
  coordinatorLedgerUrl,
  coordinatorLine,
  ledgerAt,
  neighbouringOf,
  parseCoordinatorFile,
  readSpecFile,
  runCoordinatorJob,
} from '../../jobs/index.js';
import { EXIT } from '../exit-codes.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

const PROTOCOLS = ['none', 'secagg', 'secagg+'] as const;

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
  const secureAggregation = flags.secureAggregation as (typeof PROTOCOLS)[number] | undefined;
  if (secureAggregation !== undefined && !PROTOCOLS.includes(secureAggregation)) {
    throw new ConfigError(
      [{ path: '--secure-aggregation', value: secureAggregation, allowed: 'none, secagg or secagg+' }],
      'command-line flags',
    );
  }
  const log = (line: string) => io.stderr(`veil coordinator: ${line}\n`);
  const abort = new AbortController();
  const stop = (signal: string) => {
    log(`${signal}: stopping (the checkpoint of the last completed round is kept; continue with --resume)`);
    abort.abort(`interrupted by ${signal}`);
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  try {
    const job = await runCoordinatorJob(
      file,
      {
        resume: flags.resume === true,
        ...(secureAggregation !== undefined ? { secureAggregation } : {}),
        configPath: flags.config,
      },
      {
        ledger: ledgerAt(coordinatorLedgerUrl(file), { name: 'budget.db' }),
        principal: process.env['USER'] || 'cli',
        ...(global.seed === undefined ? {} : { seed: global.seed }),
        progress: () => {},
        signal: abort.signal,
        log,
        onEvent: (e, rounds) => {
          const line = coordinatorLine(e, rounds);
          if (line) log(line);
        },
        crlReloads: (reload) => {
          const onHup = () => reload('SIGHUP');
          process.on('SIGHUP', onHup);
          return () => process.off('SIGHUP', onHup);
        },
      },
    );
    return render(job);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** The command's summary and text lines for a job's result. */
function render(job: Awaited<ReturnType<typeof runCoordinatorJob>>): CommandResult {
  const { summary, savedModel: saved, seeded } = job;
  const last = summary.finalEvaluation;
  const c = summary.central;
  return {
    summary: {
      ok: summary.status === 'finished',
      ...coordinatorJson(summary),
      modelSha256: job.modelSha256,
      savedModel: saved,
      seeded,
      samples: job.samples,
    },
    text: [
      summary.status === 'finished'
        ? `federation finished: ${summary.roundsCompleted} rounds, strategy ${summary.strategy}${summary.failure ? ` (${summary.failure})` : ''}`
        : `federation stopped after ${summary.roundsCompleted} rounds: ${summary.failure}`,
      ...(job.ledger ? [`budget: ledger account ${job.ledger.account} in ${job.ledger.url}`] : []),
      ...(last
        ? [
            `federated evaluation: accuracy ${(last.accuracy * 100).toFixed(2)}% on ${last.nodes} nodes (weighted by each node's test examples, ${last.examples} counted per node: rows two nodes share count twice; unnoised metrics the nodes chose to release: NOT covered by any epsilon)`,
          ]
        : []),
      c
        ? `${summary.secureAggregation === 'none' ? 'central' : 'distributed'} DP: epsilon ${c.epsilonRdp.toFixed(3)} (RDP)${c.epsilonPld === null ? '' : `, ${c.epsilonPld.toFixed(3)} (PLD)`} at delta ${c.delta} (${neighbouringOf(summary.secureAggregation)})`
        : 'central DP: none (each node accounts for its own local DP)',
      ...(saved ? [`model saved to ${saved}`] : []),
      ...(job.samples
        ? [
            `synthetic samples: ${job.samples.length} node(s) sent theirs${job.samples.map((r) => `; ${r.node} ${r.rows} rows at epsilon ${r.epsilon} (${r.file})`).join('')}`,
          ]
        : []),
      ...(seeded ? ['seeded run: reproducible and NOT private'] : []),
    ],
    ...(summary.status === 'finished' ? {} : { exitCode: EXIT.protocol }),
  };
}
