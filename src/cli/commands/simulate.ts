/**
 * `veil simulate`: a federation of N in-process nodes running the same coordinator and node code as a
 * deployment, over the in-memory transport. Configured by a file (`--config`, the `federation` section is the
 * one `veil coordinator` reads) or by flags for the common cases: each flag sets the simulation option of its
 * name (`SimulateOptionsSchema` in src/jobs), checked and mapped onto a plan there; this file renders the run.
 */
import { ConfigError } from '../../core/index.js';
import {
  bytesPerRound,
  coordinatorLine,
  ledgerAt,
  ledgerUrl,
  modelFitError,
  neighbouringOf,
  parseSimulateFile,
  parseSpec,
  readSpecFile,
  runSimulationJob,
  type SimulateOptions,
  type SimulateOptionsInput,
  SimulateOptionsSchema,
  type SimulationPlan,
  simulationPlanFrom,
  simulationPlanFromFile,
} from '../../jobs/index.js';
import { EXIT } from '../exit-codes.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { specFromFlags } from '../spec-flags.js';

/** Raw flags of `veil simulate`: strings from commander, named as the simulation options they set. */
export type SimulateFlags = { readonly [K in keyof SimulateOptionsInput]?: string } & {
  readonly config?: string;
  /** Charge every DP spend to this ledger (nodes' local DP; the aggregate's with the config's `budget`). */
  readonly db?: string;
};

/** The options whose flags take a word; the others take a number. */
const WORDS: ReadonlySet<string> = new Set([
  'data',
  'model',
  'strategy',
  'aggregator',
  'compression',
  'secureAggregation',
  'attack',
  'personalization',
]);

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The plan the flags describe; problems are reported under the flags typed, with the text typed. */
function fromFlags(flags: SimulateFlags): SimulationPlan {
  const { spec, renamed } = specFromFlags(
    Object.keys(SimulateOptionsSchema.in.shape).map((key) => ({
      flag: flagOf(key),
      path: key,
      raw: flags[key as keyof SimulateOptionsInput],
      kind: WORDS.has(key) ? 'text' : 'number',
    })),
  );
  let options: SimulateOptions;
  try {
    options = parseSpec(SimulateOptionsSchema, spec, 'command-line flags');
  } catch (err) {
    throw renamed(err);
  }
  // a federation the options make and parseFederation refuses is reported under its own fields
  return simulationPlanFrom(options);
}

/** The plan a `--config` file describes; flags other than `--db` are refused with it. */
function fromFile(path: string, flags: SimulateFlags): SimulationPlan {
  const others = Object.entries(flags).filter(([k, v]) => k !== 'config' && k !== 'db' && v !== undefined);
  if (others.length > 0)
    throw new ConfigError(
      others.map(([key, value]) => ({
        path: flagOf(key),
        value,
        allowed: 'left out with --config FILE (set it in the file: flags and a config file do not mix)',
      })),
      'command-line flags',
    );
  return simulationPlanFromFile(parseSimulateFile(readSpecFile(path), path));
}

/** Runs `veil simulate`. */
export async function simulateCommand(
  flags: SimulateFlags,
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  const plan = flags.config ? fromFile(flags.config, flags) : fromFlags(flags);
  const log = (line: string) => io.stderr(`veil simulate: ${line}\n`);
  // a model whose layers do not fit the data's examples (cnn:papernot on rows) is refused under its flag or key
  const [modelAt, context] = flags.config
    ? ['federation.model', `simulation configuration ${flags.config}`]
    : ['--model', 'command-line flags'];
  const { summary, run: r } = await runSimulationJob(plan, {
    ledger: ledgerAt(ledgerUrl(flags.db), { name: '--db' }),
    charge: flags.db !== undefined,
    principal: process.env['USER'] || 'cli',
    ...(global.seed === undefined ? {} : { seed: global.seed }),
    progress: () => {},
    log,
    onCoordinatorEvent: (e) => {
      if (e.kind === 'registered' || e.kind === 'checkpoint') return;
      if (plan.nodes > 50 && (e.kind === 'round-started' || e.kind === 'evaluated')) return;
      const line = coordinatorLine(e, plan.federation.rounds);
      if (line) log(line);
    },
  }).catch((err: unknown) => {
    throw modelFitError(err, undefined, modelAt, flags.model ?? plan.federation.model, context);
  });
  const c = r.coordinator;
  const nodeEps = r.nodes.map((n) => n.localPrivacy?.epsilonSpent ?? 0);
  const personalization = summary['personalization'] as {
    kind: string;
    meanAccuracy: number | null;
    meanGlobalAccuracy: number | null;
  } | null;
  const per = bytesPerRound(r.bytes);
  const meanUp = per.length ? Math.round(per.reduce((s, b) => s + b.sentMean, 0) / per.length) : 0;
  const meanDown = per.length ? Math.round(per.reduce((s, b) => s + b.receivedMean, 0) / per.length) : 0;
  return {
    summary,
    text: [
      `${c.status === 'finished' ? 'finished' : `stopped (${c.failure})`}: ${c.roundsCompleted}/${c.rounds} rounds with ${plan.nodes} nodes in ${r.seconds.toFixed(1)} s${c.status === 'finished' && c.failure ? ` (${c.failure})` : ''}`,
      `test accuracy of the global model: ${(r.testAccuracy * 100).toFixed(2)}%`,
      c.central
        ? `${c.secureAggregation === 'none' ? 'central' : 'distributed'} DP: epsilon ${c.central.epsilonRdp.toFixed(3)} (RDP)${c.central.epsilonPld === null ? '' : ` / ${c.central.epsilonPld.toFixed(3)} (PLD)`} at delta ${c.central.delta} (${neighbouringOf(c.secureAggregation)})`
        : 'central DP: none',
      plan.localPrivacy.kind === 'dp'
        ? `local DP: largest node epsilon ${Math.max(...nodeEps).toFixed(3)} of ${plan.localPrivacy.epsilon}`
        : 'local DP: none',
      ...(personalization?.meanAccuracy != null && personalization.meanGlobalAccuracy != null
        ? [
            `personal models (${personalization.kind}): mean accuracy ${(personalization.meanAccuracy * 100).toFixed(2)}% on the nodes' own test data, vs ${(personalization.meanGlobalAccuracy * 100).toFixed(2)}% for the global model`,
          ]
        : []),
      `bytes per node per round: ${meanUp} sent, ${meanDown} received (mean)`,
      ...(r.private ? [] : ['seeded or non-private run: NOT private']),
    ],
    ...(c.status === 'finished' ? {} : { exitCode: EXIT.protocol }),
  };
}
