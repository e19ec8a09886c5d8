/**
 * The `veil` command. Every command takes --json (exactly one JSON object on stdout; progress on stderr) and
 * exits non-zero with a clear message on bad input (exit codes in exit-codes.ts).
 */
import { Command, CommanderError, type OptionValues } from 'commander';
import { ConfigError } from '../core/index.js';
import { EXIT } from './exit-codes.js';
import { type GlobalOptions, type Io, printError, printResult, processIo } from './output.js';
import type { Actions, ArgumentHandler, Handler } from './program/actions.js';
import * as attest from './program/attest.js';
import * as certs from './program/certs.js';
import * as cleanroom from './program/cleanroom.js';
import * as demo from './program/demo.js';
import * as federation from './program/federation.js';
import * as job from './program/job.js';
import * as ledger from './program/ledger.js';
import * as mpc from './program/mpc.js';
import * as privacy from './program/privacy.js';
import * as serve from './program/serve.js';
import * as simulate from './program/simulate.js';
import * as synth from './program/synth.js';
import * as train from './program/train.js';
import * as worker from './program/worker.js';

const VERSION = '0.1.0';

/** The command groups, in the order `veil --help` lists them. */
const COMMANDS = [
  demo,
  train,
  synth,
  simulate,
  federation,
  ledger,
  certs,
  attest,
  cleanroom,
  mpc,
  serve,
  job,
  worker,
  privacy,
] as const;

/** Builds the program. Commands run their handler and record the exit code in `state`. */
function buildProgram(io: Io, state: { exitCode: number; json: boolean }): Command {
  const program = new Command('veil')
    .description(
      'Veil: private machine learning across organisations (differential privacy, federated learning, secure aggregation)',
    )
    .version(VERSION)
    .option('--json', 'print exactly one JSON object on stdout (progress goes to stderr)')
    .option('--seed <n>', 'seed the random generator: reproducible, and marked NOT private')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => {
        if (!state.json) write(s);
      },
    })
    .exitOverride();

  // commander's opts() is untyped: the one place a command's flags get their handler's type (see Actions).
  const actions: Actions = {
    run: <F extends OptionValues>(handler: Handler<F>) =>
      async function (this: Command) {
        const global = globalOptions(this);
        const result = await handler(this.opts<F>(), global, io);
        printResult(io, global, result);
        state.exitCode = result.exitCode ?? EXIT.ok;
      },
    runWithArgument: <F extends OptionValues>(handler: ArgumentHandler<F>) =>
      async function (this: Command, arg: string | undefined) {
        const global = globalOptions(this);
        const result = await handler(arg, this.opts<F>());
        printResult(io, global, result);
        state.exitCode = result.exitCode ?? EXIT.ok;
      },
  };
  for (const group of COMMANDS) group.register(program, actions);
  return program;
}

function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals() as { json?: boolean; seed?: string };
  if (all.seed === undefined) return { json: all.json === true };
  const seed = Number(all.seed);
  if (!/^\d+$/.test(all.seed) || !Number.isSafeInteger(seed)) {
    throw new ConfigError(
      [{ path: '--seed', value: all.seed, allowed: 'a non-negative integer' }],
      'command-line flags',
    );
  }
  return { json: all.json === true, seed };
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code. Never calls
 * process.exit, so tests can run it in-process.
 */
export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  const state = { exitCode: EXIT.internal, json: argv.includes('--json') };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    return state.exitCode === EXIT.internal ? EXIT.ok : state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      // A command group without its subcommand (`veil privacy`): the help went to stderr; it is a usage error.
      const asked = argv.some((a) => a === '--help' || a === '-h' || a === 'help');
      if (error.code === 'commander.help' && asked) return EXIT.ok;
      if (error.code === 'commander.help') {
        if (state.json)
          io.stdout(
            `${JSON.stringify({ ok: false, error: { code: 'VEIL_CONFIG_INVALID', message: 'missing subcommand (see the list above)', details: { commander: error.code } } })}\n`,
          );
        return EXIT.usage;
      }
      if (state.json) {
        const message = error.message.replace(/^error: /, '');
        io.stdout(
          `${JSON.stringify({ ok: false, error: { code: 'VEIL_CONFIG_INVALID', message, details: { commander: error.code } } })}\n`,
        );
      }
      return EXIT.usage;
    }
    return printError(io, state.json, error);
  }
}
